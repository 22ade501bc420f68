/*
 * cmd_runs_rm.c - `duckflow runs rm RUN...`: removes whole runs (src/exec/retention.c),
 * keeping every file another run's manifest or a cache entry names. Refuses the published
 * run and runs still running; --dry-run says what would go and how many bytes.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/retention.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/banned.h"

const struct cli_opt cli_opts_runs_rm[] = {
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "the pipeline, when several have a run with this id"},
    {CLI_OPT_DRY_RUN},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow runs rm RUN... [--store URI] [--pipeline P] [--dry-run]\n"
           "\n"
           "Removes the runs named: their records, manifests, attempt folders and files,\n"
           "except the files (and manifests) that another run's manifest or a cache entry\n"
           "names: runs that reused a task share its files. Refuses the published run\n"
           "(publish another first) and runs still running. Prints each run removed with\n"
           "its files and bytes, and a total. `duckflow gc --keep-runs N` and\n"
           "`--older-than D` remove runs by policy.\n"
           "\n");
    cli_print_options(stdout, cli_opts_runs_rm);
    printf("\nExit codes: 0 ok, 2 bad usage or a run that is unknown, published or running,\n"
           "3 store error.\n");
}

/* Prints one run removed (or that would be) or kept; shared with `gc`. */
void cli_print_run_removed(const char *pipeline, const char *run, size_t files, uint64_t bytes,
                           size_t kept, const char *kept_reason, void *ud)
{
    const int *dry = ud;
    char size[32];
    if (kept_reason) {
        fprintf(stderr, "duckflow: keeping run '%s/%s': %s\n", pipeline, run, kept_reason);
        return;
    }
    df_format_size(bytes, size, sizeof(size));
    printf("%s run %s/%s (%zu file%s, %s", *dry ? "would remove" : "removed", pipeline, run, files,
           files == 1 ? "" : "s", size);
    if (kept)
        printf("; %zu file%s kept: named by another run or the cache", kept, kept == 1 ? "" : "s");
    printf(")\n");
}

void cli_print_runs_total(const struct df_retention_stats *st, int dry)
{
    char size[32];
    df_format_size(st->bytes, size, sizeof(size));
    printf("%s %zu run%s, %zu file%s, %s", dry ? "would remove" : "removed", st->runs,
           st->runs == 1 ? "" : "s", st->files, st->files == 1 ? "" : "s", size);
    if (st->files_kept)
        printf(" (%zu file%s kept: named by other runs or the cache)", st->files_kept,
               st->files_kept == 1 ? "" : "s");
    putchar('\n');
}

int cmd_runs_rm(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_retention_stats st;
    struct cli_run r = CLI_RUN_INIT;
    const char *store_opt = NULL, *pipeline = NULL;
    json_t *victims = json_array();
    int c, dry = 0, rc = 0;

    optind = 1;
    while ((c = cli_getopt("runs rm", argc, argv, cli_opts_runs_rm, 0)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'P':
            pipeline = optarg;
            break;
        case 'n':
            dry = 1;
            break;
        case 'h':
            help();
            json_decref(victims);
            return 0;
        default:
            json_decref(victims);
            return 2;
        }
    }
    if (optind >= argc) {
        json_decref(victims);
        return cli_usage_error("runs rm", "name at least one run");
    }
    for (int i = optind; i < argc; i++) {
        const char *why = NULL;
        if (!strcmp(argv[i], "latest") || !strcmp(argv[i], "published")) {
            rc = cli_usage_error("runs rm", "name runs by their id, not '%s'", argv[i]);
            goto out;
        }
        /* An unknown run is bad input here (CLI_RUN_ARGUMENT). */
        if (cli_run_open(&r, store_opt, pipeline, argv[i], CLI_RUN_ARGUMENT, &err) != 0 ||
            df_run_protected(r.store, r.pipeline, r.run, &why, &err) != 0) {
            rc = cli_fail(&err);
            goto out;
        }
        if (why) {
            df_error_set(&err, DF_EUSAGE, "run '%s' of '%s' is not removed: %s", r.run, r.pipeline,
                         why);
            rc = cli_fail(&err);
            goto out;
        }
        json_array_append_new(victims,
                              json_pack("{s:s, s:s}", "pipeline", r.pipeline, "run", r.run));
    }
    if (df_runs_remove(r.store, victims, dry, cli_print_run_removed, &dry, &st, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    cli_print_runs_total(&st, dry);
out:
    json_decref(victims);
    cli_run_release(&r);
    return rc;
}
