/*
 * runsnap.c - the run's folder, run.json and manifests read once for the end of a run
 * (see runsnap.h): one listing, then one GET per manifest, each parsed whole (for the
 * lineage events and views.sql) and picked (for _manifests.json) from the same bytes.
 */
#include "store/runsnap.h"

#include <stdlib.h>
#include <string.h>

#include "store/caps.h"
#include "store/jsonpick.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/names.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct listing {
    size_t plen;   /* length of "<pipeline>/runs/<run>/" */
    json_t *tasks; /* "<step>/<item>" -> {"<folder>": true} */
    json_t *keys;  /* the manifests' keys, in listing (key) order */
};

/* "<step>/<item>/_manifest.json" and "<step>/<item>/<folder>/..." under the run (as
 * runindex.c read them). */
static int collect(const char *key, uint64_t size, void *ud)
{
    struct listing *l = ud;
    const char *rest = key + l->plen, *s1, *s2, *s3;
    json_t *folders;
    char *task;
    (void)size;

    if (strlen(key) <= l->plen || !(s1 = strchr(rest, '/')) || !(s2 = strchr(s1 + 1, '/')))
        return 0;
    task = xstrndup(rest, (size_t)(s2 - rest));
    folders = json_object_get(l->tasks, task);
    if (!folders) {
        folders = json_object();
        json_object_set_new(l->tasks, task, folders);
    }
    if (!strcmp(s2, "/_manifest.json")) {
        json_array_append_new(l->keys, json_string(key));
    } else if ((s3 = strchr(s2 + 1, '/')) != NULL) {
        char *folder = xstrndup(s2 + 1, (size_t)(s3 - s2 - 1));
        json_object_set_new(folders, folder, json_true());
        free(folder);
    }
    free(task);
    return 0;
}

/* The value cache holds under name when equal to v (shared then, not kept once per
 * task), else v, which becomes the one to compare with. The cache is of one step: its
 * tasks mostly have the same pipeline, run, step, inputs and schemas. */
static json_t *shared(json_t *cache, const char *name, json_t *v)
{
    json_t *have = json_object_get(cache, name);
    if (have && json_equal(have, v))
        return have;
    json_object_set(cache, name, v);
    return v;
}

/* Of a whole manifest, what the run end's readers use (lineage.c's step events,
 * publish.c's views, df_manifest_table_keys, df_manifest_sort): the task's names, item
 * index and times, its inputs' sources, and per table its counts, schema and files' paths
 * and partitions. Values are shared with doc (not copied); doc may be released after. */
static json_t *slim(json_t *doc, json_t *cache)
{
    /* The first three are shared between the tasks of a step (shared()). */
    static const char *const keep[] = {"pipeline",   "run",        "step",       "item_key",
                                       "item_index", "files_root", "started_at", "finished_at"};
    json_t *out = json_object(), *tables = json_object(), *inputs = json_array(), *v, *tt;
    const char *name;
    size_t i;

    for (i = 0; i < sizeof(keep) / sizeof(*keep); i++)
        if ((v = json_object_get(doc, keep[i])) != NULL)
            json_object_set(out, keep[i], i < 3 ? shared(cache, keep[i], v) : v);
    json_array_foreach(json_object_get(doc, "inputs"), i, v)
    {
        json_t *in = json_object(), *src = json_object_get(v, "source");
        if (src)
            json_object_set(in, "source", src);
        json_array_append_new(inputs, in);
    }
    json_object_foreach(json_object_get(doc, "tables"), name, tt)
    {
        json_t *t = json_object(), *files = json_array(), *f;
        size_t k;
        static const char *const counts[] = {"rows", "bytes"};
        for (k = 0; k < 2; k++)
            if ((v = json_object_get(tt, counts[k])) != NULL)
                json_object_set(t, counts[k], v);
        if ((v = json_object_get(tt, "schema")) != NULL) {
            char *what = xasprintf("schema of %s", name);
            json_object_set(t, "schema", shared(cache, what, v));
            free(what);
        }
        json_array_foreach(json_object_get(tt, "files"), k, f)
        {
            json_t *file = json_object();
            if ((v = json_object_get(f, "path")) != NULL)
                json_object_set(file, "path", v);
            if ((v = json_object_get(f, "partition")) != NULL)
                json_object_set(file, "partition", v);
            json_array_append_new(files, file);
        }
        if (json_is_array(json_object_get(tt, "files")))
            json_object_set_new(t, "files", files);
        else
            json_decref(files);
        json_object_set_new(tables, name, t);
    }
    if (json_is_array(json_object_get(doc, "inputs")))
        json_object_set(out, "inputs", shared(cache, "inputs", inputs));
    json_decref(inputs);
    if (json_is_object(json_object_get(doc, "tables")))
        json_object_set_new(out, "tables", tables);
    else
        json_decref(tables);
    return out;
}

void df_run_snap_take(struct df_store *s, const char *pipeline, const char *run,
                      struct df_run_snap *out)
{
    char *run_key = df_key_run(pipeline, run), *prefix = xasprintf("%s/", run_key);
    char *rkey = df_key_run_json(pipeline, run);
    struct listing l = {strlen(prefix), json_object(), json_array()};
    struct df_error err = DF_ERROR_INIT;
    json_t *v, *cache = json_object(); /* of one step: shared() */
    size_t i, step_len = 0;

    memset(out, 0, sizeof(*out));
    if (df_store_list(s, prefix, collect, &l, &err) != 0) {
        out->list_code = err.code ? err.code : DF_EIO;
        out->list_error = xstrdup(err.msg);
        json_array_clear(l.keys);
    }
    df_error_clear(&err);
    if (df_store_get_bytes(s, rkey, DF_CAP_RUN_JSON, &out->record, &out->record_len, &err) != 0) {
        free(out->record);
        out->record = NULL;
        out->record_code = err.code ? err.code : DF_EIO;
        out->record_error = xstrdup(err.msg);
    }
    out->t = xcalloc(json_array_size(l.keys) + 1, sizeof(*out->t));
    json_array_foreach(l.keys, i, v)
    {
        struct df_run_snap_task *t = &out->t[out->n++];
        const char *key = json_string_value(v), *rest = key + l.plen;
        char *data = NULL;

        t->task = xstrndup(rest, strlen(rest) - strlen("/_manifest.json"));
        t->step_len = (size_t)(strchr(t->task, '/') - t->task);
        if (out->n > 1 &&
            (t->step_len != step_len || strncmp(t->task, out->t[out->n - 2].task, step_len) != 0))
            json_object_clear(cache); /* another step */
        step_len = t->step_len;
        {
            /* As text: held for the whole run end, the folders of 10,000 tasks as JSON
             * took ~300 bytes each. */
            json_t *folders = json_array(), *unused;
            const char *name;
            json_object_foreach(json_object_get(l.tasks, t->task), name, unused)
                json_array_append_new(folders, json_string(name));
            t->folders = json_dumps(folders, JSON_COMPACT);
            json_decref(folders);
            json_object_del(l.tasks, t->task);
        }
        df_error_clear(&err);
        if (df_store_get_bytes(s, key, DF_CAP_MANIFEST, &data, &t->len, &err) != 0) {
            t->get_code = t->code = err.code ? err.code : DF_EIO;
            t->error = xstrdup(err.msg);
        } else {
            json_t *picked = df_manifest_pick(data, t->len), *doc = NULL;
            /* As _manifests.json will hold it: ~2 KiB less per task than the tree. */
            t->picked = picked ? json_dumps(picked, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            json_decref(picked);
            if (df_manifest_parse(key, data, t->len, &doc, &err) != 0) {
                t->code = err.code ? err.code : DF_EIO;
                t->error = xstrdup(err.msg);
            } else {
                /* Not the whole tree: 10,000 of them took 14 KiB each (docs/benchmarks.md). */
                t->doc = slim(doc, cache);
                json_decref(doc);
            }
        }
        free(data);
    }
    json_decref(cache);
    json_decref(l.tasks);
    json_decref(l.keys);
    free(rkey);
    free(prefix);
    free(run_key);
}

void df_run_snap_release(struct df_run_snap *snap)
{
    for (size_t i = 0; i < snap->n; i++) {
        free(snap->t[i].task);
        free(snap->t[i].folders);
        json_decref(snap->t[i].doc);
        free(snap->t[i].picked);
        free(snap->t[i].error);
    }
    free(snap->t);
    free(snap->list_error);
    free(snap->record);
    free(snap->record_error);
    memset(snap, 0, sizeof(*snap));
}

int df_run_snap_steps(const struct df_run_snap *snap, json_t **out, struct df_error *err)
{
    const char *last = NULL;
    size_t last_len = 0;

    *out = NULL;
    if (snap->list_code)
        return df_error_set(err, snap->list_code, "%s", snap->list_error);
    *out = json_array();
    for (size_t i = 0; i < snap->n; i++) {
        const struct df_run_snap_task *t = &snap->t[i];
        char *step;
        if (t->step_len == 0 || !t->task[t->step_len + 1])
            continue;
        if (last && last_len == t->step_len && !strncmp(last, t->task, t->step_len))
            continue;
        last = t->task;
        last_len = t->step_len;
        step = xstrndup(t->task, t->step_len);
        if (df_valid_ident(step))
            json_array_append_new(*out, json_string(step));
        free(step);
    }
    return 0;
}

int df_run_snap_step(const struct df_run_snap *snap, const char *step, json_t **out,
                     struct df_error *err)
{
    size_t n = strlen(step), nv = 0;
    json_t **v = xcalloc(snap->n + 1, sizeof(*v));

    *out = NULL;
    if (snap->list_code) {
        free(v);
        return df_error_set(err, snap->list_code, "%s", snap->list_error);
    }
    for (size_t i = 0; i < snap->n; i++) {
        const struct df_run_snap_task *t = &snap->t[i];
        if (t->step_len != n || strncmp(t->task, step, n) != 0 || !t->task[n + 1])
            continue;
        if (!t->doc) {
            free(v);
            return df_error_set(err, t->code, "%s", t->error);
        }
        v[nv++] = t->doc;
    }
    df_manifest_sort(v, nv);
    *out = json_array();
    for (size_t i = 0; i < nv; i++)
        json_array_append(*out, v[i]);
    free(v);
    return 0;
}
