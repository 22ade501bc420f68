/*
 * cmd_publish.c - `duckflow publish RUN`: makes a succeeded run the one its pipeline
 * publishes (<pipeline>/published.json, what `query` and `report` read by default), to
 * roll back or forward. The run's status must be succeeded.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/publish.h"
#include "store/runs.h"
#include "util/banned.h"

const struct cli_opt cli_opts_publish[] = {
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "the pipeline, when several have a run with this id"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow publish RUN [--store URI] [--pipeline P]\n"
           "\n"
           "Makes RUN its pipeline's published run: what `duckflow query` and `report`\n"
           "read by default and what <pipeline>/published.sql points at. A run that\n"
           "succeeds is published when it ends; publish sets another one (roll back or\n"
           "forward). Only a succeeded run of every step can be published (not a run\n"
           "whose --select or --exclude left steps out).\n"
           "\n");
    cli_print_options(stdout, cli_opts_publish);
    printf("\nExit codes: 0 ok, 2 bad usage or a run that is unknown or did not succeed,\n"
           "3 store error.\n");
}

/* The run's status from its record, "unknown (no run.json)" without one; NULL on a store
 * error. */
static char *run_status(struct df_store *s, const char *pipeline, const char *run,
                        struct df_error *err)
{
    json_t *rec = NULL;
    const char *st;
    char *out;

    if (df_run_record_read(s, pipeline, run, &rec, err) != 0)
        return NULL;
    if (!rec)
        return xstrdup("unknown (no run.json)");
    st = json_string_value(json_object_get(rec, "status"));
    if (st && !strcmp(st, "succeeded") && json_is_true(json_object_get(rec, "partial")))
        st = "partial (--select or --exclude left steps out)";
    out = xstrdup(st ? st : "unknown");
    json_decref(rec);
    return out;
}

int cmd_publish(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct cli_run r = CLI_RUN_INIT;
    const char *store_opt = NULL, *pipeline = NULL;
    char *status = NULL, *before = NULL;
    int c, rc = 0;

    optind = 1;
    while ((c = cli_getopt("publish", argc, argv, cli_opts_publish, 0)) != -1) {
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
            return 2;
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("publish", "expected one run id");
    if (cli_run_open(&r, store_opt, pipeline, argv[optind], CLI_RUN_ARGUMENT, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    status = run_status(r.store, r.pipeline, r.run, &err);
    if (!status) {
        rc = cli_fail(&err);
        goto out;
    }
    if (strcmp(status, "succeeded") != 0) {
        df_error_set(&err, DF_EUSAGE,
                     "run '%s' of '%s' is %s: only a succeeded run can be published", r.run,
                     r.pipeline, status);
        rc = cli_fail(&err);
        goto out;
    }
    if (df_published_read(r.store, r.pipeline, &before, &err) != 0 ||
        df_publish(r.store, r.pipeline, r.run, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (before && strcmp(before, r.run) != 0)
        printf("published run %s of '%s' (was %s)\n", r.run, r.pipeline, before);
    else if (before)
        printf("run %s of '%s' was already published\n", r.run, r.pipeline);
    else
        printf("published run %s of '%s'\n", r.run, r.pipeline);
out:
    free(status);
    free(before);
    cli_run_release(&r);
    return rc;
}
