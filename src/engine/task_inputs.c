/*
 * task_inputs.c - a task's inputs: find the files each input reads (upstream manifests,
 * a `foreach files` group, an external path or object-store glob), narrow them to the
 * task's item or partition, stage object-store files into scratch, and create one DuckDB
 * view per input, recording what it read for the manifest and the cache key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dag/plan.h"
#include "engine/scratch.h"
#include "engine/task_internal.h"
#include "store/verify.h"
#include "store/manifest.h"
#include "util/fs.h"
#include "util/globstar.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/uri.h"
#include "util/banned.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* Appends a JSON value as a DuckDB literal (reader options). */
static void add_sql_literal(struct strbuf *sb, json_t *v)
{
    size_t i;
    const char *k;
    json_t *e;

    switch (json_typeof(v)) {
    case JSON_STRING:
        sb_add_sql_string(sb, json_string_value(v));
        break;
    case JSON_INTEGER:
        sb_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        sb_addf(sb, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        sb_adds(sb, "true");
        break;
    case JSON_FALSE:
        sb_adds(sb, "false");
        break;
    case JSON_ARRAY:
        sb_addc(sb, '[');
        json_array_foreach(v, i, e)
        {
            if (i)
                sb_adds(sb, ", ");
            add_sql_literal(sb, e);
        }
        sb_addc(sb, ']');
        break;
    case JSON_OBJECT:
        sb_addc(sb, '{');
        i = 0;
        json_object_foreach(v, k, e)
        {
            if (i++)
                sb_adds(sb, ", ");
            sb_add_sql_string(sb, k);
            sb_adds(sb, ": ");
            add_sql_literal(sb, e);
        }
        sb_addc(sb, '}');
        break;
    default:
        sb_adds(sb, "NULL");
        break;
    }
}

static int valid_option_name(const char *k)
{
    if (!*k || !((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
        return 0;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_' ||
              (*k >= '0' && *k <= '9')))
            return 0;
    return 1;
}

static const char *reader_of(const char *format)
{
    if (format && !strcmp(format, "csv"))
        return "read_csv";
    if (format && !strcmp(format, "json"))
        return "read_json_auto";
    return "read_parquet";
}

/* Percent-decodes a Hive partition value (DuckDB escapes '/', '=', '%' and the like). */
static char *url_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (end == hex + 2) {
                *o++ = (char)v;
                i += 2;
                continue;
            }
        }
        *o++ = s[i];
    }
    *o = '\0';
    return out;
}

/* Hive partition values of a relative path "k=v/k2=v2/part-00000.parquet" (NULL when the
 * file sits at the table's top). */
json_t *df_task_path_partition(const char *rel)
{
    json_t *part = NULL;
    const char *seg = rel, *slash;

    while ((slash = strchr(seg, '/')) != NULL) {
        const char *eq = memchr(seg, '=', (size_t)(slash - seg));
        if (eq && eq > seg) {
            char *k = url_decode(seg, (size_t)(eq - seg));
            char *v = url_decode(eq + 1, (size_t)(slash - eq - 1));
            if (!part)
                part = json_object();
            json_object_set_new(part, k, json_string(v));
            free(k);
            free(v);
        }
        seg = slash + 1;
    }
    return part;
}

/* ---- inputs ---------------------------------------------------------------------------- */

/* What one view reads: local paths (read in place or staged), plus what the manifest and
 * the cache key record about them. */
struct view_src {
    char **paths;
    size_t n, alloc;
    int hive;        /* any file has Hive partition folders */
    json_t *schema;  /* upstream schema, for an empty view; borrowed from a manifest */
    json_t *records; /* manifest "inputs[].files" */
};

static void src_add(struct view_src *v, const char *path)
{
    if (v->n == v->alloc) {
        v->alloc = v->alloc ? v->alloc * 2 : 16;
        v->paths = xrealloc(v->paths, v->alloc * sizeof(*v->paths));
    }
    v->paths[v->n++] = xstrdup(path);
}

static void src_release(struct view_src *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->paths[i]);
    free(v->paths);
    json_decref(v->records);
    memset(v, 0, sizeof(*v));
}

/* Adds the files of store keys (with their manifest file records) to v: in place on a
 * local store, else downloaded into scratch/in/<view>/ first. */
static int add_store_files(struct task *t, const char *view, json_t *keys, json_t *recs,
                           struct view_src *v, struct df_error *err)
{
    size_t n = json_array_size(keys), i;
    const char **gk = NULL, **gp = NULL;
    char **staged = NULL;
    int rc = 0;

    if (n == 0)
        return 0;
    if (!t->local) {
        /* Room in scratch first: the manifests say how big the files are. */
        uint64_t bytes = 0;
        char *what = xasprintf("%zu file%s", n, n == 1 ? "" : "s");
        for (i = 0; i < n; i++)
            bytes +=
                (uint64_t)json_integer_value(json_object_get(json_array_get(recs, i), "bytes"));
        rc = df_scratch_stage(t->scratch_size, &t->staged_bytes, bytes, what, err);
        free(what);
        if (rc != 0)
            return set_failure_class(t, DF_CLASS_SPILL_FULL);
        gk = xcalloc(n, sizeof(*gk));
        gp = xcalloc(n, sizeof(*gp));
        staged = xcalloc(n, sizeof(*staged));
    }
    for (i = 0; i < n; i++) {
        const char *key = json_string_value(json_array_get(keys, i));
        json_t *rec = json_array_get(recs, i);
        json_t *r = json_object();
        json_object_set_new(r, "key", json_string(key));
        if (json_object_get(rec, "sha256"))
            json_object_set(r, "sha256", json_object_get(rec, "sha256"));
        json_array_append_new(v->records, r);
        if (json_object_get(rec, "partition") &&
            json_object_size(json_object_get(rec, "partition")))
            v->hive = 1;
        if (t->local) {
            char *path = df_store_local_path(t->store, key);
            if (!path) {
                rc = df_error_set(err, DF_EIO, "no local file for '%s'", key);
                break;
            }
            /* Read in place: only if it still is the file its manifest describes. */
            if ((rc = df_file_check_local(path, rec, key, err)) != 0) {
                free(path);
                break;
            }
            src_add(v, path);
            free(path);
        } else {
            /* Keep the Hive folders (k=v/) so partition columns still read. */
            char *sub = xasprintf("in/%s/%05zu", view, i);
            char *dir = fs_join(t->scratch, sub);
            const char *rel = strrchr(key, '/');
            /* Partition folders: the key's "k=v" segments, as written (still encoded). */
            struct strbuf hp = STRBUF_INIT;
            for (const char *seg = key, *sl; (sl = strchr(seg, '/')) != NULL; seg = sl + 1) {
                const char *eq = memchr(seg, '=', (size_t)(sl - seg));
                if (eq && eq > seg) {
                    sb_add(&hp, seg, (size_t)(sl - seg) + 1);
                }
            }
            staged[i] = xasprintf("%s/%s%s", dir, hp.buf, rel ? rel + 1 : "part.parquet");
            sb_release(&hp);
            free(sub);
            free(dir);
            {
                char *slash = strrchr(staged[i], '/');
                *slash = '\0';
                rc = fs_mkdirs(staged[i], err);
                *slash = '/';
            }
            if (rc != 0)
                break;
            gk[i] = key;
            gp[i] = staged[i];
            src_add(v, staged[i]);
        }
    }
    if (rc == 0 && !t->local) {
        /* Hashed while they stream in, against the manifest's SHA-256 (store.h). */
        const char **sums = xcalloc(n, sizeof(*sums));
        for (i = 0; i < n; i++)
            sums[i] = json_string_value(json_object_get(json_array_get(recs, i), "sha256"));
        rc = df_store_get_many_checked(t->store, gk, gp, sums, n, TRANSFER_PARALLEL, err);
        free(sums);
    }
    if (staged)
        for (i = 0; i < n; i++)
            free(staged[i]);
    free(staged);
    free(gk);
    free(gp);
    if (rc != 0)
        set_failure_class(t, DF_CLASS_STORE_ERROR);
    return rc;
}

/* Adds the committed files of table in manifest m to keys/recs (parallel arrays). */
static void manifest_files(json_t *m, const char *table, json_t *keys, json_t *recs,
                           json_t **schema)
{
    json_t *tab = json_object_get(json_object_get(m, "tables"), table);
    json_t *files = json_object_get(tab, "files"), *f;
    size_t added, k = 0, i;

    if (!*schema && json_is_array(json_object_get(tab, "schema")))
        *schema = json_object_get(tab, "schema");
    added = df_manifest_table_keys(m, table, keys);
    /* df_manifest_table_keys skips files without a path, in order: keep recs aligned. */
    json_array_foreach(files, i, f)
    {
        const char *path = json_string_value(json_object_get(f, "path"));
        if (path && *path && k < added) {
            json_array_append(recs, f);
            k++;
        }
    }
    for (; k < added; k++)
        json_array_append_new(recs, json_object());
}

/* Files of upstream step `si`'s table for this task: the same item's task when the step
 * maps `si` with foreach each, every task otherwise (fan-in). */
static int step_input_files(struct task *t, const struct df_input *in, int narrow_each,
                            json_t *keys, json_t *recs, json_t **mlist, json_t **schema,
                            struct df_error *err)
{
    const char *up = t->p->steps[in->step_index].name;
    json_t *ms = NULL, *m;
    size_t i;

    if (narrow_each) {
        if (df_manifest_read(t->store, t->p->name, t->o->run_id, up, t->item_key, &m, err) != 0) {
            if (err->code == DF_ENOTFOUND) {
                df_error_recode(err, DF_EFAIL);
                df_error_prefix(err, "step '%s' item %zu has not committed", up, t->o->item_index);
                return set_failure_class(t, DF_CLASS_UPSTREAM);
            }
            return set_failure_class(t, DF_CLASS_STORE_ERROR);
        }
        ms = json_array();
        json_array_append_new(ms, m);
    } else {
        json_t *up_items = NULL;
        if (df_manifest_list_step(t->store, t->p->name, t->o->run_id, up, &ms, err) != 0)
            return set_failure_class(t, DF_CLASS_STORE_ERROR);
        /* Fan-in needs every task of the upstream step. */
        if (df_plan_items(t->p, (size_t)in->step_index, t->o->items, &up_items, err) == 0) {
            size_t want = json_array_size(up_items);
            json_decref(up_items);
            if (json_array_size(ms) < want) {
                df_error_set(err, DF_EFAIL, "step '%s' has committed %zu of its %zu tasks", up,
                             json_array_size(ms), want);
                json_decref(ms);
                return set_failure_class(t, DF_CLASS_UPSTREAM);
            }
        } else {
            json_decref(ms);
            return set_failure_class(t, err->code == DF_EIO ? DF_CLASS_STORE_ERROR
                                                            : DF_CLASS_UPSTREAM);
        }
    }
    json_array_foreach(ms, i, m) manifest_files(m, in->table, keys, recs, schema);
    *mlist = ms;
    return 0;
}

/* The local files an external input names: a glob expanded (name order), or the path. */
static void expand_local(const char *pattern, json_t *out)
{
    char **paths;
    size_t n;
    if (df_glob_local(pattern, &paths, &n) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(out, json_string(paths[i]));
    df_glob_free(paths, n);
}

struct glob_match {
    const char *pat;
    json_t *keys;
};

/* df_store_list callback: keeps the keys that match the glob. */
static int glob_cb(const char *key, uint64_t size, void *ud)
{
    struct glob_match *m = ud;
    (void)size;
    if (df_glob_match(m->pat, key, 0))
        json_array_append_new(m->keys, json_string(key));
    return 0;
}

int df_task_object_glob(const char *uri, json_t *out, struct df_error *err)
{
    char *store_uri = NULL, *pattern = NULL;
    struct df_store *os = NULL;
    int rc = -1;

    if (df_uri_split_object(uri, &store_uri, &pattern) != 0)
        return df_error_set(err, DF_EUSAGE, "'%s' is not an object uri", uri);
    if (df_store_open(store_uri, &os, err) == 0) {
        size_t plen = strcspn(pattern, "*?[");
        json_t *keys = json_array(), *k;
        size_t i;
        if (!pattern[plen]) {
            json_array_append_new(keys, json_string(pattern));
            rc = 0;
        } else {
            struct glob_match mt = {pattern, keys};
            char *prefix = xstrndup(pattern, plen);
            rc = df_store_list(os, prefix, glob_cb, &mt, err);
            free(prefix);
        }
        json_array_foreach(keys, i, k)
            json_array_append_new(out, json_sprintf("%s/%s", store_uri, json_string_value(k)));
        json_decref(keys);
    }
    df_store_free(os);
    free(store_uri);
    free(pattern);
    return rc;
}

/* Stages an s3:// or gs:// external input (a key or a glob of keys) into scratch. */
static int stage_object_input(struct task *t, const char *view, json_t *uris, struct view_src *v,
                              struct df_error *err)
{
    json_t *full = json_array(), *u;
    struct df_store *os = NULL;
    char *os_uri = NULL, *vdir = NULL;
    size_t i;
    int rc = 0;

    json_array_foreach(uris, i, u)
    {
        if ((rc = df_task_object_glob(json_string_value(u), full, err)) != 0)
            goto done;
    }
    {
        char *sub = xasprintf("in/%s", view);
        vdir = fs_join(t->scratch, sub);
        free(sub);
    }
    if ((rc = fs_mkdirs(vdir, err)) != 0)
        goto done;
    json_array_foreach(full, i, u)
    {
        char *store_uri = NULL, *key = NULL, *path, sha[DF_SHA256_HEX];
        const char *base;
        json_t *r;

        df_uri_split_object(json_string_value(u), &store_uri, &key);
        if (!os_uri || strcmp(os_uri, store_uri) != 0) {
            df_store_free(os);
            os = NULL;
            free(os_uri);
            os_uri = xstrdup(store_uri);
            rc = df_store_open(store_uri, &os, err);
        }
        base = strrchr(key, '/');
        path = xasprintf("%s/%05zu-%s", vdir, i, base ? base + 1 : key);
        if (rc == 0)
            rc = df_store_get_file(os, key, path, err);
        if (rc == 0) {
            /* Its size is known once it is here: over the scratch size, it goes at once. */
            struct stat st;
            char *what = xasprintf("'%s'", json_string_value(u));
            if (stat(path, &st) == 0 && df_scratch_stage(t->scratch_size, &t->staged_bytes,
                                                         (uint64_t)st.st_size, what, err) != 0) {
                unlink(path);
                set_failure_class(t, DF_CLASS_SPILL_FULL);
                rc = -1;
            }
            free(what);
        }
        if (rc == 0)
            rc = df_sha256_file(path, sha, err);
        if (rc == 0) {
            src_add(v, path);
            r = json_object();
            json_object_set(r, "key", u);
            json_object_set_new(r, "sha256", json_string(sha));
            json_array_append_new(v->records, r);
        }
        free(path);
        free(store_uri);
        free(key);
        if (rc != 0)
            break;
    }
done:
    df_store_free(os);
    free(os_uri);
    free(vdir);
    json_decref(full);
    if (rc != 0)
        set_failure_class(t, DF_CLASS_STORE_ERROR);
    return rc;
}

/* Records size and mtime of local external files (the cache key's fingerprint of files
 * the store does not own: hashing them would read every input twice). */
static void record_local_files(struct view_src *v)
{
    for (size_t i = 0; i < v->n; i++) {
        struct stat st;
        json_t *r = json_object();
        json_object_set_new(r, "key", json_string(v->paths[i]));
        if (stat(v->paths[i], &st) == 0) {
            json_object_set_new(r, "size", json_integer((json_int_t)st.st_size));
            json_object_set_new(r, "mtime", json_integer((json_int_t)st.st_mtime));
        }
        json_array_append_new(v->records, r);
    }
}

/* CREATE VIEW name AS SELECT * FROM reader([files], options), or an empty typed view. */
static int create_view(struct task *t, const char *name, const char *format, json_t *options,
                       int step_src, struct view_src *v, struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    const char *k;
    json_t *e;
    size_t i;
    int rc;

    sb_adds(&sql, "CREATE OR REPLACE VIEW ");
    sb_add_sql_ident(&sql, name);
    sb_adds(&sql, " AS ");
    if (v->n == 0) {
        /* No files (every upstream task wrote nothing): the same columns, no rows, so
         * downstream SQL still binds. */
        if (json_array_size(v->schema) == 0) {
            sb_adds(&sql, "SELECT NULL AS _empty WHERE false");
        } else {
            sb_adds(&sql, "SELECT ");
            json_array_foreach(v->schema, i, e)
            {
                const char *cn = json_string_value(json_object_get(e, "name"));
                const char *ct = json_string_value(json_object_get(e, "type"));
                /* The type text goes into SQL: a manifest that is not ours must not be
                 * able to end the statement or hide the rest of it. */
                if (ct && (strchr(ct, ';') || strstr(ct, "--") || strstr(ct, "/*")))
                    ct = NULL;
                if (i)
                    sb_adds(&sql, ", ");
                sb_adds(&sql, "CAST(NULL AS ");
                sb_adds(&sql, ct ? ct : "VARCHAR");
                sb_adds(&sql, ") AS ");
                sb_add_sql_ident(&sql, cn ? cn : "_");
            }
            sb_adds(&sql, " WHERE false");
        }
    } else {
        sb_adds(&sql, "SELECT * FROM ");
        sb_adds(&sql, reader_of(format));
        sb_adds(&sql, "([");
        for (i = 0; i < v->n; i++) {
            if (i)
                sb_adds(&sql, ", ");
            sb_add_sql_string(&sql, v->paths[i]);
        }
        sb_addc(&sql, ']');
        if (step_src)
            sb_addf(&sql, ", union_by_name = true, hive_partitioning = %s",
                    v->hive ? "true" : "false");
        json_object_foreach(options, k, e)
        {
            if (!valid_option_name(k)) {
                sb_release(&sql);
                set_failure_class(t, DF_CLASS_USAGE);
                return df_error_set(err, DF_EUSAGE, "option '%s' is not a reader option name", k);
            }
            sb_addf(&sql, ", %s = ", k);
            add_sql_literal(&sql, e);
        }
        sb_addc(&sql, ')');
    }
    rc = df_duck_exec(&t->duck, sql.buf, err);
    if (rc != 0)
        set_failure_class(t, t->duck.last_class);
    sb_release(&sql);
    return rc;
}

/* 1 when step si is the step s maps with `foreach each`, or one that step maps in turn
 * (each over each): task i of s corresponds to task i of all of them. */
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

/* The text a Hive folder holds for a JSON item value (`k=42`, `k=eu`, `k=true`), or NULL
 * for values whose folder text is not exact (reals, null, lists, structs). */
static char *partition_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v))
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

/* 1 when a file with Hive partition values `part` can hold rows of the `rows` item `item`:
 * no partition column the item names has another value. */
static int partition_matches(json_t *part, json_t *item)
{
    const char *k;
    json_t *pv;

    json_object_foreach(part, k, pv)
    {
        char *want = partition_text(json_object_get(item, k));
        int same = !want || !json_is_string(pv) || !strcmp(want, json_string_value(pv));
        free(want);
        if (!same)
            return 0;
    }
    return 1;
}

/* `foreach: {rows: ...}` whose item is a struct: keeps only the files (keys and their
 * records, parallel arrays) of the item's Hive partition, so a task reads and stages just
 * its partition instead of relying on DuckDB to skip the others after listing them all. */
static void narrow_to_partition(json_t *item, json_t *keys, json_t *recs)
{
    size_t n = json_array_size(keys), kept = 0;

    /* Compact in place (one pass; removing one by one would shift the arrays each time). */
    for (size_t i = 0; i < n; i++) {
        json_t *part = json_object_get(json_array_get(recs, i), "partition");
        if (json_is_object(part) && !partition_matches(part, item))
            continue;
        if (kept != i) {
            json_array_set(keys, kept, json_array_get(keys, i));
            json_array_set(recs, kept, json_array_get(recs, i));
        }
        kept++;
    }
    while (json_array_size(keys) > kept)
        json_array_remove(keys, json_array_size(keys) - 1);
    while (json_array_size(recs) > kept)
        json_array_remove(recs, json_array_size(recs) - 1);
}

/* The task's `foreach files` group as store keys, each with a record of its Hive
 * partition values (parallel arrays, as manifest_files() gives). */
static void group_files(struct task *t, json_t *keys, json_t *recs)
{
    json_t *k;
    size_t i;

    json_array_foreach(json_object_get(t->item, "files"), i, k)
    {
        json_t *r = json_object();
        json_t *part = df_task_path_partition(json_string_value(k) ? json_string_value(k) : "");
        json_array_append(keys, k);
        if (part)
            json_object_set_new(r, "partition", part);
        json_array_append_new(recs, r);
    }
}

/* 1 when `in` is what the step's `foreach files` groups: the input it names, or an input
 * over the `step.table` it names. That input sees only the task's group. */
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

/* One input: find its files, stage them when needed, create its view and record it. */
int task_setup_input(struct task *t, const struct df_input *in, struct df_error *err)
{
    struct view_src v = {0};
    json_t *keys = json_array(), *recs = json_array(), *mlist = NULL, *rec;
    int rc = -1;
    int files_narrow = is_files_source(t->s, in);

    v.records = json_array();
    if (in->step_index >= 0) {
        if (files_narrow) {
            size_t i;
            group_files(t, keys, recs);
            /* The schema for an empty group comes from any upstream manifest (groups are
             * never empty in practice: no listing of every manifest per task then). */
            if (json_array_size(keys) == 0 &&
                df_manifest_list_step(t->store, t->p->name, t->o->run_id,
                                      t->p->steps[in->step_index].name, &mlist, err) != 0) {
                set_failure_class(t, DF_CLASS_STORE_ERROR);
                goto done;
            }
            {
                json_t *m;
                json_array_foreach(mlist, i, m)
                {
                    json_t *sc = json_object_get(
                        json_object_get(json_object_get(m, "tables"), in->table), "schema");
                    if (json_is_array(sc)) {
                        v.schema = sc;
                        break;
                    }
                }
            }
        } else {
            int narrow = in_each_chain(t->p, t->s, in->step_index);
            if (step_input_files(t, in, narrow, keys, recs, &mlist, &v.schema, err) != 0)
                goto done;
            if (t->s->foreach.kind == DF_FOREACH_ROWS && json_is_object(t->item))
                narrow_to_partition(t->item, keys, recs);
        }
        if (add_store_files(t, in->name, keys, recs, &v, err) != 0)
            goto done;
        if (create_view(t, in->name, "parquet", NULL, 1, &v, err) != 0)
            goto done;
    } else {
        json_t *uris = json_array();
        if (files_narrow) {
            json_array_extend(uris, json_object_get(t->item, "files"));
        } else {
            json_array_append_new(uris, json_string(in->uri));
        }
        if (df_uri_is_object(in->uri)) {
            rc = stage_object_input(t, in->name, uris, &v, err);
            json_decref(uris);
            if (rc != 0)
                goto done;
            rc = -1;
        } else {
            size_t i;
            json_t *u;
            json_t *expanded = json_array();
            json_array_foreach(uris, i, u)
            {
                const char *path = df_uri_local_path(json_string_value(u));
                size_t before = json_array_size(expanded);
                expand_local(path, expanded);
                if (json_array_size(expanded) == before)
                    json_array_append_new(expanded, json_string(path)); /* DuckDB says why */
            }
            json_array_foreach(expanded, i, u) src_add(&v, json_string_value(u));
            json_decref(expanded);
            json_decref(uris);
            record_local_files(&v);
        }
        if (v.n == 0 && files_narrow) {
            df_error_set(err, DF_EFAIL, "the task's group of files is empty");
            set_failure_class(t, DF_CLASS_USAGE);
            goto done;
        }
        if (create_view(t, in->name, in->format, in->options, 0, &v, err) != 0)
            goto done;
    }
    rec = json_object();
    json_object_set_new(rec, "name", json_string(in->name));
    if (in->step)
        json_object_set_new(rec, "source", json_sprintf("%s.%s", in->step, in->table));
    else
        json_object_set_new(rec, "source", json_string(in->uri));
    json_object_set(rec, "files", v.records);
    json_array_append_new(t->inputs_rec, rec);
    rc = 0;
done:
    if (rc != 0)
        df_error_prefix(err, "input '%s'", in->name);
    src_release(&v);
    json_decref(keys);
    json_decref(recs);
    json_decref(mlist);
    return rc;
}

/* `foreach files` over `step.table` that is not one of the inputs: a view named after the
 * table over the task's group. */
int task_setup_files_view(struct task *t, struct df_error *err)
{
    const struct df_foreach *fe = &t->s->foreach;
    struct df_input in;

    if (fe->kind != DF_FOREACH_FILES || fe->files_input >= 0 || fe->files_step < 0)
        return 0;
    for (size_t i = 0; i < t->s->n_inputs; i++)
        if (!strcmp(t->s->inputs[i].name, fe->files_table) ||
            is_files_source(t->s, &t->s->inputs[i]))
            return 0;
    memset(&in, 0, sizeof(in));
    in.name = fe->files_table;
    in.step = t->p->steps[fe->files_step].name;
    in.table = fe->files_table;
    in.step_index = fe->files_step;
    {
        struct view_src v = {0};
        json_t *keys = json_array(), *recs = json_array(), *rec;
        int rc;
        v.records = json_array();
        group_files(t, keys, recs);
        rc = add_store_files(t, in.name, keys, recs, &v, err);
        if (rc == 0)
            rc = create_view(t, in.name, "parquet", NULL, 1, &v, err);
        if (rc == 0) {
            rec = json_object();
            json_object_set_new(rec, "name", json_string(in.name));
            json_object_set_new(rec, "source", json_sprintf("%s.%s", in.step, in.table));
            json_object_set(rec, "files", v.records);
            json_array_append_new(t->inputs_rec, rec);
        } else {
            df_error_prefix(err, "files of '%s'", fe->files_source);
        }
        src_release(&v);
        json_decref(keys);
        json_decref(recs);
        return rc;
    }
}
