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

char *df_key_run_manifests(const char *pipeline, const char *run)
{
    char *run_key = df_key_run(pipeline, run), *key = xasprintf("%s/%s", run_key, DF_RUN_MANIFESTS);
    free(run_key);
    return key;
}

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

int df_run_index_write_snap(struct df_store *s, const char *pipeline, const char *run,
                            const struct df_run_snap *snap, struct df_error *err)
{
    char *key = df_key_run_manifests(pipeline, run), *text = NULL;
    json_t *out = json_object(), *v, *record = NULL;
    int rc = -1;

    if (snap->list_code) {
        df_error_set(err, snap->list_code, "%s", snap->list_error);
        goto out;
    }
    /* The run record as it is now (the run's end wrote it last, before this). */
    if (snap->record) {
        json_t *m = df_run_record_pick(snap->record, snap->record_len);
        if (m)
            record = json_pack("{s:I, s:o}", "size", (json_int_t)snap->record_len, "members", m);
    } else if (snap->record_code != DF_ENOTFOUND) {
        df_error_set(err, snap->record_code, "%s", snap->record_error);
        goto out;
    }
    for (size_t i = 0; i < snap->n; i++) {
        const struct df_run_snap_task *t = &snap->t[i];
        json_t *folders, *unused;
        const char *name;

        if (t->get_code == DF_ENOTFOUND)
            continue; /* gone since the listing: no entry, readers look */
        if (t->get_code) {
            df_error_set(err, t->get_code, "%s", t->error);
            goto out;
        }
        if (!t->picked)
            continue; /* unreadable: readers read it themselves */
        folders = json_array();
        json_object_foreach(t->folders, name, unused)
            json_array_append_new(folders, json_string(name));
        json_object_set_new(out, t->task,
                            json_pack("{s:I, s:o, s:O}", "size", (json_int_t)t->len, "folders",
                                      folders, "manifest", t->picked));
    }
    v = json_pack("{s:i, s:s, s:s, s:O}", "format", 1, "pipeline", pipeline, "run", run, "tasks",
                  out);
    if (record)
        json_object_set(v, "record", record);
    text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    rc = df_store_put_bytes(s, key, text, strlen(text), err);
out:
    free(text);
    json_decref(record);
    json_decref(out);
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
