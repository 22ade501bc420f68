/*
 * cmd_verify.c - `duckflow verify [RUN] [--store URI] [--pipeline P]`: re-hashes every
 * file the manifests of a run (or of every run of a pipeline, or of the whole store) list
 * and prints each that differs (store/verify.c). Exit 1 on any difference, 3 when the
 * store cannot be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "store/verify.h"
#include "util/names.h"
#include "util/timeutil.h"
#include "util/banned.h"

const struct cli_opt cli_opts_verify[] = {
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "the pipeline (needed only when RUN is ambiguous)"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow verify [RUN] [--store URI] [--pipeline P]\n"
           "\n"
           "Re-hashes (SHA-256) every file that the manifests of run RUN list (\"latest\"\n"
           "for the last run), or of every run in the store (of pipeline P with --pipeline)\n"
           "when RUN is not given, and compares size and hash with the manifest. Prints\n"
           "each file that differs or is missing, then a total; exits 1 when any differs.\n"
           "\n");
    cli_print_options(stdout, cli_opts_verify);
}

static void report(const char *key, const char *what, void *ud)
{
    (void)ud;
    printf("differs: %s: %s\n", key, what);
}

int cmd_verify(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_verify_stats st;
    struct cli_run r = CLI_RUN_INIT;
    const char *store_opt = NULL, *pipeline = NULL, *run = NULL;
    char size[32];
    int c, rc;

    optind = 1;
    while ((c = cli_getopt("verify", argc, argv, cli_opts_verify, 0)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'P':
            pipeline = optarg;
            break;
        case 'h':
            help();
            return 0;
        default:
            return cli_usage_error("verify", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        run = argv[optind++];
    if (optind != argc)
        return cli_usage_error("verify", "unexpected argument '%s'", argv[optind]);
    if (pipeline && !df_valid_pipeline_name(pipeline))
        return cli_usage_error("verify", "invalid pipeline name '%s'", pipeline);
    if (run && strcmp(run, "latest") != 0 && !df_valid_run_id(run))
        return cli_usage_error("verify", "'%s' is not a valid run id", run);
    /* Without RUN: every run (of --pipeline), so no run is picked. */
    if ((run ? cli_run_open(&r, store_opt, pipeline, run, 0, &err)
             : df_store_open(cli_store_uri(store_opt), &r.store, &err)) != 0 ||
        df_verify(r.store, run ? r.pipeline : pipeline, r.run, report, NULL, &st, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    df_format_size(st.bytes, size, sizeof(size));
    printf("verified %zu file%s (%s) in %zu manifest%s: %s\n", st.files, st.files == 1 ? "" : "s",
           size, st.manifests, st.manifests == 1 ? "" : "s",
           st.differ ? "some differ" : "all match");
    if (st.differ)
        fprintf(stderr, "duckflow verify: %zu difference%s\n", st.differ,
                st.differ == 1 ? "" : "s");
    rc = st.differ ? 1 : 0;
out:
    cli_run_release(&r);
    return rc;
}
