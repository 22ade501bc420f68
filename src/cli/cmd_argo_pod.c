/*
 * cmd_argo_pod.c - the options that `duckflow argo items` and `duckflow argo finish` share
 * (the pods of an Argo manifest run them): parsing, loading the pipeline, opening the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_argo.h"
#include "util/strbuf.h"

#include "argo/argo.h"
#include "util/fs.h"

#include "util/banned.h"

enum { O_STEP = 256, O_STATUS, O_CREATED_AT, O_BUNDLE, O_PER_POD };

/* The options of `duckflow argo items` and `duckflow argo finish`. */
const struct cli_opt cli_opts_argo_pod[] = {
    {'r', "run", "RUN", "the run id (the workflow's name)"},
    {O_STEP, "step", "STEP", "the step (argo items)"},
    {CLI_OPT_STORE_WITH("the store")},
    {CLI_OPT_PARAM_WITH("override a param")},
    {O_STATUS, "status", "STATUS", "the workflow's status (argo finish)"},
    {O_CREATED_AT, "created-at", "TIME", "when the workflow was created (argo finish)"},
    {O_BUNDLE, "bundle", "HASH", "the pipeline's bundle in the store (PIPELINE is its name)"},
    {O_PER_POD, "tasks-per-pod", "N", "list groups of N items, one per pod (argo items)"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL}};

int argo_pod_open(const char *cmd, int argc, char **argv, int need, struct argo_pod *a)
{
    struct df_error err = DF_ERROR_INIT;
    const char *store_uri = NULL;
    int c;

    memset(a, 0, sizeof(*a));
    while ((c = cli_getopt(cmd, argc, argv, cli_opts_argo_pod, 0)) != -1) {
        switch (c) {
        case 'r':
            a->run = optarg;
            break;
        case O_STEP:
            a->step = optarg;
            break;
        case 's':
            store_uri = optarg;
            break;
        case O_STATUS:
            a->status = optarg;
            break;
        case O_CREATED_AT:
            a->created_at = optarg;
            break;
        case O_BUNDLE:
            a->bundle = optarg;
            break;
        case O_PER_POD: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 1 || n > 100000)
                return cli_usage_error(cmd, "--tasks-per-pod '%s' is not a number from 1 to 100000",
                                       optarg);
            a->per_pod = (int)n;
            break;
        }
        case 'p':
            if ((c = cli_add_param(cmd, optarg, &a->ov, &a->n_ov)) != 0)
                return c;
            break;
        case 'h':
            cmd_argo_usage(stdout);
            return -1;
        default:
            return 2;
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one pipeline file");
    if (!a->run && !(need & ARGO_POD_NORUN))
        return cli_usage_error(cmd, "--run is required");
    if ((need & ARGO_POD_STEP) && !a->step)
        return cli_usage_error(cmd, "--step is required");
    if ((need & ARGO_POD_STATUS) && !a->status)
        return cli_usage_error(cmd, "--status is required");
    if ((need & ARGO_POD_BUNDLE) && !a->bundle)
        return cli_usage_error(cmd, "--bundle is required");
    if (df_store_open(cli_store_uri(store_uri), &a->store, &err))
        return cli_fail(&err);
    if (a->bundle && !(need & ARGO_POD_BUNDLE)) {
        /* PIPELINE names the pipeline: its files come from the bundle in the store. */
        if (argo_bundle_fetch(a->store, argv[optind], a->bundle, &a->dir, &a->path, &err))
            return cli_fail(&err);
    }
    if (df_pipeline_load(a->path ? a->path : argv[optind], a->ov, a->n_ov, &a->p, &err))
        return cli_fail(&err);
    return 0;
}

int argo_bundle_fetch(struct df_store *store, const char *pipeline, const char *hash, char **dir,
                      char **path, struct df_error *err)
{
    *path = NULL;
    *dir = fs_mkdtemp(NULL, "duckflow-bundle", err);
    if (!*dir)
        return -1;
    if (df_argo_bundle_fetch(store, pipeline, hash, *dir, path, err)) {
        struct df_error e2 = DF_ERROR_INIT;
        fs_remove_tree(*dir, &e2);
        free(*dir);
        *dir = NULL;
        return -1;
    }
    return 0;
}

void argo_pod_release(struct argo_pod *a)
{
    if (a->dir) {
        struct df_error e2 = DF_ERROR_INIT;
        fs_remove_tree(a->dir, &e2);
    }
    free(a->dir);
    free(a->path);
    df_store_free(a->store);
    df_pipeline_free(a->p);
    df_param_overrides_free(a->ov, a->n_ov);
    memset(a, 0, sizeof(*a));
}
