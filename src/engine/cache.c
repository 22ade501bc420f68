/*
 * cache.c - a task's cache key, cache entries and reuse of committed tasks (see cache.h
 * and docs/run.md). Used by the executor before it starts a task (a reused task starts no
 * process) and by `duckflow step` itself (an Argo pod whose key hits commits and exits).
 */
#include "store/caps.h"
#include "engine/cache.h"

#include <duckdb.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dag/plan.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/globstar.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

/* The parts, in the order they are hashed into the key (and compared for a reason). */
static const char *const part_names[] = {"definition", "sql",    "checks",  "params",
                                         "item",       "inputs", "versions"};
static const char *const part_reasons[] = {
    "step definition changed", "sql changed",  "checks changed",
    "params changed",          "item changed", "inputs changed",
    "versions changed"};
#define N_PARTS (sizeof(part_names) / sizeof(part_names[0]))

static void hex_of_json(json_t *v, char out[DF_SHA256_HEX])
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    df_sha256_hex(text ? text : "", text ? strlen(text) : 0, out);
    free(text);
}

/* ---- params the SQL reads ------------------------------------------------------------- */

/* Adds to names every literal getvariable('x') in sql; sets *all when a name is computed. */
static void scan_getvariable(const char *sql, json_t *names, int *all)
{
    const char *p = sql;
    static const char fn[] = "getvariable";

    if (!sql)
        return;
    /* duckdb_variables() lists every variable: as good as a computed name. */
    if (strcasestr(sql, "duckdb_variables"))
        *all = 1;
    for (p = sql; *p; p++) {
        const char *q;
        struct strbuf name = STRBUF_INIT;
        if (strncasecmp(p, fn, sizeof(fn) - 1) != 0)
            continue;
        if (p > sql && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                        (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9')))
            continue;
        q = p + sizeof(fn) - 1;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q != '(') {
            *all = 1; /* a comment before '(', or not the function: cannot tell */
            continue;
        }
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q != '\'') {
            *all = 1;
            continue;
        }
        for (q++; *q; q++) {
            if (*q == '\'') {
                if (q[1] == '\'') {
                    sb_addc(&name, '\'');
                    q++;
                    continue;
                }
                break;
            }
            sb_addc(&name, *q);
        }
        if (*q != '\'') {
            *all = 1;
            sb_release(&name);
            break;
        }
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q != ')')
            *all = 1; /* 'a' || x: computed */
        else
            json_object_set_new(names, name.buf ? name.buf : "", json_true());
        sb_release(&name);
        p = q > p ? q - 1 : p;
    }
}

/* What shapes a task's output: its SQL, checks and output ORDER BY expressions. */
static void scan_step(const struct df_step *s, json_t *names, int *all)
{
    scan_getvariable(s->sql, names, all);
    for (size_t i = 0; i < s->n_checks; i++)
        scan_getvariable(s->checks[i].sql, names, all);
    for (size_t i = 0; i < s->n_outputs; i++)
        for (size_t j = 0; j < s->outputs[i].n_order_by; j++)
            scan_getvariable(s->outputs[i].order_by[j], names, all);
}

json_t *df_cache_vars_read(const struct df_step *s)
{
    json_t *names = json_object();
    int all = 0;

    scan_step(s, names, &all);
    /* So does a `rows` step's query (planning, engine/items.c); what it reads reaches the
     * key through the item it plans, not as a param. */
    scan_getvariable(s->foreach.rows_sql, names, &all);
    if (all) {
        json_decref(names);
        return NULL;
    }
    return names;
}

json_t *df_cache_params_read(const struct df_pipeline *p, const struct df_step *s)
{
    json_t *names = json_object(), *out = json_object(), *v;
    const char *k;
    int all = 0;

    scan_step(s, names, &all);
    json_object_foreach(p->params, k, v)
    {
        if (all || json_object_get(names, k))
            json_object_set(out, k, v);
    }
    json_decref(names);
    return out;
}

/* ---- the definition ------------------------------------------------------------------- */

json_t *df_cache_step_definition(const struct df_step *s)
{
    json_t *d = json_object(), *a, *fe;
    size_t i, j;

    json_object_set_new(d, "name", json_string(s->name));
    a = json_array();
    for (i = 0; i < s->n_inputs; i++) {
        const struct df_input *in = &s->inputs[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(in->name));
        if (in->step)
            json_object_set_new(o, "source", json_sprintf("%s.%s", in->step, in->table));
        else
            json_object_set_new(o, "source", json_string(in->uri));
        if (in->format)
            json_object_set_new(o, "format", json_string(in->format));
        if (in->options)
            json_object_set(o, "options", in->options);
        json_array_append_new(a, o);
    }
    json_object_set_new(d, "inputs", a);
    a = json_array();
    for (i = 0; i < s->n_outputs; i++) {
        const struct df_output *out = &s->outputs[i];
        json_t *o = json_object(), *l = json_array();
        json_object_set_new(o, "name", json_string(out->name));
        for (j = 0; j < out->n_partition_by; j++)
            json_array_append_new(l, json_string(out->partition_by[j]));
        json_object_set_new(o, "partition_by", l);
        l = json_array();
        for (j = 0; j < out->n_order_by; j++)
            json_array_append_new(l, json_string(out->order_by[j]));
        json_object_set_new(o, "order_by", l);
        json_object_set_new(o, "file_size", json_integer((json_int_t)out->file_size));
        json_object_set_new(o, "compression",
                            json_string(out->compression ? out->compression : "zstd"));
        json_array_append_new(a, o);
    }
    json_object_set_new(d, "outputs", a);
    fe = json_object();
    json_object_set_new(fe, "kind", json_integer(s->foreach.kind));
    if (s->foreach.each)
        json_object_set_new(fe, "each", json_string(s->foreach.each));
    if (s->foreach.files_source) {
        json_object_set_new(fe, "files", json_string(s->foreach.files_source));
        json_object_set_new(fe, "per_task", json_integer((json_int_t)s->foreach.per_task));
    }
    if (s->foreach.rows_sql)
        json_object_set_new(fe, "rows", json_string(s->foreach.rows_sql));
    json_object_set_new(d, "foreach", fe);
    return d;
}

static json_t *checks_json(const struct df_step *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->n_checks; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(s->checks[i].name));
        json_object_set_new(o, "sql", json_string(s->checks[i].sql));
        /* Only when set: keys of checks with the default severity stay as they were. */
        if (s->checks[i].warn)
            json_object_set_new(o, "severity", json_string("warn"));
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- upstream manifests --------------------------------------------------------------- */

struct ctx {
    const struct df_pipeline *p;
    struct df_store *store;
    const char *run;
    const struct df_cache_src *src;
};

static int get_task_manifest(struct ctx *c, size_t step, size_t item, json_t **m,
                             struct df_error *err)
{
    char key[DF_ITEM_KEY_MAX];
    if (c->src && c->src->task_manifest)
        return c->src->task_manifest(c->src->ud, step, item, m, err);
    df_item_key(item, key);
    return df_manifest_read(c->store, c->p->name, c->run, c->p->steps[step].name, key, m, err);
}

static int get_step_manifests(struct ctx *c, size_t step, json_t **ms, struct df_error *err)
{
    json_t *items = NULL;
    size_t want;

    if (c->src && c->src->step_manifests)
        return c->src->step_manifests(c->src->ud, step, ms, err);
    if (df_manifest_list_step(c->store, c->p->name, c->run, c->p->steps[step].name, ms, err) != 0)
        return -1;
    /* A fan-in reads every task of the step: a key over fewer would name other data. */
    if (df_plan_items(c->p, step, c->src ? c->src->items : NULL, &items, err) != 0) {
        json_decref(*ms);
        *ms = NULL;
        return -1;
    }
    want = json_array_size(items);
    json_decref(items);
    if (json_array_size(*ms) < want) {
        df_error_set(err, DF_EFAIL, "step '%s' has committed %zu of its %zu tasks",
                     c->p->steps[step].name, json_array_size(*ms), want);
        json_decref(*ms);
        *ms = NULL;
        return -1;
    }
    return 0;
}

/* Appends {sha256, partition} of every file of table in manifest m to out. */
static void table_files(json_t *m, const char *table, json_t *out)
{
    json_t *files = json_object_get(json_object_get(json_object_get(m, "tables"), table), "files");
    json_t *f;
    size_t i;

    json_array_foreach(files, i, f)
    {
        json_t *r = json_object();
        json_t *sha = json_object_get(f, "sha256"), *part = json_object_get(f, "partition");
        json_object_set(r, "sha256", sha ? sha : json_null());
        if (part)
            json_object_set(r, "partition", part);
        json_array_append_new(out, r);
    }
}

/* store key -> sha256 of every file of step.table in this run (for `foreach files`). */
static int key_shas(struct ctx *c, size_t step, const char *table, json_t **out,
                    struct df_error *err)
{
    json_t *ms = NULL, *m;
    size_t i;

    if (get_step_manifests(c, step, &ms, err) != 0)
        return -1;
    *out = json_object();
    json_array_foreach(ms, i, m)
    {
        json_t *keys = json_array();
        json_t *files =
            json_object_get(json_object_get(json_object_get(m, "tables"), table), "files");
        size_t n = df_manifest_table_keys(m, table, keys), k = 0, j;
        json_t *f;
        json_array_foreach(files, j, f)
        {
            const char *path = json_string_value(json_object_get(f, "path"));
            if (!path || !*path || k >= n)
                continue;
            json_object_set(*out, json_string_value(json_array_get(keys, k)),
                            json_object_get(f, "sha256") ? json_object_get(f, "sha256")
                                                         : json_null());
            k++;
        }
        json_decref(keys);
    }
    json_decref(ms);
    return 0;
}

/* The checksums of a `foreach files` group of keys (in the group's order). */
static json_t *group_shas(json_t *item, json_t *map)
{
    json_t *a = json_array(), *k;
    size_t i;
    json_array_foreach(json_object_get(item, "files"), i, k)
    {
        json_t *sha = json_object_get(map, json_string_value(k) ? json_string_value(k) : "");
        json_array_append(a, sha ? sha : json_string("missing"));
    }
    return a;
}

static int in_each_chain(const struct df_pipeline *p, const struct df_step *s, int si)
{
    for (size_t hops = 0; s->foreach.kind == DF_FOREACH_EACH && hops <= p->n_steps; hops++) {
        if (s->foreach.each_index < 0)
            return 0;
        if (s->foreach.each_index == si)
            return 1;
        s = &p->steps[s->foreach.each_index];
    }
    return 0;
}

static int is_files_source(const struct df_step *s, const struct df_input *in)
{
    const struct df_foreach *fe = &s->foreach;
    if (fe->kind != DF_FOREACH_FILES)
        return 0;
    if (fe->files_input >= 0)
        return !strcmp(s->inputs[fe->files_input].name, in->name);
    return fe->files_step >= 0 && in->step_index == fe->files_step && in->table &&
           fe->files_table && !strcmp(in->table, fe->files_table);
}

/* ---- external inputs ------------------------------------------------------------------ */

static void local_file_rec(const char *path, json_t *out)
{
    struct stat st;
    json_t *r = json_object();
    json_object_set_new(r, "path", json_string(path));
    if (stat(path, &st) == 0) {
        json_object_set_new(r, "size", json_integer((json_int_t)st.st_size));
        json_object_set_new(r, "mtime_ns",
                            json_integer((json_int_t)st.st_mtim.tv_sec * 1000000000 +
                                         (json_int_t)st.st_mtim.tv_nsec));
    } else {
        json_object_set_new(r, "missing", json_true());
    }
    json_array_append_new(out, r);
}

/* The files the task reads (engine/task_inputs.c expands the pattern the same way). */
static void local_files(const char *pattern, json_t *out)
{
    char **paths;
    size_t n;
    if (!strncmp(pattern, "file://", 7))
        pattern += 7;
    if (df_glob_local(pattern, &paths, &n) == 0 && n) {
        for (size_t i = 0; i < n; i++)
            local_file_rec(paths[i], out);
    } else {
        local_file_rec(pattern, out);
    }
    df_glob_free(paths, n);
}

struct obj_match {
    const char *pat;
    struct df_store *os;
    json_t *out;
};

static int obj_cb(const char *key, uint64_t size, void *ud)
{
    struct obj_match *m = ud;
    if (df_glob_match(m->pat, key, 0)) {
        json_t *r = json_object();
        char etag[160] = "";
        struct df_error e = DF_ERROR_INIT;
        json_object_set_new(r, "key", json_string(key));
        json_object_set_new(r, "size", json_integer((json_int_t)size));
        if (df_store_etag(m->os, key, etag, sizeof(etag), &e) == 0 && etag[0])
            json_object_set_new(r, "etag", json_string(etag));
        json_array_append_new(m->out, r);
    }
    return 0;
}

/* key + size + ETag of every object an s3:// or gs:// URI (or glob) names. */
static int object_files(const char *uri, json_t *out, struct df_error *err)
{
    const char *p = strstr(uri, "://"), *slash;
    char *store_uri, *pattern, *prefix;
    struct df_store *os = NULL;
    int rc;

    if (!p || !(slash = strchr(p + 3, '/')))
        return df_error_set(err, DF_EUSAGE, "'%s' is not an object uri", uri);
    store_uri = xstrndup(uri, (size_t)(slash - uri));
    pattern = xstrdup(slash + 1);
    prefix = xstrndup(pattern, strcspn(pattern, "*?["));
    rc = df_store_open(store_uri, &os, err);
    if (rc == 0) {
        struct obj_match m = {pattern, os, out};
        rc = df_store_list(os, prefix, obj_cb, &m, err);
    }
    df_store_free(os);
    free(prefix);
    free(pattern);
    free(store_uri);
    return rc;
}

/* ---- the key -------------------------------------------------------------------------- */

static int inputs_part(struct ctx *c, const struct df_step *s, size_t item_index, json_t *item,
                       json_t *shamap, json_t **out, struct df_error *err)
{
    json_t *a = json_array();

    for (size_t i = 0; i < s->n_inputs; i++) {
        const struct df_input *in = &s->inputs[i];
        json_t *rec = json_object(), *files = json_array();
        int rc = 0;
        json_object_set_new(rec, "name", json_string(in->name));
        if (in->step_index >= 0 && is_files_source(s, in) && shamap) {
            json_decref(files);
            files = group_shas(item, shamap);
        } else if (in->step_index >= 0 && in_each_chain(c->p, s, in->step_index)) {
            json_t *m = NULL;
            rc = get_task_manifest(c, (size_t)in->step_index, item_index, &m, err);
            if (rc == 0)
                table_files(m, in->table, files);
            else if (err->code == DF_ENOTFOUND)
                err->code = DF_EFAIL;
            json_decref(m);
        } else if (in->step_index >= 0) {
            json_t *ms = NULL, *m;
            size_t k;
            rc = get_step_manifests(c, (size_t)in->step_index, &ms, err);
            json_array_foreach(ms, k, m) table_files(m, in->table, files);
            json_decref(ms);
        } else {
            json_t *uris = json_array(), *u;
            size_t k;
            if (is_files_source(s, in))
                json_array_extend(uris, json_object_get(item, "files"));
            else
                json_array_append_new(uris, json_string(in->uri));
            json_array_foreach(uris, k, u)
            {
                const char *uri = json_string_value(u) ? json_string_value(u) : "";
                if (!strncmp(uri, "s3://", 5) || !strncmp(uri, "gs://", 5))
                    rc = object_files(uri, files, err);
                else
                    local_files(uri, files);
                if (rc != 0)
                    break;
            }
            json_decref(uris);
        }
        json_object_set_new(rec, "files", files);
        json_array_append_new(a, rec);
        if (rc != 0) {
            json_decref(a);
            df_error_prefix(err, "input '%s'", in->name);
            return -1;
        }
    }
    *out = a;
    return 0;
}

int df_cache_key_compute(const struct df_pipeline *p, size_t step, size_t item_index, json_t *item,
                         struct df_store *store, const char *run_id, const struct df_cache_src *src,
                         struct df_cache_key *out, struct df_error *err)
{
    const struct df_step *s = &p->steps[step];
    struct ctx c = {p, store, run_id, src};
    json_t *parts = json_object(), *v, *shamap = NULL, *inputs = NULL;
    char hex[DF_SHA256_HEX];
    struct df_sha256 *h;
    int all = 0;
    json_t *names = json_object();

    memset(out, 0, sizeof(*out));
    /* `foreach files` over a step's table: the item lists this run's keys; the group's
     * checksums name its content instead (so another run's identical group matches). */
    if (s->foreach.kind == DF_FOREACH_FILES && s->foreach.files_step >= 0 &&
        s->foreach.files_table) {
        if (key_shas(&c, (size_t)s->foreach.files_step, s->foreach.files_table, &shamap, err) !=
            0) {
            json_decref(parts);
            json_decref(names);
            return -1;
        }
    }
    if (inputs_part(&c, s, item_index, item, shamap, &inputs, err) != 0) {
        json_decref(parts);
        json_decref(names);
        json_decref(shamap);
        return -1;
    }

    v = df_cache_step_definition(s);
    hex_of_json(v, hex);
    json_decref(v);
    json_object_set_new(parts, "definition", json_string(hex));

    df_sha256_hex(s->sql ? s->sql : "", s->sql ? strlen(s->sql) : 0, hex);
    json_object_set_new(parts, "sql", json_string(hex));

    v = checks_json(s);
    hex_of_json(v, hex);
    json_decref(v);
    json_object_set_new(parts, "checks", json_string(hex));

    v = df_cache_params_read(p, s);
    hex_of_json(v, hex);
    json_decref(v);
    json_object_set_new(parts, "params", json_string(hex));

    scan_step(s, names, &all);
    v = json_object();
    if (shamap)
        json_object_set_new(v, "group", group_shas(item, shamap));
    else
        json_object_set(v, "item", item ? item : json_null());
    if (all || json_object_get(names, "item_index"))
        json_object_set_new(v, "index", json_integer((json_int_t)item_index));
    hex_of_json(v, hex);
    json_decref(v);
    json_object_set_new(parts, "item", json_string(hex));

    hex_of_json(inputs, hex);
    json_object_set_new(parts, "inputs", json_string(hex));

    v = json_object();
    json_object_set_new(v, "output_format", json_integer(DF_CACHE_OUTPUT_FORMAT));
    json_object_set_new(v, "duckdb", json_string(duckdb_library_version()));
    hex_of_json(v, hex);
    json_decref(v);
    json_object_set_new(parts, "versions", json_string(hex));

    h = df_sha256_new();
    df_sha256_update(h, "duckflow cache key 1", 21);
    for (size_t i = 0; i < N_PARTS; i++) {
        const char *ph = json_string_value(json_object_get(parts, part_names[i]));
        df_sha256_update(h, part_names[i], strlen(part_names[i]) + 1);
        df_sha256_update(h, ph, strlen(ph) + 1);
    }
    df_sha256_final(h, out->key);
    out->parts = parts;
    json_decref(inputs);
    json_decref(shamap);
    json_decref(names);
    return 0;
}

void df_cache_key_release(struct df_cache_key *k)
{
    if (!k)
        return;
    json_decref(k->parts);
    k->parts = NULL;
}

const char *df_cache_stale_reason(json_t *manifest, const struct df_cache_key *k)
{
    json_t *old = json_object_get(manifest, "cache_parts");
    if (!json_is_object(old) || !k->parts)
        return "its cache key changed";
    for (size_t i = 0; i < N_PARTS; i++) {
        const char *a = json_string_value(json_object_get(old, part_names[i]));
        const char *b = json_string_value(json_object_get(k->parts, part_names[i]));
        if (!a || !b || strcmp(a, b) != 0)
            return part_reasons[i];
    }
    return "its cache key changed";
}

/* ---- entries -------------------------------------------------------------------------- */

char *df_cache_entry_key(const char *pipeline, const char *key)
{
    return xasprintf("%s/cache/%s.json", pipeline, key);
}

/* Every store key the manifest lists, over all its tables. */
static json_t *all_file_keys(json_t *m)
{
    json_t *keys = json_array(), *t;
    const char *name;
    json_object_foreach(json_object_get(m, "tables"), name, t)
        df_manifest_table_keys(m, name, keys);
    return keys;
}

int df_cache_entry_write(struct df_store *store, json_t *m, struct df_error *err)
{
    const char *pl = json_string_value(json_object_get(m, "pipeline"));
    const char *run = json_string_value(json_object_get(m, "run"));
    const char *step = json_string_value(json_object_get(m, "step"));
    const char *item = json_string_value(json_object_get(m, "item_key"));
    const char *key = json_string_value(json_object_get(m, "cache_key"));
    json_t *e;
    char *text, *ekey, now[40];
    int rc;

    if (!pl || !run || !step || !item || !key)
        return df_error_set(err, DF_EFAIL, "the manifest has no cache key");
    df_iso_now(now, sizeof(now));
    e = json_object();
    json_object_set_new(e, "format", json_integer(1));
    json_object_set_new(e, "cache_key", json_string(key));
    json_object_set_new(e, "pipeline", json_string(pl));
    json_object_set_new(e, "step", json_string(step));
    json_object_set_new(e, "run", json_string(run));
    json_object_set_new(e, "item_key", json_string(item));
    json_object_set_new(e, "manifest",
                        json_sprintf("%s/runs/%s/%s/%s/_manifest.json", pl, run, step, item));
    json_object_set_new(e, "files", all_file_keys(m));
    json_object_set_new(e, "created_at", json_string(now));
    text = json_dumps(e, JSON_COMPACT);
    ekey = df_cache_entry_key(pl, key);
    rc = df_store_put_bytes(store, ekey, text, strlen(text), err);
    if (rc != 0)
        df_error_prefix(err, "cannot write cache entry '%s'", ekey);
    free(ekey);
    free(text);
    json_decref(e);
    return rc;
}

/* key -> {bytes, mtime_ns} (as the manifest records them; either may be absent) of every
 * file m lists. */
static json_t *file_sizes(json_t *m)
{
    json_t *out = json_object(), *t;
    const char *name;

    json_object_foreach(json_object_get(m, "tables"), name, t)
    {
        json_t *keys = json_array(), *f;
        size_t n = df_manifest_table_keys(m, name, keys), k = 0, j;
        json_array_foreach(json_object_get(t, "files"), j, f)
        {
            const char *path = json_string_value(json_object_get(f, "path"));
            json_t *rec = json_object(), *v;
            if (!path || !*path || k >= n) {
                json_decref(rec);
                continue;
            }
            if (json_is_integer(v = json_object_get(f, "bytes")))
                json_object_set(rec, "bytes", v);
            if (json_is_integer(v = json_object_get(f, "mtime_ns")))
                json_object_set(rec, "mtime_ns", v);
            json_object_set_new(out, json_string_value(json_array_get(keys, k)), rec);
            k++;
        }
        json_decref(keys);
    }
    return out;
}

static int size_differs(json_t *want, uint64_t have)
{
    json_t *bytes = json_object_get(want, "bytes");
    return json_is_integer(bytes) && (uint64_t)json_integer_value(bytes) != have;
}

/* A local file modified since its task recorded it (the check a downstream task makes,
 * store/verify.c): reusing it would fail every task that reads it. */
static int mtime_differs(json_t *want, const struct stat *st)
{
    json_t *mt = json_object_get(want, "mtime_ns");
    return json_is_integer(mt) && (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec !=
                                      (int64_t)json_integer_value(mt);
}

struct listed {
    json_t *want; /* key -> size */
    json_t *seen; /* key -> true */
    char *bad;    /* a key whose size differs (malloc'd) */
};

static int listed_cb(const char *key, uint64_t size, void *ud)
{
    struct listed *l = ud;
    json_t *want = json_object_get(l->want, key);
    if (!want)
        return 0;
    if (size_differs(want, size)) {
        l->bad = xstrdup(key);
        return 1;
    }
    json_object_set_new(l->seen, key, json_true());
    return 0;
}

/* 1 when every file the manifest lists is present with the size it records (and, on a
 * local store, the mtime). A local store stats each file; an object store answers with one listing
 * of the folder the files are in (a HEAD per file would cost more than the lookup saves for small
 * tasks). 0 with *missing set (malloc'd: the key, and why when it is not simply absent) otherwise;
 * -1 when the listing failed. */
static int files_present(struct df_store *store, json_t *m, char **missing, struct df_error *err)
{
    json_t *want = file_sizes(m), *v;
    const char *key;
    char *probe;
    int ok = 1;

    if (json_object_size(want) == 0) {
        json_decref(want);
        return 1;
    }
    probe = df_store_local_path(store, json_object_iter_key(json_object_iter(want)));
    if (probe) {
        free(probe);
        json_object_foreach(want, key, v)
        {
            char *path = df_store_local_path(store, key);
            struct stat st;
            if (!path || stat(path, &st) != 0) {
                *missing = xasprintf("'%s', which is missing", key);
                ok = 0;
            } else if (size_differs(v, (uint64_t)st.st_size)) {
                *missing = xasprintf("'%s', whose size differs from its manifest's", key);
                ok = 0;
            } else if (mtime_differs(v, &st)) {
                *missing =
                    xasprintf("'%s', which was modified after its manifest was written", key);
                ok = 0;
            }
            free(path);
            if (!ok)
                break;
        }
    } else {
        const char *root = json_string_value(json_object_get(m, "files_root"));
        char *prefix =
            root ? xasprintf("%s/", root)
                 : xasprintf("%s/runs/%s/%s/%s/", json_string_value(json_object_get(m, "pipeline")),
                             json_string_value(json_object_get(m, "run")),
                             json_string_value(json_object_get(m, "step")),
                             json_string_value(json_object_get(m, "item_key")));
        struct listed l = {want, json_object(), NULL};
        int rc = df_store_list(store, prefix, listed_cb, &l, err);
        free(prefix);
        if (rc != 0) {
            json_decref(l.seen);
            json_decref(want);
            return -1;
        }
        if (l.bad) {
            *missing = xasprintf("'%s', whose size differs from its manifest's", l.bad);
            ok = 0;
        } else {
            json_object_foreach(want, key, v)
            {
                if (!json_object_get(l.seen, key)) {
                    *missing = xasprintf("'%s', which is missing", key);
                    ok = 0;
                    break;
                }
            }
        }
        free(l.bad);
        json_decref(l.seen);
    }
    json_decref(want);
    return ok;
}

int df_cache_lookup(struct df_store *store, const struct df_pipeline *p, const char *key,
                    json_t **source, char **warning, struct df_error *err)
{
    char *ekey = df_cache_entry_key(p->name, key), *data = NULL, *mdata = NULL, *missing = NULL;
    size_t len = 0, plen;
    json_t *e = NULL, *m = NULL;
    const char *mkey, *what = NULL;
    char *prefix = xasprintf("%s/runs/", p->name);
    struct df_error e2 = DF_ERROR_INIT;
    int rc = 0, present;

    *source = NULL;
    *warning = NULL;
    if (df_store_get_bytes(store, ekey, DF_CAP_CACHE_ENTRY, &data, &len, err) != 0) {
        if (err->code == DF_ENOTFOUND) {
            df_error_clear(err);
            goto out;
        }
        rc = -1;
        goto out;
    }
    e = json_loadb(data, len, 0, NULL);
    mkey = json_string_value(json_object_get(e, "manifest"));
    plen = strlen(prefix);
    if (!json_is_object(e)) {
        what = "is not valid JSON";
    } else if (!json_string_value(json_object_get(e, "pipeline")) ||
               strcmp(json_string_value(json_object_get(e, "pipeline")), p->name) != 0 || !mkey ||
               strncmp(mkey, prefix, plen) != 0 || strstr(mkey, "/../") ||
               !json_string_value(json_object_get(e, "cache_key")) ||
               strcmp(json_string_value(json_object_get(e, "cache_key")), key) != 0) {
        what = "does not name a manifest of this pipeline with this key";
    } else if (df_store_get_bytes(store, mkey, DF_CAP_MANIFEST, &mdata, &len, &e2) != 0) {
        if (e2.code != DF_ENOTFOUND) {
            *err = e2;
            rc = -1;
            goto out;
        }
        what = "points at a missing manifest";
    } else if (!(m = json_loadb(mdata, len, 0, NULL)) || !json_is_object(m) ||
               !json_string_value(json_object_get(m, "cache_key")) ||
               strcmp(json_string_value(json_object_get(m, "cache_key")), key) != 0 ||
               !json_string_value(json_object_get(m, "pipeline")) ||
               strcmp(json_string_value(json_object_get(m, "pipeline")), p->name) != 0) {
        what = "points at a manifest that is damaged or has another key";
    } else if ((present = files_present(store, m, &missing, &e2)) < 0) {
        *err = e2;
        rc = -1;
        goto out;
    } else if (!present) {
        *warning = xasprintf("cache entry '%s' names %s: running the task", ekey, missing);
    } else {
        *source = m;
        m = NULL;
    }
    if (what)
        *warning = xasprintf("cache entry '%s' %s: running the task", ekey, what);
out:
    free(missing);
    json_decref(m);
    json_decref(e);
    free(mdata);
    free(data);
    free(prefix);
    free(ekey);
    return rc;
}

/* ---- reuse ---------------------------------------------------------------------------- */

int df_cache_reuse(struct df_store *store, const struct df_pipeline *p, const char *run_id,
                   size_t step, size_t item_index, json_t *item, json_t *source,
                   const struct df_cache_key *k, json_t **out, struct df_error *err)
{
    const char *spl = json_string_value(json_object_get(source, "pipeline"));
    const char *srun = json_string_value(json_object_get(source, "run"));
    const char *sstep = json_string_value(json_object_get(source, "step"));
    const char *sitem = json_string_value(json_object_get(source, "item_key"));
    const char *root = json_string_value(json_object_get(source, "files_root"));
    const char *from = json_string_value(json_object_get(source, "reused_from_run"));
    char ikey[DF_ITEM_KEY_MAX], now[40];
    json_t *m, *timings;
    int rc;

    if (out)
        *out = NULL;
    if (!spl || !srun || !sstep || !sitem)
        return df_error_set(err, DF_EFAIL, "the manifest to reuse has no pipeline, run or step");
    df_item_key(item_index, ikey);
    df_iso_now(now, sizeof(now));
    m = json_deep_copy(source);
    if (root)
        json_object_set_new(m, "files_root", json_string(root));
    else
        json_object_set_new(m, "files_root",
                            json_sprintf("%s/runs/%s/%s/%s", spl, srun, sstep, sitem));
    json_object_set_new(m, "reused_from_run", json_string(from ? from : srun));
    json_object_set_new(m, "pipeline", json_string(p->name));
    json_object_set_new(m, "run", json_string(run_id));
    json_object_set_new(m, "step", json_string(p->steps[step].name));
    json_object_set_new(m, "item_index", json_integer((json_int_t)item_index));
    json_object_set_new(m, "item_key", json_string(ikey));
    json_object_set(m, "item", item ? item : json_null());
    json_object_set_new(m, "attempt", json_integer(0));
    json_object_set_new(m, "spec_hash", json_string(p->spec_hash));
    json_object_set_new(m, "started_at", json_string(now));
    json_object_set_new(m, "finished_at", json_string(now));
    if (k) {
        json_object_set_new(m, "cache_key", json_string(k->key));
        json_object_set(m, "cache_parts", k->parts);
    }
    timings = json_object();
    json_object_set_new(timings, "total", json_integer(0));
    json_object_set_new(m, "timings_ms", timings);
    json_object_set_new(m, "peak_rss_bytes", json_integer(0));
    json_object_set_new(m, "spilled_bytes", json_integer(0));
    rc = df_manifest_commit(store, p->name, run_id, p->steps[step].name, ikey, m, err);
    if (rc == 0 && out)
        *out = m;
    else
        json_decref(m);
    return rc;
}
