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
#include "query/query.h"
#include "store/layout.h"
#include "store/publish.h"
#include "store/store.h"
#include "util/banned.h"

const struct cli_opt cli_opts_publish[] = {
    {'s', "store", "URI", "the store (default $DUCKFLOW_STORE, else ./.duckflow)"},
    {'P', "pipeline", "P", "the pipeline, when several have a run with this id"},
    {'h', "help", NULL, "this help"},
    {0, NULL, NULL, NULL}};

static void help(void)
{
    printf("usage: duckflow publish RUN [--store URI] [--pipeline P]\n"
           "\n"
           "Makes RUN its pipeline's published run: what `duckflow query` and `report`\n"
           "read by default and what <pipeline>/published.sql points at. A run that\n"
           "succeeds is published when it ends; publish sets another one (roll back or\n"
           "forward). Only a succeeded run can be published.\n"
           "\n");
    cli_print_options(stdout, cli_opts_publish);
    printf("\nExit codes: 0 ok, 2 bad usage or a run that is unknown or did not succeed,\n"
           "3 store error.\n");
}

static char *run_status(struct df_store *s, const char *pipeline, const char *run,
                        struct df_error *err)
{
    char *key = df_key_run_json(pipeline, run), *data = NULL, *st = NULL;
    size_t len = 0;
    json_t *j;

    if (df_store_get_bytes(s, key, 16u << 20, &data, &len, err) != 0) {
        if (err->code == DF_ENOTFOUND) {
            df_error_clear(err);
            st = xstrdup("unknown (no run.json)");
        }
    } else {
        j = json_loadb(data, len, 0, NULL);
        st = xstrdup(json_string_value(json_object_get(j, "status"))
                         ? json_string_value(json_object_get(j, "status"))
                         : "unknown");
        json_decref(j);
    }
    free(data);
    free(key);
    return st;
}

int cmd_publish(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;
    const char *store_opt = NULL, *pipeline = NULL;
    char *pl = NULL, *run = NULL, *status = NULL, *before = NULL;
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
    if (df_store_open(store_opt, &store, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (df_run_resolve(store, pipeline, argv[optind], &pl, &run, &err) != 0) {
        /* An unknown run is bad input here, not a store failure. */
        if (err.code == DF_EIO && strstr(err.msg, "not found"))
            err.code = DF_EUSAGE;
        rc = cli_fail(&err);
        goto out;
    }
    status = run_status(store, pl, run, &err);
    if (!status) {
        rc = cli_fail(&err);
        goto out;
    }
    if (strcmp(status, "succeeded") != 0) {
        df_error_set(&err, DF_EUSAGE,
                     "run '%s' of '%s' is %s: only a succeeded run can be published", run, pl,
                     status);
        rc = cli_fail(&err);
        goto out;
    }
    if (df_published_read(store, pl, &before, &err) != 0 || df_publish(store, pl, run, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (before && strcmp(before, run) != 0)
        printf("published run %s of '%s' (was %s)\n", run, pl, before);
    else if (before)
        printf("run %s of '%s' was already published\n", run, pl);
    else
        printf("published run %s of '%s'\n", run, pl);
out:
    free(pl);
    free(run);
    free(status);
    free(before);
    df_store_free(store);
    return rc;
}
