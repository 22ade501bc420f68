/*
 * argo_run.c - what the pods of an Argo manifest run besides `duckflow step`: the list of
 * a dynamic step's item indices for withParam, and the run record the exit handler writes
 * (see argo.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo.h"
#include "dag/plan.h"
#include "store/layout.h"
#include "util/timeutil.h"

#include "util/banned.h"

#define RUN_JSON_MAX (4 * 1024 * 1024)

int df_argo_item_indices(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, struct strbuf *out, struct df_error *err)
{
    json_t *items = NULL;
    struct strbuf list = STRBUF_INIT;
    size_t n;

    if (step >= p->n_steps)
        return df_error_set(err, DF_EUSAGE, "no step %zu", step);
    if (df_plan_items(p, step, store, run_id, &items, err))
        return -1;
    n = json_array_size(items);
    json_decref(items);
    /* Indices, not the items: the items (file lists, row values) can be large and stay in
     * the store's _items.json, which every task reads by index. */
    sb_addc(&list, '[');
    for (size_t i = 0; i < n; i++)
        sb_addf(&list, i ? ",%zu" : "%zu", i);
    sb_addc(&list, ']');
    if (list.len > DF_ARGO_PARAM_MAX) {
        df_error_set(err, DF_EUSAGE,
                     "step '%s': %zu items make a withParam list of %zu bytes, over Argo's "
                     "limit of %d; group them (files: per_task)",
                     p->steps[step].name, n, list.len, DF_ARGO_PARAM_MAX);
        sb_release(&list);
        return -1;
    }
    sb_add(out, list.buf, list.len);
    sb_release(&list);
    return 0;
}

int df_argo_finish_run(const struct df_pipeline *p, struct df_store *store,
                       const struct df_argo_finish *f, struct df_error *err)
{
    char *key = NULL, *data = NULL, *text = NULL;
    size_t len = 0;
    json_t *rec = NULL;
    char now[40];
    const char *status;
    int rc = -1;

    if (!f->run_id || !df_valid_run_id(f->run_id))
        return df_error_set(err, DF_EUSAGE, "run id '%s' is not valid", f->run_id ? f->run_id : "");
    if (!f->workflow_status)
        return df_error_set(err, DF_EUSAGE, "a workflow status is required");
    if (!strcmp(f->workflow_status, "Succeeded"))
        status = "succeeded";
    else if (!strcmp(f->workflow_status, "Failed") || !strcmp(f->workflow_status, "Error"))
        status = "failed";
    else
        return df_error_set(err, DF_EUSAGE,
                            "workflow status '%s' is not Succeeded, Failed or Error",
                            f->workflow_status);

    key = df_key_run_json(p->name, f->run_id);
    /* Keep what a run.json written earlier in the run holds; replace what we know. */
    if (df_store_get_bytes(store, key, RUN_JSON_MAX, &data, &len, err) == 0) {
        json_error_t je;
        rec = json_loadb(data, len, 0, &je);
        if (!json_is_object(rec)) {
            json_decref(rec);
            rec = NULL;
        }
    } else if (err->code == DF_ENOTFOUND) {
        df_error_clear(err);
    } else {
        df_error_prefix(err, "run '%s'", f->run_id);
        goto done;
    }
    if (!rec)
        rec = json_object();

    df_iso_now(now, sizeof(now));
    json_object_set_new(rec, "format", json_integer(1));
    json_object_set_new(rec, "pipeline", json_string(p->name));
    json_object_set_new(rec, "run", json_string(f->run_id));
    json_object_set_new(rec, "spec_hash", json_string(p->spec_hash));
    json_object_set(rec, "params", p->params);
    json_object_set_new(rec, "status", json_string(status));
    if (f->created_at && *f->created_at)
        json_object_set_new(rec, "started_at", json_string(f->created_at));
    else if (!json_object_get(rec, "started_at"))
        json_object_set_new(rec, "started_at", json_string(now));
    json_object_set_new(rec, "finished_at", json_string(now));
    json_object_set_new(rec, "executor", json_string("argo"));
    json_object_set_new(rec, "workflow_status", json_string(f->workflow_status));

    text = json_dumps(rec, JSON_INDENT(2));
    if (!text) {
        df_error_set(err, DF_EIO, "cannot encode run.json");
        goto done;
    }
    if (df_store_put_bytes(store, key, text, strlen(text), err)) {
        df_error_prefix(err, "run '%s'", f->run_id);
        goto done;
    }
    rc = 0;
done:
    free(text);
    free(data);
    free(key);
    json_decref(rec);
    return rc;
}
