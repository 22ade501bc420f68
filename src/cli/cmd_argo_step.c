/*
 * cmd_argo_step.c - `duckflow argo step PIPELINE-NAME --bundle HASH --store URI [step
 * options]`: a task's pod in an Argo manifest. Reads the pipeline's bundle from the store
 * (checked against its hash) into $TMPDIR and runs `duckflow step` on it with the other
 * options as given, so no template but the first carries the pipeline's files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_argo.h"
#include "util/fs.h"
#include "util/strbuf.h"

#include "util/banned.h"

int cmd_argo_step(int argc, char **argv)
{
    const char *cmd = "argo step", *bundle = NULL, *store_uri = NULL, *name = NULL;
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;
    char **args = xcalloc((size_t)argc + 2, sizeof(*args));
    char *dir = NULL, *path = NULL;
    int n = 0, rc;

    /* `step` and every option but --bundle pass through; the first operand is the name. */
    args[n++] = "step";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bundle") && i + 1 < argc) {
            bundle = argv[++i];
            continue;
        }
        if (!strncmp(argv[i], "--bundle=", 9)) {
            bundle = argv[i] + 9;
            continue;
        }
        if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store_uri = argv[i + 1];
        else if (!strncmp(argv[i], "--store=", 8))
            store_uri = argv[i] + 8;
        if (i == 1 && argv[i][0] != '-') {
            name = argv[i];
            args[n++] = NULL; /* the pipeline's path, once fetched */
            continue;
        }
        args[n++] = argv[i];
    }
    if (!bundle || !name) {
        free(args);
        return cli_usage_error(cmd, "expected PIPELINE-NAME --bundle HASH and step's options");
    }
    if (df_store_open(cli_store_uri(store_uri), &store, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    if (argo_bundle_fetch(store, name, bundle, &dir, &path, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    for (int i = 0; i < n; i++)
        if (!args[i])
            args[i] = path;
    df_store_free(store);
    store = NULL;
    /* A pod's log is its stdout: the task log goes there too (cli/tasklog.c), whatever
     * env Argo's executor sets. DUCKFLOW_LOG_STDOUT=0 in the pod turns it off. */
    setenv("DUCKFLOW_LOG_STDOUT", "1", 0);
    optind = 0; /* getopt starts afresh for cmd_step */
    rc = cmd_step(n, args);
done:
    df_store_free(store);
    if (dir) {
        struct df_error e2 = DF_ERROR_INIT;
        fs_remove_tree(dir, &e2);
    }
    free(dir);
    free(path);
    free(args);
    return rc;
}
