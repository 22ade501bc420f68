/*
 * argo_run.c - what the pods of an Argo manifest run besides `duckflow step`: the list of
 * a dynamic step's item indices for withParam, and the run record the exit handler writes
 * (see argo.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/caps.h"
#include "argo/argo.h"
#include "dag/plan.h"
#include "engine/items.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/publish.h"
#include "util/timeutil.h"

#include "util/banned.h"

int df_argo_item_indices(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, int per_pod, struct strbuf *out, struct df_error *err)
{
    json_t *items = NULL;
    struct strbuf list = STRBUF_INIT;
    size_t n;

    if (step >= p->n_steps)
        return df_error_set(err, DF_EUSAGE, "no step %zu", step);
    if (df_step_items(p, step, store, run_id, &items, err))
        return -1;
    n = json_array_size(items);
    json_decref(items);
    /* With tasks_per_pod N, one entry per group of N items (pod g runs g*N .. g*N+N-1);
     * without it, one per pod of the automatic batching (argo.h). */
    if (per_pod > 1)
        n = (n + (size_t)per_pod - 1) / (size_t)per_pod;
    else if (df_argo_auto_batched(p, step))
        n = df_argo_auto_groups(n);
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

/* Milliseconds since the epoch of an RFC 3339 time ("2026-11-27T03:00:00Z",
 * "2026-11-27T04:00:00.5+01:00": a fraction and any offset, as the controller's time zone
 * gives {{workflow.creationTimestamp}}), or -1. */
static int64_t parse_rfc3339_ms(const char *s)
{
    struct tm tm;
    char *end;
    int64_t ms = 0, off_min = 0;

    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, "%Y-%m-%dt%H:%M:%S", &tm);
        if (!end)
            return -1;
    }
    if (*end == '.') {
        int64_t scale = 100;
        if (end[1] < '0' || end[1] > '9')
            return -1;
        for (end++; *end >= '0' && *end <= '9'; end++) {
            ms += (*end - '0') * scale;
            scale /= 10;
        }
    }
    if (!strcmp(end, "Z") || !strcmp(end, "z")) {
        off_min = 0;
    } else if ((end[0] == '+' || end[0] == '-') && strlen(end) == 6 && end[3] == ':') {
        int hh, mm;
        for (int i = 1; i < 6; i++)
            if (i != 3 && (end[i] < '0' || end[i] > '9'))
                return -1;
        hh = (end[1] - '0') * 10 + (end[2] - '0');
        mm = (end[4] - '0') * 10 + (end[5] - '0');
        if (hh > 23 || mm > 59)
            return -1;
        off_min = (end[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    } else {
        return -1;
    }
    return ((int64_t)timegm(&tm) - off_min * 60) * 1000 + ms;
}

/* What the store says about one step: its committed tasks, and how many it planned (the
 * static count, or the length of its stored _items.json). */
static json_t *step_record(const struct df_pipeline *p, struct df_store *store, const char *run,
                           size_t i, int run_failed, int64_t *total_out, int64_t *done_out,
                           struct df_error *err)
{
    const struct df_step *st = &p->steps[i];
    struct df_error e = DF_ERROR_INIT;
    json_t *rec = json_object(), *tasks = json_object(), *mans = NULL, *m;
    int64_t total = df_plan_task_count(p, i), done = 0, rows = 0, bytes = 0, time_ms = 0;
    int64_t reused = 0; /* committed from the cache: the files of an earlier run */
    int planned = total >= 0;
    size_t k;

    if (df_manifest_list_step(store, p->name, run, st->name, &mans, &e) != 0) {
        /* Counting tasks from a listing that failed would record a wrong run. */
        *err = e;
        df_error_prefix(err, "step '%s'", st->name);
        json_decref(rec);
        json_decref(tasks);
        return NULL;
    } else {
        json_array_foreach(mans, k, m)
        {
            const char *name;
            json_t *t;
            done++;
            reused += json_is_string(json_object_get(m, "reused_from_run"));
            json_object_foreach(json_object_get(m, "tables"), name, t)
            {
                rows += json_integer_value(json_object_get(t, "rows"));
                bytes += json_integer_value(json_object_get(t, "bytes"));
            }
            time_ms +=
                json_integer_value(json_object_get(json_object_get(m, "timings_ms"), "total"));
        }
    }
    json_decref(mans);
    if (!planned) {
        /* `each` steps have the items of the step they map, stored under that step. */
        size_t root = i;
        for (size_t hops = 0; hops < p->n_steps && p->steps[root].foreach.kind == DF_FOREACH_EACH &&
                              p->steps[root].foreach.each_index >= 0;
             hops++)
            root = (size_t)p->steps[root].foreach.each_index;
        char *key = df_key_items(p->name, run, p->steps[root].name), *data = NULL;
        size_t len = 0;
        df_error_clear(&e);
        if (df_store_get_bytes(store, key, DF_CAP_ITEMS, &data, &len, &e) == 0) {
            json_error_t je;
            json_t *items = json_loadb(data, len, 0, &je);
            if (json_is_array(items)) {
                total = (int64_t)json_array_size(items);
                planned = 1;
            } else {
                df_error_set(&e, DF_EIO, "'%s' is not a JSON list", key);
            }
            json_decref(items);
        }
        free(data);
        free(key);
        if (!planned && e.code && e.code != DF_ENOTFOUND) {
            /* Not planned only when there is no _items.json; an unreadable one is an error. */
            *err = e;
            df_error_prefix(err, "step '%s'", st->name);
            json_decref(rec);
            json_decref(tasks);
            return NULL;
        }
    }
    if (!planned)
        total = done;
    json_object_set_new(rec, "name", json_string(st->name));
    json_object_set_new(rec, "status",
                        json_string(done >= total ? "succeeded"
                                    : run_failed  ? "failed"
                                                  : "succeeded"));
    json_object_set_new(rec, "planned", json_boolean(planned));
    json_object_set_new(tasks, "total", json_integer(total));
    json_object_set_new(tasks, "done", json_integer(done));
    json_object_set_new(tasks, "failed", json_integer(total > done ? total - done : 0));
    json_object_set_new(tasks, "running", json_integer(0));
    json_object_set_new(tasks, "reused", json_integer(reused));
    json_object_set_new(rec, "tasks", tasks);
    json_object_set_new(rec, "rows", json_integer(rows));
    json_object_set_new(rec, "bytes", json_integer(bytes));
    json_object_set_new(rec, "task_time_ms", json_integer(time_ms));
    json_object_set_new(rec, "exit_class", json_null());
    *total_out += total;
    *done_out += done;
    return rec;
}

int df_argo_finish_run(const struct df_pipeline *p, struct df_store *store,
                       const struct df_argo_finish *f, struct df_error *err)
{
    char *key = NULL, *data = NULL, *text = NULL;
    size_t len = 0;
    json_t *rec = NULL, *steps = NULL;
    char now[40], created[40] = "";
    const char *status;
    int64_t total = 0, done = 0, started_ms, now_ms;
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
    if (f->created_at && *f->created_at) {
        int64_t c = parse_rfc3339_ms(f->created_at);
        time_t secs;
        struct tm tm;
        if (c < 0)
            return df_error_set(err, DF_EUSAGE, "time '%s' is not an RFC 3339 time", f->created_at);
        /* Kept in UTC, like every time in run.json. */
        secs = (time_t)(c / 1000);
        gmtime_r(&secs, &tm);
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }

    key = df_key_run_json(p->name, f->run_id);
    /* Keep what a run.json written earlier in the run holds; replace what we know. */
    if (df_store_get_bytes(store, key, DF_CAP_RUN_JSON, &data, &len, err) == 0) {
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

    steps = json_array();
    for (size_t k = 0; k < p->n_steps; k++) {
        size_t i = p->order ? p->order[k] : k;
        json_t *sr = step_record(p, store, f->run_id, i, strcmp(status, "succeeded") != 0, &total,
                                 &done, err);
        if (!sr) {
            df_error_prefix(err, "run '%s'", f->run_id);
            goto done;
        }
        json_array_append_new(steps, sr);
    }

    df_iso_now(now, sizeof(now));
    json_object_set_new(rec, "format", json_integer(1));
    json_object_set_new(rec, "pipeline", json_string(p->name));
    json_object_set_new(rec, "run", json_string(f->run_id));
    json_object_set_new(rec, "status", json_string(status));
    json_object_set_new(rec, "executor", json_string("argo"));
    json_object_set_new(rec, "pipeline_file", json_string(p->path));
    json_object_set_new(rec, "spec_hash", json_string(p->spec_hash));
    json_object_set(rec, "params", p->params);
    if (*created)
        json_object_set_new(rec, "started_at", json_string(created));
    else if (!json_is_string(json_object_get(rec, "started_at")))
        json_object_set_new(rec, "started_at", json_string(now));
    json_object_set_new(rec, "updated_at", json_string(now));
    json_object_set_new(rec, "finished_at", json_string(now));
    started_ms = parse_rfc3339_ms(json_string_value(json_object_get(rec, "started_at")));
    now_ms = parse_rfc3339_ms(now);
    json_object_set_new(
        rec, "elapsed_ms",
        json_integer(started_ms >= 0 && now_ms >= started_ms ? now_ms - started_ms : 0));
    json_object_set_new(rec, "tasks_total", json_integer(total));
    json_object_set_new(rec, "tasks_done", json_integer(done));
    json_object_set_new(rec, "tasks_failed", json_integer(total > done ? total - done : 0));
    {
        /* As a local run's record: `duckflow runs` says "(N reused)". */
        json_int_t reused = 0;
        json_t *sr;
        size_t k;
        json_array_foreach(steps, k, sr) reused +=
            json_integer_value(json_object_get(json_object_get(sr, "tasks"), "reused"));
        json_object_set_new(rec, "tasks_reused", json_integer(reused));
    }
    json_object_set_new(rec, "steps", steps);
    steps = NULL;
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
    if (df_run_end_outputs(store, p->name, f->run_id, !strcmp(status, "succeeded"), err) != 0)
        goto done;
    rc = 0;
done:
    free(text);
    free(data);
    free(key);
    json_decref(steps);
    json_decref(rec);
    return rc;
}
