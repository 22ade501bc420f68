/*
 * cmd_gc.c - `duckflow gc`: removes attempt folders that no manifest names (src/exec/gc.c)
 * and reports each on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/gc.h"
#include "store/layout.h"
#include "store/store.h"
#include "util/timeutil.h"
#include "util/banned.h"

const struct cli_opt cli_opts_gc[] = {
    {'s', "store", "URI", "the store (default $DUCKFLOW_STORE, else ./.duckflow)"},
    {'P', "pipeline", "P", "only runs of pipeline P"},
    {'n', "dry-run", NULL, "print what would be removed, remove nothing"},
    {'h', "help", NULL, "this help"},
    {0, NULL, NULL, NULL}};

static void help(void)
{
    printf("usage: duckflow gc [--store URI] [--pipeline P] [--dry-run]\n"
           "\n"
           "Removes the attempt folders that no manifest names: failed and retried attempts,\n"
           "tasks killed mid-write, tasks of failed runs. On S3/GCS it also aborts the\n"
           "incomplete multipart uploads that killed attempts of finished runs left. Runs\n"
           "still running and runs without a run.json are left alone. Prints each folder\n"
           "removed and a total.\n"
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
    int c, dry = 0, rc;

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
    if (df_store_open(store_opt, &store, &err) != 0 ||
        df_gc(store, pipeline, dry, report, &dry, &st, &err) != 0) {
        rc = cli_fail(&err);
        df_store_free(store);
        return rc;
    }
    df_format_size(st.bytes, size, sizeof(size));
    printf("%s %zu attempt folder%s, %zu file%s, %s", dry ? "would remove" : "removed", st.folders,
           st.folders == 1 ? "" : "s", st.files, st.files == 1 ? "" : "s", size);
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
