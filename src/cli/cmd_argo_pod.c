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

#include "util/banned.h"

int argo_pod_open(const char *cmd, int argc, char **argv, int need, struct argo_pod *a)
{
    static const struct option opts[] = {
        {"run", required_argument, NULL, 'r'},    {"step", required_argument, NULL, 's'},
        {"store", required_argument, NULL, 'S'},  {"param", required_argument, NULL, 'p'},
        {"status", required_argument, NULL, 't'}, {"created-at", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    struct df_error err = DF_ERROR_INIT;
    const char *store_uri = NULL;
    int c;

    memset(a, 0, sizeof(*a));
    while ((c = getopt_long(argc, argv, "r:s:S:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            a->run = optarg;
            break;
        case 's':
            a->step = optarg;
            break;
        case 'S':
            store_uri = optarg;
            break;
        case 't':
            a->status = optarg;
            break;
        case 'c':
            a->created_at = optarg;
            break;
        case 'p':
            a->ov = xrealloc(a->ov, (a->n_ov + 1) * sizeof(*a->ov));
            if (df_param_override_parse(optarg, &a->ov[a->n_ov], &err) < 0)
                return cli_usage_error(cmd, "%s", err.msg);
            a->n_ov++;
            break;
        case 'h':
            cmd_argo_usage(stdout);
            return -1;
        default:
            return cli_usage_error(cmd, "unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one pipeline file");
    if (!a->run)
        return cli_usage_error(cmd, "--run is required");
    if ((need & ARGO_POD_STEP) && !a->step)
        return cli_usage_error(cmd, "--step is required");
    if ((need & ARGO_POD_STATUS) && !a->status)
        return cli_usage_error(cmd, "--status is required");
    if (df_pipeline_load(argv[optind], a->ov, a->n_ov, &a->p, &err))
        return cli_fail(&err);
    if (df_store_open(cli_store_uri(store_uri), &a->store, &err))
        return cli_fail(&err);
    return 0;
}

void argo_pod_release(struct argo_pod *a)
{
    df_store_free(a->store);
    df_pipeline_free(a->p);
    df_param_overrides_free(a->ov, a->n_ov);
    memset(a, 0, sizeof(*a));
}
