/*
 * runindex.c - a run's _manifests.json: written at the run's end from one listing of the
 * run's folder and its manifests, read by gc and retention (exec/storeindex.c) in place of
 * the manifests while the listing shows them unchanged (see runindex.h).
 */
#include "store/runindex.h"

#include <stdlib.h>
#include <string.h>

#include "store/caps.h"
#include "store/jsonpick.h"
#include "store/layout.h"
#include "store/runsnap.h"
#include "util/strbuf.h"
#include "util/banned.h"

int df_run_index_write(struct df_store *s, const char *pipeline, const char *run,
                       struct df_error *err)
{
    struct df_run_snap snap;
    int rc;

    df_run_snap_take(s, pipeline, run, &snap);
    rc = df_run_index_write_snap(s, pipeline, run, &snap, err);
    df_run_snap_release(&snap);
    return rc;
}

/* Tasks by name, as JSON_SORT_KEYS orders the members of "tasks". */
static int by_task(const void *a, const void *b)
{
    return strcmp((*(const struct df_run_snap_task *const *)a)->task,
                  (*(const struct df_run_snap_task *const *)b)->task);
}

/* A JSON string, appended. */
static void add_json_string(struct strbuf *sb, const char *s)
{
    json_t *j = json_string(s);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    sb_adds(sb, text ? text : "null");
    free(text);
    json_decref(j);
}

int df_run_index_write_snap(struct df_store *s, const char *pipeline, const char *run,
                            const struct df_run_snap *snap, struct df_error *err)
{
    char *key = df_key_run_manifests(pipeline, run), *rtext = NULL;
    struct strbuf text = STRBUF_INIT;
    const struct df_run_snap_task **order = NULL;
    size_t n = 0;
    int rc = -1, first = 1;

    if (snap->list_code) {
        df_error_set(err, snap->list_code, "%s", snap->list_error);
        goto out;
    }
    /* The run record as it is now (the run's end wrote it last, before this). */
    if (snap->record) {
        json_t *m = df_run_record_pick(snap->record, snap->record_len), *record;
        if (m) {
            record = json_pack("{s:I, s:o}", "size", (json_int_t)snap->record_len, "members", m);
            rtext = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(record);
        }
    } else if (snap->record_code != DF_ENOTFOUND) {
        df_error_set(err, snap->record_code, "%s", snap->record_error);
        goto out;
    }
    order = xcalloc(snap->n + 1, sizeof(*order));
    for (size_t i = 0; i < snap->n; i++) {
        const struct df_run_snap_task *t = &snap->t[i];
        if (t->get_code == DF_ENOTFOUND)
            continue; /* gone since the listing: no entry, readers look */
        if (t->get_code) {
            df_error_set(err, t->get_code, "%s", t->error);
            goto out;
        }
        if (t->picked) /* else unreadable: readers read it themselves */
            order[n++] = t;
    }
    qsort(order, n, sizeof(*order), by_task);
    /* Written piece by piece, the text json_dumps(JSON_COMPACT | JSON_SORT_KEYS) makes of
     * {"format", "pipeline", "record", "run", "tasks": {"<task>": {"folders", "manifest",
     * "size"}}}: the manifests are kept as text (runsnap.h), not as 10,000 trees. */
    sb_adds(&text, "{\"format\":1,\"pipeline\":");
    add_json_string(&text, pipeline);
    if (rtext) {
        sb_adds(&text, ",\"record\":");
        sb_adds(&text, rtext);
    }
    sb_adds(&text, ",\"run\":");
    add_json_string(&text, run);
    sb_adds(&text, ",\"tasks\":{");
    for (size_t k = 0; k < n; k++) {
        const struct df_run_snap_task *t = order[k];
        if (k && !strcmp(t->task, order[k - 1]->task))
            continue; /* a member once, as in an object */
        if (!first)
            sb_addc(&text, ',');
        first = 0;
        add_json_string(&text, t->task);
        sb_adds(&text, ":{\"folders\":");
        sb_adds(&text, t->folders ? t->folders : "[]");
        sb_adds(&text, ",\"manifest\":");
        sb_adds(&text, t->picked);
        sb_addf(&text, ",\"size\":%zu}", t->len);
    }
    sb_adds(&text, "}}");
    rc = df_store_put_bytes(s, key, text.buf, text.len, err);
out:
    sb_release(&text);
    free(order);
    free(rtext);
    free(key);
    return rc;
}

int df_run_index_forget(struct df_store *s, const char *pipeline, const char *run,
                        struct df_error *err)
{
    char *key = df_key_run_manifests(pipeline, run);
    int rc = df_store_remove(s, key, err);
    free(key);
    return rc;
}

json_t *df_run_index_parse(const char *data, size_t len)
{
    json_t *doc = json_loadb(data, len, 0, NULL);
    if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "format")) != 1 ||
        !json_is_object(json_object_get(doc, "tasks"))) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The "size" member of o equals size. */
static int same_size(json_t *o, uint64_t size)
{
    json_t *v = json_object_get(o, "size");
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
           (uint64_t)json_integer_value(v) == size;
}

json_t *df_run_index_manifest(json_t *doc, const char *task, uint64_t manifest_size,
                              char *const *folders, size_t n)
{
    json_t *t = json_object_get(json_object_get(doc, "tasks"), task), *recorded, *m;
    if (!json_is_object(t) || !same_size(t, manifest_size) ||
        !json_is_object(m = json_object_get(t, "manifest")) ||
        !json_is_array(recorded = json_object_get(t, "folders")))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *f;
        int found = 0;
        json_array_foreach(recorded, j, f) found |=
            json_is_string(f) && !strcmp(json_string_value(f), folders[i]);
        if (!found)
            return NULL;
    }
    return m;
}

json_t *df_run_index_record(json_t *doc, uint64_t run_json_size)
{
    json_t *r = json_object_get(doc, "record"), *m;
    if (!json_is_object(r) || !same_size(r, run_json_size) ||
        !json_is_object(m = json_object_get(r, "members")) ||
        !json_string_value(json_object_get(m, "pipeline")) ||
        !json_string_value(json_object_get(m, "run")))
        return NULL;
    return m;
}
