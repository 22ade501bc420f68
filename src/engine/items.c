/*
 * items.c - items of dynamic fan-out (see items.h): `files` groups the files of an
 * external glob or of a step's committed output, K per task in name order; `rows` runs a
 * query over the step's inputs and makes one item per row.
 */
#include "store/caps.h"
#include "engine/items.h"

#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "engine/task_internal.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/globstar.h"
#include "util/jsonarr.h"
#include "util/strbuf.h"
#include "util/uri.h"
#include "util/banned.h"

static int by_string(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The files of an external source: local paths (glob(3), name order) or object URIs. */
static int external_files(const char *uri, json_t *out, struct df_error *err)
{
    char **paths;
    size_t n;
    int grc;

    if (df_uri_is_object(uri))
        return df_task_object_glob(uri, out, err);
    uri = df_uri_local_path(uri);
    grc = df_glob_local(uri, &paths, &n);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_string(paths[i]));
    df_glob_free(paths, n);
    if (grc != 0)
        return df_error_set(err, DF_EIO, "cannot expand '%s'", uri);
    return 0;
}

/* The committed files of step si's table, in key order; every task must have committed. */
static int step_files(const struct df_pipeline *p, int si, const char *table,
                      struct df_store *store, const char *run_id, json_t *out, struct df_error *err)
{
    json_t *ms = NULL, *up_items = NULL, *m;
    const char *up = p->steps[si].name;
    size_t i;
    int rc = -1;

    if (df_step_items(p, (size_t)si, store, run_id, &up_items, err) != 0)
        goto done;
    if (df_manifest_list_step(store, p->name, run_id, up, &ms, err) != 0)
        goto done;
    if (json_array_size(ms) < json_array_size(up_items)) {
        df_error_set(err, DF_EFAIL, "step '%s' has committed %zu of its %zu tasks", up,
                     json_array_size(ms), json_array_size(up_items));
        goto done;
    }
    json_array_foreach(ms, i, m) df_manifest_table_keys(m, table, out);
    df_json_array_sort(out, by_string); /* byte order */
    rc = 0;
done:
    json_decref(ms);
    json_decref(up_items);
    return rc;
}

/* {"files": [...]} for each group of per_task files, plus "partition": the Hive partition
 * values that every file of the group shares (omitted when they share none). */
static json_t *group_files(json_t *files, int64_t per_task)
{
    json_t *items = json_array();
    size_t n = json_array_size(files);

    if (per_task < 1)
        per_task = 1;
    for (size_t start = 0; start < n; start += (size_t)per_task) {
        json_t *item = json_object(), *group = json_array(), *part = NULL;
        for (size_t i = start; i < n && i < start + (size_t)per_task; i++) {
            json_t *f = json_array_get(files, i);
            json_t *pv = df_task_path_partition(json_string_value(f));
            json_array_append(group, f);
            if (i == start) {
                part = pv;
                continue;
            }
            if (part) {
                /* Keep only the keys whose value is the same in this file. */
                const char *k;
                json_t *v;
                void *tmp;
                json_object_foreach_safe(part, tmp, k, v)
                {
                    if (!pv || !json_equal(v, json_object_get(pv, k)))
                        json_object_del(part, k);
                }
            }
            json_decref(pv);
        }
        json_object_set_new(item, "files", group);
        if (part && json_object_size(part))
            json_object_set(item, "partition", part);
        json_decref(part);
        json_array_append_new(items, item);
    }
    return items;
}

static int files_items(const struct df_pipeline *p, const struct df_step *s, struct df_store *store,
                       const char *run_id, json_t **items, struct df_error *err)
{
    const struct df_foreach *fe = &s->foreach;
    json_t *files = json_array();
    int rc;

    if (fe->files_step >= 0)
        rc = step_files(p, fe->files_step, fe->files_table, store, run_id, files, err);
    else if (fe->files_input >= 0)
        rc = external_files(s->inputs[fe->files_input].uri, files, err);
    else
        rc = df_error_set(err, DF_EUSAGE, "foreach files: source '%s' is not resolved",
                          fe->files_source);
    if (rc == 0)
        *items = group_files(files, fe->per_task);
    json_decref(files);
    return rc;
}

static int rows_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                      const char *run_id, json_t **items, struct df_error *err)
{
    const struct df_step *s = &p->steps[step];
    json_t *rows = NULL, *row, *out;
    size_t i;

    struct df_run_items ri;

    df_run_items_init(&ri, store, run_id);
    if (df_task_query_inputs(p, step, store, run_id, &ri.resolver, s->foreach.rows_sql, &rows,
                             err) != 0)
        return -1;
    out = json_array();
    json_array_foreach(rows, i, row)
    {
        if (json_is_object(row) && json_object_size(row) == 1) {
            void *it = json_object_iter(row);
            json_array_append(out, json_object_iter_value(it));
        } else {
            json_array_append(out, row);
        }
    }
    json_decref(rows);
    *items = out;
    return 0;
}

int df_dynamic_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                     const char *run_id, json_t **items, struct df_error *err)
{
    const struct df_step *s;
    int rc;

    *items = NULL;
    if (!p || step >= p->n_steps)
        return df_error_set(err, DF_EUSAGE, "no step %zu in the pipeline", step);
    s = &p->steps[step];
    switch (s->foreach.kind) {
    case DF_FOREACH_FILES:
        rc = files_items(p, s, store, run_id, items, err);
        break;
    case DF_FOREACH_ROWS:
        rc = rows_items(p, step, store, run_id, items, err);
        break;
    default:
        rc = df_error_set(err, DF_EUSAGE, "step '%s' has no dynamic fan-out", s->name);
        break;
    }
    return rc;
}

/* ---- the items of a step in a run: computed once, kept in the store ------------------- */

/* An _items.json larger than this is not a list a run can fan out over. */

/* Reads <run>/<step>/_items.json; 1 when found, 0 when missing, -1 when it cannot be
 * read, -2 when what it holds is not a JSON list (both DF_EIO). */
static int read_items(struct df_store *store, const char *key, json_t **items, struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    json_error_t jerr;
    char *data = NULL;
    size_t len = 0;
    json_t *j;

    if (df_store_get_bytes(store, key, DF_CAP_ITEMS, &data, &len, &e) < 0) {
        if (e.code == DF_ENOTFOUND)
            return 0;
        df_error_set(err, e.code ? e.code : DF_EIO, "%s", e.msg);
        return -1;
    }
    j = json_loadb(data, len, 0, &jerr);
    free(data);
    if (!j || !json_is_array(j)) {
        json_decref(j);
        df_error_set(err, DF_EIO, "'%s' is not a json list%s%s", key, j ? "" : ": ",
                     j ? "" : jerr.text);
        return -2;
    }
    *items = j;
    return 1;
}

static int cached_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                        const char *run_id, json_t **items, struct df_error *err)
{
    char *key = NULL, *text = NULL;
    json_t *computed = NULL;
    int rc = -1, found;

    if (!store || !run_id)
        return df_error_set(err, DF_EUSAGE,
                            "step '%s': items are known only in a run (need a store and a "
                            "run id)",
                            p->steps[step].name);
    key = df_key_items(p->name, run_id, p->steps[step].name);
    found = read_items(store, key, items, err);
    if (found != 0) {
        rc = found < 0 ? -1 : 0;
        goto done;
    }
    if (df_dynamic_items(p, step, store, run_id, &computed, err) < 0)
        goto done;
    if (!json_is_array(computed)) {
        df_error_set(err, DF_EFAIL, "step '%s': dynamic items are not a list", p->steps[step].name);
        goto done;
    }
    text = json_dumps(computed, JSON_COMPACT);
    if (!text) {
        df_error_set(err, DF_EFAIL, "step '%s': cannot encode items", p->steps[step].name);
        goto done;
    }
    if (df_store_put_bytes(store, key, text, strlen(text), err) < 0)
        goto done;
    /* Two processes may compute the list at once; whichever write landed last is the
     * list everyone reads from now on, so return that one rather than our own. */
    found = read_items(store, key, items, err);
    if (found < 0)
        goto done;
    if (found == 0) {
        *items = computed;
        computed = NULL;
    }
    rc = 0;
done:
    if (rc < 0)
        df_error_prefix(err, "step '%s': items", p->steps[step].name);
    json_decref(computed);
    free(text);
    free(key);
    return rc;
}

int df_items_stored_or_computed(const struct df_pipeline *p, size_t step, struct df_store *store,
                                const char *run_id, json_t **items, struct df_error *err)
{
    char *key = df_key_items(p->name, run_id, p->steps[step].name);
    int found = read_items(store, key, items, err);

    free(key);
    if (found == 0)
        return df_dynamic_items(p, step, store, run_id, items, err);
    return found < 0 ? -1 : 0;
}

int df_items_check_stored(const struct df_pipeline *p, struct df_store *store, const char *run_id,
                          struct df_error *err)
{
    for (size_t s = 0; s < p->n_steps; s++) {
        enum df_foreach_kind kind = p->steps[s].foreach.kind;
        char *key;
        json_t *items = NULL;
        struct df_error e = DF_ERROR_INIT;
        int found;

        if (kind != DF_FOREACH_FILES && kind != DF_FOREACH_ROWS)
            continue;
        key = df_key_items(p->name, run_id, p->steps[s].name);
        found = read_items(store, key, &items, &e);
        json_decref(items);
        free(key);
        if (found < 0)
            return df_error_set(err, e.code, "cannot resume run '%s': %s%s%s%s", run_id, e.msg,
                                found == -2 ? "; remove it to plan step '" : "",
                                found == -2 ? p->steps[s].name : "", found == -2 ? "' again" : "");
    }
    return 0;
}

static int resolve_run_items(void *ctx, const struct df_pipeline *p, size_t step, json_t **items,
                             struct df_error *err)
{
    const struct df_run_items *ri = ctx;
    return cached_items(p, step, ri->store, ri->run_id, items, err);
}

void df_run_items_init(struct df_run_items *ri, struct df_store *store, const char *run_id)
{
    ri->resolver.items = resolve_run_items;
    ri->resolver.ctx = ri;
    ri->store = store;
    ri->run_id = run_id;
}

int df_step_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                  const char *run_id, json_t **items, struct df_error *err)
{
    struct df_run_items ri;
    df_run_items_init(&ri, store, run_id);
    return df_plan_items(p, step, store && run_id ? &ri.resolver : NULL, items, err);
}
