/*
 * cmd_argo_items.c - `duckflow argo items PIPELINE --run RUN --step S --store URI`: the
 * items task of a dynamic step in an Argo manifest. Computes the step's items once (kept
 * in the store as _items.json) and prints the JSON list of their indices for withParam.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo.h"
#include "cli/cli.h"
#include "cli/cmd_argo.h"

#include "util/banned.h"

int cmd_argo_items(int argc, char **argv)
{
    const char *cmd = "argo items";
    struct df_error err = DF_ERROR_INIT;
    struct argo_pod a;
    struct strbuf out = STRBUF_INIT;
    int rc = argo_pod_open(cmd, argc, argv, ARGO_POD_STEP, &a), si;

    if (rc)
        goto done;
    si = df_pipeline_step_index(a.p, a.step);
    if (si < 0) /* the manifest's shared template passes the step's task name */
        si = df_argo_task_step(a.p, a.step);
    if (si < 0) {
        rc = cli_no_step(cmd, a.p, a.step);
        goto done;
    }
    /* A run removed by `runs rm` or gc gets no _items.json written into it. */
    if ((rc = cli_refuse_removed_run(a.store, a.p->name, a.run)) != 0)
        goto done;
    if (df_argo_item_indices(a.p, (size_t)si, a.store, a.run, a.per_pod, &out, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    sb_addc(&out, '\n');
    fwrite(out.buf, 1, out.len, stdout);
done:
    sb_release(&out);
    argo_pod_release(&a);
    return rc < 0 ? 0 : rc;
}
