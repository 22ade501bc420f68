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
#include "util/strbuf.h"
#include "util/banned.h"

char *df_key_run_manifests(const char *pipeline, const char *run)
{
    char *run_key = df_key_run(pipeline, run), *key = xasprintf("%s/%s", run_key, DF_RUN_MANIFESTS);
    free(run_key);
    return key;
}

struct listed {
    size_t plen;   /* length of "<pipeline>/runs/<run>/" */
    json_t *tasks; /* "<step>/<item>" -> {"size", "folders": {name: true}} */
    json_t *order; /* manifest keys, in listing order */
};

/* "<step>/<item>/_manifest.json" and "<step>/<item>/<folder>/..." under the run. */
static int collect(const char *key, uint64_t size, void *ud)
{
    struct listed *l = ud;
    const char *rest = key + l->plen, *s1, *s2, *s3;
    json_t *t;
    char *task;

    if (strlen(key) <= l->plen || !(s1 = strchr(rest, '/')) || !(s2 = strchr(s1 + 1, '/')))
        return 0;
    task = xstrndup(rest, (size_t)(s2 - rest));
    t = json_object_get(l->tasks, task);
    if (!t) {
        t = json_pack("{s:o}", "folders", json_object());
        json_object_set_new(l->tasks, task, t);
    }
    if (!strcmp(s2, "/_manifest.json")) {
        json_object_set_new(t, "size", json_integer((json_int_t)size));
        json_array_append_new(l->order, json_string(key));
    } else if ((s3 = strchr(s2 + 1, '/')) != NULL) {
        char *folder = xstrndup(s2 + 1, (size_t)(s3 - s2 - 1));
        json_object_set_new(json_object_get(t, "folders"), folder, json_true());
        free(folder);
    }
    free(task);
    return 0;
}

int df_run_index_write(struct df_store *s, const char *pipeline, const char *run,
                       struct df_error *err)
{
    char *run_key = df_key_run(pipeline, run), *prefix = xasprintf("%s/", run_key);
    char *key = df_key_run_manifests(pipeline, run), *text = NULL;
    struct listed l = {strlen(prefix), json_object(), json_array()};
    json_t *out = json_object(), *v, *record = NULL;
    size_t i;
    int rc = -1;

    if (df_store_list(s, prefix, collect, &l, err) != 0)
        goto out;
    /* The run record as it is now (the run's end wrote it last, before this). */
    {
        char *rkey = df_key_run_json(pipeline, run), *data = NULL;
        size_t len = 0;
        json_t *m;
        if (df_store_get_bytes(s, rkey, DF_CAP_RUN_JSON, &data, &len, err) == 0) {
            if ((m = df_run_record_pick(data, len)) != NULL)
                record = json_pack("{s:I, s:o}", "size", (json_int_t)len, "members", m);
        } else if (err->code == DF_ENOTFOUND) {
            df_error_clear(err);
        } else {
            free(data);
            free(rkey);
            goto out;
        }
        free(data);
        free(rkey);
    }
    json_array_foreach(l.order, i, v)
    {
        const char *mkey = json_string_value(v), *rest = mkey + l.plen;
        char *task = xstrndup(rest, strlen(rest) - strlen("/_manifest.json"));
        json_t *t = json_object_get(l.tasks, task), *folders = json_array(), *doc;
        const char *name;
        json_t *unused;
        char *data = NULL;
        size_t len = 0;

        if (df_store_get_bytes(s, mkey, DF_CAP_MANIFEST, &data, &len, err) != 0) {
            free(task);
            json_decref(folders);
            if (err->code != DF_ENOTFOUND)
                goto out;
            df_error_clear(err); /* gone since the listing: no entry, readers look */
            continue;
        }
        doc = df_manifest_pick(data, len);
        free(data);
        if (doc) {
            json_object_foreach(json_object_get(t, "folders"), name, unused)
                json_array_append_new(folders, json_string(name));
            json_object_set_new(out, task,
                                json_pack("{s:I, s:o, s:o}", "size", (json_int_t)len, "folders",
                                          folders, "manifest", doc));
        } else {
            json_decref(folders); /* unreadable: readers read it themselves */
        }
        free(task);
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
    json_decref(l.tasks);
    json_decref(l.order);
    free(key);
    free(prefix);
    free(run_key);
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
