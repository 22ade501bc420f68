/*
 * cmd_gc.c - `duckflow gc`: removes attempt folders that no manifest names (src/exec/gc.c)
 * and reports each on stdout.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/gc.h"
#include "exec/retention.h"
#include "exec/storeindex.h"
#include "store/layout.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/banned.h"

enum { OPT_KEEP_RUNS = 256, OPT_OLDER_THAN };

const struct cli_opt cli_opts_gc[] = {
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "only runs of pipeline P"},
    {OPT_KEEP_RUNS, "keep-runs", "N", "keep the newest N runs of each pipeline (N >= 1)"},
    {OPT_OLDER_THAN, "older-than", "D",
     "remove runs that ended longer than D ago: 30d, 2w,\n12h, 90m; with --keep-runs, a run goes "
     "when both say so"},
    {CLI_OPT_DRY_RUN},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow gc [--store URI] [--pipeline P] [--keep-runs N] [--older-than D]\n"
           "                   [--dry-run]\n"
           "\n"
           "Removes the attempt folders that no manifest names: failed and retried attempts,\n"
           "tasks killed mid-write, tasks of failed runs. On S3/GCS it also aborts the\n"
           "incomplete multipart uploads that killed attempts of finished runs left. Runs\n"
           "still running and runs without a run.json are left alone. Files that a\n"
           "manifest or a cache entry names are never removed (runs share reused files).\n"
           "With --keep-runs or --older-than it first removes whole runs (as `duckflow runs\n"
           "rm`), never the published run or one still running. What a removed run kept\n"
           "(files other runs or the cache name) goes once nothing names it. Prints each\n"
           "folder and run removed and the totals, bytes included. The store is listed\n"
           "once, and each run record, manifest and cache entry read once.\n"
           "\n");
    cli_print_options(stdout, cli_opts_gc);
}

static void report(const char *folder, size_t files, uint64_t bytes, size_t uploads,
                   const char *skipped, void *ud)
{
    const int *dry = ud;
    char size[32];
    if (skipped) {
        fprintf(stderr, "duckflow gc: skipping run '%s': %s\n", folder, skipped);
        return;
    }
    if (uploads) {
        printf("%s %zu incomplete upload%s under %s\n", *dry ? "would abort" : "aborted", uploads,
               uploads == 1 ? "" : "s", folder);
        return;
    }
    df_format_size(bytes, size, sizeof(size));
    printf("%s %s (%zu file%s, %s)\n", *dry ? "would remove" : "removed", folder, files,
           files == 1 ? "" : "s", size);
}

int cmd_gc(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_gc_stats st;
    struct df_store *store = NULL;
    const char *store_opt = NULL, *pipeline = NULL;
    char size[32];
    struct df_retention_opts ro = {NULL, 0, 0, 0};
    struct df_retention_stats rst;
    json_t *victims = NULL;
    struct df_store_index ix;
    int c, dry = 0, rc, policy = 0;

    memset(&ix, 0, sizeof(ix));
    optind = 1;
    while ((c = cli_getopt("gc", argc, argv, cli_opts_gc, 0)) != -1) {
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
        case OPT_KEEP_RUNS: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 0 || n > 1000000000)
                return cli_usage_error("gc", "--keep-runs takes a number of runs, not '%s'",
                                       optarg);
            if (n == 0)
                return cli_usage_error("gc", "--keep-runs 0 would remove every run but the "
                                             "published one: use 'duckflow runs rm RUN...'");
            ro.keep_runs = (int)n;
            policy = 1;
            break;
        }
        case OPT_OLDER_THAN: {
            int rc = df_parse_age(optarg, &ro.older_than_ms);
            if (rc == -2)
                return cli_usage_error("gc",
                                       "--older-than %s: the age must be above zero and under "
                                       "30,000 years (to remove given runs: 'duckflow runs rm "
                                       "RUN...')",
                                       optarg);
            if (rc != 0)
                return cli_usage_error("gc",
                                       "--older-than takes a duration such as 30d, 2w, 12h or "
                                       "90m, not '%s'",
                                       optarg);
            policy = 1;
            break;
        }
        case 'h':
            help();
            return 0;
        default:
            return 2;
        }
    }
    if (optind != argc)
        return cli_usage_error("gc", "unexpected argument '%s'", argv[optind]);
    if (pipeline && !df_valid_pipeline_name(pipeline))
        return cli_usage_error("gc", "invalid pipeline name '%s'", pipeline);
    ro.pipeline = pipeline;
    ro.dry_run = dry;
    /* One listing and one read of each record, manifest and cache entry serve the
     * policy, the removal and gc (exec/storeindex.h). */
    if (df_store_open(store_opt, &store, &err) != 0 ||
        df_index_build(store, pipeline, &ix, &err) != 0 ||
        (policy &&
         (df_retention_select_ix(store, &ix, &ro, cli_print_run_removed, &dry, &victims, &err) ||
          df_runs_remove_ix(store, &ix, victims, dry, cli_print_run_removed, &dry, &rst, &err))) ||
        df_gc_ix(store, &ix, pipeline, victims, dry, report, &dry, &st, &err) != 0) {
        rc = cli_fail(&err);
        json_decref(victims);
        df_index_release(&ix);
        df_store_free(store);
        return rc;
    }
    df_index_release(&ix);
    json_decref(victims);
    if (policy)
        cli_print_runs_total(&rst, dry);
    df_format_size(st.bytes, size, sizeof(size));
    printf("%s %zu attempt folder%s, %zu file%s, %s", dry ? "would remove" : "removed", st.folders,
           st.folders == 1 ? "" : "s", st.files, st.files == 1 ? "" : "s", size);
    if (st.leftovers)
        printf(" (with what was left of %zu removed run%s)", st.leftovers,
               st.leftovers == 1 ? "" : "s");
    if (st.uploads)
        printf("; %s %zu incomplete upload%s", dry ? "would abort" : "aborted", st.uploads,
               st.uploads == 1 ? "" : "s");
    putchar('\n');
    if (st.uploads_warning)
        fprintf(stderr,
                "duckflow gc: warning: the store does not implement listing incomplete uploads "
                "(%s); none were aborted\n",
                st.uploads_warning);
    free(st.uploads_warning);
    df_store_free(store);
    return 0;
}
