/*
 * cmd_argo_finish.c - `duckflow argo finish PIPELINE --run RUN --status STATUS --store URI
 * [--created-at TIME]`: the exit handler of an Argo manifest. Writes the run's run.json
 * from the committed manifests (df_argo_finish_run), and sweeps the run's stale multipart
 * uploads once (exec/sweep.h), after every task of the run has ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo.h"
#include "cli/cli.h"
#include "cli/cmd_argo.h"
#include "exec/sweep.h"
#include "store/layout.h"
#include "util/strbuf.h"

#include "util/banned.h"

int cmd_argo_finish(int argc, char **argv)
{
    const char *cmd = "argo finish";
    struct df_error err = DF_ERROR_INIT;
    struct argo_pod a;
    int rc = argo_pod_open(cmd, argc, argv, ARGO_POD_STATUS, &a);

    if (rc)
        goto done;
    struct df_argo_finish f = {a.run, a.status, a.created_at};
    if (df_argo_finish_run(a.p, a.store, &f, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    {
        char *run = df_key_run(a.p->name, a.run), *prefix = xasprintf("%s/", run);
        char *said = df_sweep_uploads(a.store, prefix);
        if (said)
            fprintf(stderr, "%s\n", said);
        free(said);
        free(prefix);
        free(run);
    }
    fprintf(stderr, "duckflow argo finish: run '%s' of '%s' %s\n", a.run, a.p->name,
            strcmp(a.status, "Succeeded") ? "failed" : "succeeded");
done:
    argo_pod_release(&a);
    return rc < 0 ? 0 : rc;
}
