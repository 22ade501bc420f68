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

void df_run_snap_take(struct df_store *s, const char *pipeline, const char *run,
                      struct df_run_snap *out)
{
    char *run_key = df_key_run(pipeline, run), *prefix = xasprintf("%s/", run_key);
    char *rkey = df_key_run_json(pipeline, run);
    struct listing l = {strlen(prefix), json_object(), json_array()};
    struct df_error err = DF_ERROR_INIT;
    json_t *v;
    size_t i;

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
        t->folders = json_incref(json_object_get(l.tasks, t->task));
        df_error_clear(&err);
        if (df_store_get_bytes(s, key, DF_CAP_MANIFEST, &data, &t->len, &err) != 0) {
            t->get_code = t->code = err.code ? err.code : DF_EIO;
            t->error = xstrdup(err.msg);
        } else {
            t->picked = df_manifest_pick(data, t->len);
            if (df_manifest_parse(key, data, t->len, &t->doc, &err) != 0) {
                t->code = err.code ? err.code : DF_EIO;
                t->error = xstrdup(err.msg);
            }
        }
        free(data);
    }
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
        json_decref(snap->t[i].folders);
        json_decref(snap->t[i].doc);
        json_decref(snap->t[i].picked);
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
