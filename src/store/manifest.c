/*
 * manifest.c - writing, reading and listing task manifests (see manifest.h). The commit
 * is a single atomic put of <task>/_manifest.json: before it the task's files exist but
 * no reader trusts them; after it they are the task's output.
 */
#include "store/caps.h"
#include "store/manifest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/keycheck.h"
#include "store/layout.h"
#include "util/names.h"
#include "util/strbuf.h"
#include "util/banned.h"

/*
 * Puts a manifest. One that replaces a committed manifest (a task committed again in its
 * run after the run's end: an Argo retry's pod finding its items in the cache, `duckflow
 * step` of a committed task) may name other files with the same size, which gc's
 * listing cannot tell from the old one: the run's _manifests.json (store/runindex.h) is
 * removed first, so gc reads the manifests themselves until the run's end writes it anew.
 * Local stores look with stat(2); object stores create the key only if it does not exist
 * (one PUT either way) and, when it does, remove the index and put again.
 */
static int forget_index(struct df_store *s, const char *pipeline, const char *run,
                        struct df_error *err)
{
    char *key = df_key_run_manifests(pipeline, run);
    int rc = df_store_remove(s, key, err);
    free(key);
    return rc;
}

static int put_manifest(struct df_store *s, const char *key, const char *pipeline, const char *run,
                        const char *text, struct df_error *err)
{
    char *path = df_store_local_path(s, key);
    int rc;

    if (path || !s->ops->put_bytes_new) {
        struct stat st;
        int exists = !path || stat(path, &st) == 0;
        free(path);
        if (exists && forget_index(s, pipeline, run, err) != 0)
            return -1;
        return df_store_put_bytes(s, key, text, strlen(text), err);
    }
    rc = df_store_put_bytes_new(s, key, text, strlen(text), err);
    if (rc != 0 && err->code == DF_EEXIST) {
        df_error_clear(err);
        rc = forget_index(s, pipeline, run, err);
        if (rc == 0)
            rc = df_store_put_bytes(s, key, text, strlen(text), err);
    }
    return rc;
}

int df_manifest_commit(struct df_store *s, const char *pipeline, const char *run, const char *step,
                       const char *item_key, json_t *manifest, struct df_error *err)
{
    char *key = df_key_manifest(pipeline, run, step, item_key);
    char *text = json_dumps(manifest, JSON_INDENT(1) | JSON_COMPACT);
    int rc;

    if (!text) {
        rc = df_error_set(err, DF_EFAIL, "cannot encode the manifest of '%s'", key);
    } else {
        rc = put_manifest(s, key, pipeline, run, text, err);
        if (rc != 0)
            df_error_prefix(err, "cannot commit '%s'", key);
    }
    free(text);
    free(key);
    return rc;
}

int df_manifest_parse(const char *key, const char *data, size_t len, json_t **out,
                      struct df_error *err)
{
    json_error_t je;
    json_t *m = json_loadb(data, len, 0, &je);

    if (!m || !json_is_object(m)) {
        json_decref(m);
        return df_error_set(err, DF_EIO, "manifest '%s' is not a JSON object (line %d: %s)", key,
                            je.line, m ? "not an object" : je.text);
    }
    /* Its keys and paths are joined onto store and cache folders: refuse any that could
     * leave them, before anyone uses one. */
    if (df_manifest_check_paths(m, key, err) != 0) {
        json_decref(m);
        return -1;
    }
    *out = m;
    return 0;
}

int df_manifest_read(struct df_store *s, const char *pipeline, const char *run, const char *step,
                     const char *item_key, json_t **out, struct df_error *err)
{
    char *key = df_key_manifest(pipeline, run, step, item_key);
    char *data = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = df_store_get_bytes(s, key, DF_CAP_MANIFEST, &data, &len, err);
    if (rc == 0)
        rc = df_manifest_parse(key, data, len, out, err);
    free(data);
    free(key);
    return rc;
}

struct step_list {
    size_t plen;
    char **keys;
    size_t n, alloc;
};

/* Keeps "<step>/<item>/_manifest.json" (exactly one folder below the step). */
static int pick_manifest(const char *key, uint64_t size, void *ud)
{
    struct step_list *l = ud;
    const char *rest = key + l->plen;
    const char *slash = strchr(rest, '/');
    (void)size;

    if (!slash || slash == rest || strcmp(slash, "/_manifest.json") != 0)
        return 0;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 64;
        l->keys = xrealloc(l->keys, l->alloc * sizeof(*l->keys));
    }
    l->keys[l->n++] = xstrdup(key);
    return 0;
}

static int by_item_index(const void *a, const void *b)
{
    json_t *ma = *(json_t *const *)a, *mb = *(json_t *const *)b;
    json_int_t ia = json_integer_value(json_object_get(ma, "item_index"));
    json_int_t ib = json_integer_value(json_object_get(mb, "item_index"));
    if (ia != ib)
        return ia < ib ? -1 : 1;
    const char *ka = json_string_value(json_object_get(ma, "item_key"));
    const char *kb = json_string_value(json_object_get(mb, "item_key"));
    return strcmp(ka ? ka : "", kb ? kb : "");
}

void df_manifest_sort(json_t **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof(*v), by_item_index);
}

int df_manifest_list_step(struct df_store *s, const char *pipeline, const char *run,
                          const char *step, json_t **out, struct df_error *err)
{
    char *stepkey = df_key_step(pipeline, run, step);
    char *prefix = xasprintf("%s/", stepkey);
    struct step_list l = {strlen(prefix), NULL, 0, 0};
    json_t **v = NULL;
    size_t nv = 0;
    int rc;

    *out = NULL;
    rc = df_store_list(s, prefix, pick_manifest, &l, err);
    if (rc == 0 && l.n)
        v = xcalloc(l.n, sizeof(*v));
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        char *data = NULL;
        size_t len = 0;
        rc = df_store_get_bytes(s, l.keys[i], DF_CAP_MANIFEST, &data, &len, err);
        if (rc == 0)
            rc = df_manifest_parse(l.keys[i], data, len, &v[nv], err);
        if (rc == 0)
            nv++;
        free(data);
    }
    if (rc == 0) {
        df_manifest_sort(v, nv);
        *out = json_array();
        for (size_t i = 0; i < nv; i++)
            json_array_append_new(*out, v[i]);
    } else {
        for (size_t i = 0; i < nv; i++)
            json_decref(v[i]);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.keys[i]);
    free(l.keys);
    free(v);
    free(prefix);
    free(stepkey);
    return rc;
}

size_t df_manifest_table_keys(json_t *manifest, const char *table, json_t *keys)
{
    const char *pl = json_string_value(json_object_get(manifest, "pipeline"));
    const char *run = json_string_value(json_object_get(manifest, "run"));
    const char *step = json_string_value(json_object_get(manifest, "step"));
    const char *item = json_string_value(json_object_get(manifest, "item_key"));
    json_t *files =
        json_object_get(json_object_get(json_object_get(manifest, "tables"), table), "files");
    char *task;
    size_t i, n = 0;
    json_t *f;

    const char *root = json_string_value(json_object_get(manifest, "files_root"));

    if (!pl || !run || !step || !item || !json_is_array(files))
        return 0;
    /* A reused task (cache hit, --from) lists the files of the task that made them:
     * "files_root" is that task's folder, within the same pipeline. */
    if (root && !strncmp(root, pl, strlen(pl)) && !strncmp(root + strlen(pl), "/runs/", 6) &&
        !strstr(root, "/../") && !strstr(root, "//"))
        task = xstrdup(root);
    else
        task = df_key_task(pl, run, step, item);
    json_array_foreach(files, i, f)
    {
        const char *path = json_string_value(json_object_get(f, "path"));
        if (!path || !*path)
            continue;
        char *key = xasprintf("%s/%s", task, path);
        json_array_append_new(keys, json_string(key));
        free(key);
        n++;
    }
    free(task);
    return n;
}

struct step_names {
    size_t plen;
    json_t *names;
    char *last; /* the step of the previous key, to take each step once */
};

/* Picks <step> out of "<run prefix><step>/<item>/_manifest.json". */
static int collect_step(const char *key, uint64_t size, void *ud)
{
    struct step_names *l = ud;
    const char *rest = key + l->plen, *slash = strchr(rest, '/'), *item_end;
    (void)size;

    if (!slash || slash == rest)
        return 0;
    item_end = strchr(slash + 1, '/');
    if (!item_end || item_end == slash + 1 || strcmp(item_end, "/_manifest.json") != 0)
        return 0;
    if (l->last && !strncmp(l->last, rest, (size_t)(slash - rest)) && !l->last[slash - rest])
        return 0;
    free(l->last);
    l->last = xstrndup(rest, (size_t)(slash - rest));
    /* Step folders also hold _items.json and attempt folders: only names that are
     * identifiers can be steps. */
    if (df_valid_ident(l->last))
        json_array_append_new(l->names, json_string(l->last));
    return 0;
}

int df_manifest_list_steps(struct df_store *s, const char *pipeline, const char *run, json_t **out,
                           struct df_error *err)
{
    char *runkey = df_key_run(pipeline, run), *prefix = xasprintf("%s/", runkey);
    struct step_names l = {strlen(prefix), json_array(), NULL};
    int rc = df_store_list(s, prefix, collect_step, &l, err);

    *out = NULL;
    if (rc == 0)
        *out = json_incref(l.names);
    json_decref(l.names);
    free(l.last);
    free(prefix);
    free(runkey);
    return rc;
}

int df_manifest_type_safe(const char *t)
{
    if (!t || !*t || strstr(t, "--") || strstr(t, "/*"))
        return 0;
    for (; *t; t++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_ (),.[]\"", *t))
            return 0;
    return 1;
}

void df_manifest_empty_select(struct strbuf *sql, const json_t *schema)
{
    size_t i;
    json_t *col;

    sb_adds(sql, "SELECT ");
    if (!json_array_size(schema))
        sb_adds(sql, "NULL::INTEGER AS \"_empty\"");
    json_array_foreach(schema, i, col)
    {
        const char *name = json_string_value(json_object_get(col, "name"));
        const char *type = json_string_value(json_object_get(col, "type"));
        if (i)
            sb_adds(sql, ", ");
        sb_addf(sql, "CAST(NULL AS %s) AS ", df_manifest_type_safe(type) ? type : "VARCHAR");
        sb_add_sql_ident(sql, name ? name : "");
    }
    sb_adds(sql, " WHERE false");
}
