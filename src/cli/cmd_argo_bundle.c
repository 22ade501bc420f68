/*
 * cmd_argo_bundle.c - `duckflow argo bundle PIPELINE --bundle HASH --store URI`: the first
 * pod of an Argo manifest, the only one whose template carries the pipeline's files. Loads
 * the pipeline, checks that its files make the bundle the manifest names, and writes them
 * to the store once (<pipeline>/bundles/<hash>/), for every other pod to read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo.h"
#include "cli/cli.h"
#include "cli/cmd_argo.h"

#include "util/banned.h"

int cmd_argo_bundle(int argc, char **argv)
{
    const char *cmd = "argo bundle";
    struct df_error err = DF_ERROR_INIT;
    struct argo_pod a;
    int rc = argo_pod_open(cmd, argc, argv, ARGO_POD_BUNDLE | ARGO_POD_NORUN, &a);

    if (rc)
        goto done;
    if (df_argo_bundle_put(a.p, a.store, a.bundle, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    fprintf(stderr, "duckflow argo bundle: '%s' bundle %.12s is in the store\n", a.p->name,
            a.bundle);
done:
    argo_pod_release(&a);
    return rc < 0 ? 0 : rc;
}
