/*
 * attach.c - a run's outputs as SQL (query.h step 3): a schema per step, a view per output
 * table over every committed task's Parquet files, and the `_run` schema holding the run's
 * own records (tasks, files, tables, the run record) built from the manifests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dag/label.h"
#include "query/cachefs.h"
#include "query/failchecks.h"
#include "query/query.h"
#include "store/layout.h"
#include "store/keycheck.h"
#include "store/manifest.h"
#include "store/verify.h"
#include "util/jsonfmt.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define DOWNLOAD_PARALLEL 8

char *df_query_cache_dir(const struct df_store *s)
{
    const char *env = getenv("DUCKFLOW_CACHE"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    char hex[DF_SHA256_HEX];
    char *base;
    char *dir;

    if (env && *env)
        base = xstrdup(env);
    else if (xdg && *xdg)
        base = xasprintf("%s/duckflow", xdg);
    else if (home && *home)
        base = xasprintf("%s/.cache/duckflow", home);
    else
        base = xstrdup("/tmp/duckflow-cache");
    df_sha256_hex(s->uri, strlen(s->uri), hex);
    dir = xasprintf("%s/%.16s", base, hex);
    free(base);
    return dir;
}

struct file_ref {
    char *key;
    char *path; /* the local file DuckDB reads */
    uint64_t bytes;
    json_t *rec; /* the manifest's file record (borrowed) */
};

struct file_list {
    struct file_ref *v;
    size_t n, alloc;
};

static void file_list_release(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].path);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* The local path of a store key: the file itself, or its place in the cache. */
static char *local_file(struct df_store *s, const char *cache_dir, const char *key)
{
    char *p = df_store_local_path(s, key);
    return p ? p : xasprintf("%s/%s", cache_dir, key);
}

/* Appends the files of table in manifest m; *hive is set when any has a partition. */
static void table_files(struct df_store *s, const char *cache_dir, json_t *m, const char *table,
                        struct file_list *l, int *hive)
{
    json_t *keys = json_array(), *files, *f;
    size_t i, k = 0;

    files = json_object_get(json_object_get(json_object_get(m, "tables"), table), "files");
    df_manifest_table_keys(m, table, keys);
    json_array_foreach(files, i, f)
    {
        const char *path = json_string_value(json_object_get(f, "path"));
        json_t *part = json_object_get(f, "partition");
        if (!path || !*path || k >= json_array_size(keys))
            continue;
        if (json_is_object(part) && json_object_size(part))
            *hive = 1;
        if (l->n == l->alloc) {
            l->alloc = l->alloc ? 2 * l->alloc : 16;
            l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
        }
        l->v[l->n].key = xstrdup(json_string_value(json_array_get(keys, k++)));
        l->v[l->n].path = local_file(s, cache_dir, l->v[l->n].key);
        l->v[l->n].bytes = (uint64_t)json_integer_value(json_object_get(f, "bytes"));
        l->v[l->n].rec = f;
        l->n++;
    }
    json_decref(keys);
}

/* 1 when the file already in the query cache at path hashes to the SHA-256 that its
 * manifest record rec gives: the right size is not enough (a cached file may have been
 * damaged or replaced since its download was checked). Without a recorded hash, or when
 * the file cannot be read, 0: it is downloaded again (and checked while it streams). */
static int cached_file_ok(const char *path, json_t *rec)
{
    const char *want = json_string_value(json_object_get(rec, "sha256"));
    char got[DF_SHA256_HEX];
    struct df_error e = DF_ERROR_INIT;

    if (!want || df_sha256_file(path, got, &e) != 0) {
        df_error_clear(&e);
        return 0;
    }
    return strcmp(got, want) == 0;
}

/* Downloads the files of a non-local store that the cache does not hold yet, or holds
 * other bytes than the manifest's. */
static int fetch_missing(struct df_store *s, struct file_list *l, struct df_error *err)
{
    const char **keys = xcalloc(l->n ? l->n : 1, sizeof(*keys));
    const char **paths = xcalloc(l->n ? l->n : 1, sizeof(*paths));
    const char **sums = xcalloc(l->n ? l->n : 1, sizeof(*sums));
    size_t n = 0;
    int rc = 0;
    char *probe = l->n ? df_store_local_path(s, l->v[0].key) : NULL;

    /* A local store: DuckDB reads the files in place, nothing to fetch; each must still be
     * the file its manifest describes (size and mtime, store/verify.h). */
    for (size_t i = 0; i < l->n && rc == 0 && probe; i++)
        rc = df_file_check_local(l->v[i].path, l->v[i].rec, l->v[i].key, err);
    for (size_t i = 0; i < l->n && rc == 0 && !probe; i++) {
        char *dir, *slash;
        int64_t have;
        /* Joined onto the cache folder: it must stay inside (manifests are checked when
         * read; this holds whatever the key came from). */
        if ((rc = df_key_check(l->v[i].key, "query cache: file key", err)) != 0)
            break;
        /* path is <cache base>/<store hash>/<key>: walked from the base, a symlink below
         * it is never followed (query/cachefs.h). */
        dir = xstrndup(l->v[i].path, strlen(l->v[i].path) - strlen(l->v[i].key) - 1);
        slash = strrchr(dir, '/');
        {
            const char *rel = l->v[i].path + (slash ? (size_t)(slash - dir) + 1 : 0);
            const char *base = !slash ? "." : slash == dir ? "/" : dir;
            if (slash)
                *slash = '\0';
            have = df_cachefs_plain_file(base, rel) ? fs_file_size(l->v[i].path) : -1;
            if (have >= 0 && (l->v[i].bytes == 0 || (uint64_t)have == l->v[i].bytes) &&
                cached_file_ok(l->v[i].path, l->v[i].rec)) {
                free(dir);
                continue;
            }
            rc = df_cachefs_mkdirs(base, rel, err);
        }
        free(dir);
        if (rc != 0)
            break;
        keys[n] = l->v[i].key;
        paths[n] = l->v[i].path;
        sums[n] = json_string_value(json_object_get(l->v[i].rec, "sha256"));
        n++;
    }
    if (rc == 0 && n)
        rc = df_store_get_many_checked(s, keys, paths, sums, n, DOWNLOAD_PARALLEL, err);
    if (rc != 0 && !probe)
        df_error_prefix(err, "cannot download run files into the cache");
    free(probe);
    free(keys);
    free(paths);
    free(sums);
    return rc;
}

/* "catalog". when catalog is not NULL: the views of several pipelines are created with
 * three-part names, since a two-part `popularity.x` is ambiguous in DuckDB once a catalog
 * is also called `popularity` (a pipeline named like another pipeline's step). */
static void add_catalog(struct strbuf *sql, const char *catalog)
{
    if (catalog) {
        sb_add_sql_ident(sql, catalog);
        sb_addc(sql, '.');
    }
}

static int view_sql(struct strbuf *sql, const char *catalog, const char *step, const char *table,
                    json_t *schema, const struct file_list *l, int hive)
{
    sb_adds(sql, "CREATE OR REPLACE VIEW ");
    add_catalog(sql, catalog);
    sb_add_sql_ident(sql, step);
    sb_addc(sql, '.');
    sb_add_sql_ident(sql, table);
    sb_adds(sql, " AS ");
    if (l->n) {
        sb_adds(sql, "SELECT * FROM read_parquet([");
        for (size_t i = 0; i < l->n; i++) {
            if (i)
                sb_addc(sql, ',');
            sb_add_sql_string(sql, l->v[i].path);
        }
        sb_addf(sql, "], union_by_name = true, hive_partitioning = %s)", hive ? "true" : "false");
        return 0;
    }
    /* No files: an empty view with the recorded schema. */
    df_manifest_empty_select(sql, schema);
    return 0;
}

/* sql with double quotes dropped, spaces around '.' removed and letters lowered, so that
 * `"Merge" . totals` reads "merge.totals". Malloc'd. */
static char *normalise_sql(const char *sql)
{
    struct strbuf sb = STRBUF_INIT;
    for (const char *p = sql; *p; p++) {
        if (*p == '"')
            continue;
        if ((*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') && sb.len &&
            sb.buf[sb.len - 1] == '.')
            continue;
        if (*p == '.')
            while (sb.len && (sb.buf[sb.len - 1] == ' ' || sb.buf[sb.len - 1] == '\t' ||
                              sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
                sb.buf[--sb.len] = '\0';
        sb_addc(&sb, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
    }
    return sb_detach(&sb);
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* 1 when the normalised SQL names step.table (identifiers are case-insensitive). */
static int mentions(const char *norm, const char *step, const char *table)
{
    char *want = xasprintf("%s.%s", step, table);
    size_t n = strlen(want);
    const char *p = norm;
    int found = 0;

    for (char *w = want; *w; w++)
        if (*w >= 'A' && *w <= 'Z')
            *w = (char)(*w - 'A' + 'a');
    while (!found && (p = strstr(p, want)) != NULL) {
        found = (p == norm || !ident_char(p[-1])) && !ident_char(p[n]);
        p++;
    }
    free(want);
    return found;
}

static int attach_step(struct df_duck *d, struct df_store *s, const struct df_run_step *st,
                       const char *catalog, const char *cache_dir, const char *norm_sql,
                       struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    json_t *tables = json_array(), *m;
    size_t i;
    int rc = 0;

    sb_adds(&sql, "CREATE SCHEMA IF NOT EXISTS ");
    add_catalog(&sql, catalog);
    sb_add_sql_ident(&sql, st->name);
    rc = df_duck_exec(d, sql.buf, err);
    /* Tables in the order the first manifest that has them lists them. */
    json_array_foreach(st->manifests, i, m)
    {
        const char *name;
        json_t *t;
        json_object_foreach(json_object_get(m, "tables"), name, t)
        {
            size_t j;
            json_t *have;
            int seen = 0;
            (void)t;
            json_array_foreach(tables, j, have) seen |= !strcmp(json_string_value(have), name);
            if (!seen && df_valid_ident(name))
                json_array_append_new(tables, json_string(name));
        }
    }
    for (i = 0; rc == 0 && i < json_array_size(tables); i++) {
        const char *table = json_string_value(json_array_get(tables, i));
        struct file_list files = {NULL, 0, 0};
        json_t *schema = NULL;
        size_t j;
        int hive = 0;
        json_array_foreach(st->manifests, j, m)
        {
            json_t *t = json_object_get(json_object_get(m, "tables"), table);
            if (!schema && json_array_size(json_object_get(t, "schema")))
                schema = json_object_get(t, "schema");
            table_files(s, cache_dir, m, table, &files, &hive);
        }
        sb_reset(&sql);
        if (norm_sql && files.n && !mentions(norm_sql, st->name, table)) {
            /* A remote table the SQL does not name: not downloaded; its view has the
             * recorded columns and fails with a clear message if used after all. */
            struct file_list none = {NULL, 0, 0};
            view_sql(&sql, catalog, st->name, table, schema, &none, 0);
            sb_adds(&sql, " OR error(");
            {
                struct strbuf msg = STRBUF_INIT;
                sb_addf(&msg,
                        "table '%s.%s' of a remote store is downloaded only when the SQL "
                        "names it as %s.%s",
                        st->name, table, st->name, table);
                sb_add_sql_string(&sql, msg.buf);
                sb_release(&msg);
            }
            sb_adds(&sql, ") IS NULL");
            rc = df_duck_exec(d, sql.buf, err);
        } else {
            rc = fetch_missing(s, &files, err);
            if (rc == 0) {
                view_sql(&sql, catalog, st->name, table, schema, &files, hive);
                rc = df_duck_exec(d, sql.buf, err);
            }
        }
        if (rc != 0)
            df_error_prefix(err, "view '%s.%s'", st->name, table);
        file_list_release(&files);
    }
    json_decref(tables);
    sb_release(&sql);
    return rc;
}

/* Appender helpers: a missing JSON value becomes NULL. */
static void app_str(duckdb_appender a, const char *v)
{
    if (v)
        duckdb_append_varchar(a, v);
    else
        duckdb_append_null(a);
}

static void app_int(duckdb_appender a, json_t *v)
{
    if (json_is_integer(v))
        duckdb_append_int64(a, (int64_t)json_integer_value(v));
    else if (json_is_real(v))
        duckdb_append_int64(a, (int64_t)json_real_value(v));
    else
        duckdb_append_null(a);
}

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *const run_schema_sql =
    "CREATE SCHEMA IF NOT EXISTS _run;"
    "CREATE OR REPLACE TABLE _run.tasks (step VARCHAR, item_index BIGINT, item_key VARCHAR,"
    " item VARCHAR, attempt BIGINT, attempt_dir VARCHAR, exit_class VARCHAR,"
    " started_at VARCHAR, finished_at VARCHAR, start_ms BIGINT, inputs_ms BIGINT, sql_ms BIGINT,"
    " checks_ms BIGINT, write_ms BIGINT, total_ms BIGINT, peak_rss_bytes BIGINT,"
    " memory_limit BIGINT, threads BIGINT, spilled_bytes BIGINT, tables BIGINT, files BIGINT,"
    " rows BIGINT, bytes BIGINT, cache_key VARCHAR, item_label VARCHAR, reused_from_run VARCHAR);"
    "CREATE OR REPLACE TABLE _run.checks (step VARCHAR, item_index BIGINT, item_key VARCHAR,"
    " item_label VARCHAR, name VARCHAR, severity VARCHAR, rows BIGINT, passed BOOLEAN);"
    "CREATE OR REPLACE TABLE _run.files (step VARCHAR, item_index BIGINT, item_key VARCHAR,"
    " \"table\" VARCHAR, key VARCHAR, path VARCHAR, rows BIGINT, bytes BIGINT, sha256 VARCHAR,"
    " \"partition\" VARCHAR);"
    "CREATE OR REPLACE TABLE _run.task_tables (step VARCHAR, item_index BIGINT,"
    " item_key VARCHAR, \"table\" VARCHAR, rows BIGINT, bytes BIGINT, files BIGINT);"
    "CREATE OR REPLACE TABLE _run.run (pipeline VARCHAR, run VARCHAR, status VARCHAR,"
    " started_at VARCHAR, finished_at VARCHAR, record VARCHAR);";

/* Timestamps are kept as the manifest's ISO text and turned into TIMESTAMP by the views. */
static const char *const run_views_sql =
    "ALTER TABLE _run.tasks ALTER started_at TYPE TIMESTAMP"
    " USING TRY_CAST(replace(started_at, 'Z', '') AS TIMESTAMP);"
    "ALTER TABLE _run.tasks ALTER finished_at TYPE TIMESTAMP"
    " USING TRY_CAST(replace(finished_at, 'Z', '') AS TIMESTAMP);"
    "ALTER TABLE _run.run ALTER started_at TYPE TIMESTAMP"
    " USING TRY_CAST(replace(started_at, 'Z', '') AS TIMESTAMP);"
    "ALTER TABLE _run.run ALTER finished_at TYPE TIMESTAMP"
    " USING TRY_CAST(replace(finished_at, 'Z', '') AS TIMESTAMP);"
    "CREATE OR REPLACE VIEW _run.tables AS SELECT step, \"table\", count(*) AS tasks,"
    " sum(files) AS files, sum(rows) AS rows, sum(bytes) AS bytes FROM _run.task_tables"
    " GROUP BY step, \"table\" ORDER BY step, \"table\";";

static int appender(struct df_duck *d, const char *table, duckdb_appender *a, struct df_error *err)
{
    if (duckdb_appender_create(d->con, "_run", table, a) == DuckDBError) {
        df_error_set(err, DF_EFAIL, "cannot append to '_run.%s': %s", table,
                     duckdb_appender_error(*a) ? duckdb_appender_error(*a) : "unknown error");
        duckdb_appender_destroy(a);
        return -1;
    }
    return 0;
}

static int end_row(duckdb_appender a, const char *table, struct df_error *err)
{
    if (duckdb_appender_end_row(a) == DuckDBError)
        return df_error_set(err, DF_EFAIL, "cannot append to '_run.%s': %s", table,
                            duckdb_appender_error(a) ? duckdb_appender_error(a) : "unknown");
    return 0;
}

static int finish(duckdb_appender *a, const char *table, struct df_error *err)
{
    int rc = 0;
    if (*a && duckdb_appender_flush(*a) == DuckDBError)
        rc = df_error_set(err, DF_EFAIL, "cannot append to '_run.%s': %s", table,
                          duckdb_appender_error(*a) ? duckdb_appender_error(*a) : "unknown");
    if (*a)
        duckdb_appender_destroy(a);
    return rc;
}

/* One row per check result the manifest records (engine/checks.h). */
static int add_check_rows(duckdb_appender checks, const char *step, const char *label, json_t *m,
                          struct df_error *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(m, "checks"), i, c)
    {
        app_str(checks, step);
        app_int(checks, json_object_get(m, "item_index"));
        app_str(checks, jstr(m, "item_key"));
        app_str(checks, label);
        app_str(checks, jstr(c, "name"));
        app_str(checks, jstr(c, "severity"));
        app_int(checks, json_object_get(c, "rows"));
        duckdb_append_bool(checks, json_is_true(json_object_get(c, "passed")));
        if (end_row(checks, "checks", err) != 0)
            return -1;
    }
    return 0;
}

static int add_task_rows(duckdb_appender tasks, duckdb_appender files, duckdb_appender tt,
                         struct df_store *s, const char *cache_dir, const char *step, json_t *m,
                         const char *label, struct df_error *err)
{
    json_t *timings = json_object_get(m, "timings_ms"), *tables = json_object_get(m, "tables");
    json_t *t, *item = json_object_get(m, "item");
    const char *tname;
    int64_t rows = 0, bytes = 0, nfiles = 0;
    char *item_text = item ? df_json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    json_object_foreach(tables, tname, t)
    {
        json_t *fl = json_object_get(t, "files"), *f, *keys = json_array();
        size_t i, k = 0;
        rows += json_integer_value(json_object_get(t, "rows"));
        bytes += json_integer_value(json_object_get(t, "bytes"));
        nfiles += (int64_t)json_array_size(fl);
        df_manifest_table_keys(m, tname, keys);
        app_str(tt, step);
        app_int(tt, json_object_get(m, "item_index"));
        app_str(tt, jstr(m, "item_key"));
        app_str(tt, tname);
        app_int(tt, json_object_get(t, "rows"));
        app_int(tt, json_object_get(t, "bytes"));
        duckdb_append_int64(tt, (int64_t)json_array_size(fl));
        if (end_row(tt, "task_tables", err) != 0) {
            json_decref(keys);
            free(item_text);
            return -1;
        }
        json_array_foreach(fl, i, f)
        {
            const char *key = json_string_value(json_array_get(keys, k));
            json_t *part = json_object_get(f, "partition");
            char *path = key ? local_file(s, cache_dir, key) : NULL;
            char *part_text = json_is_object(part) ? df_json_dumps(part, JSON_COMPACT) : NULL;
            if (jstr(f, "path") && *jstr(f, "path"))
                k++;
            app_str(files, step);
            app_int(files, json_object_get(m, "item_index"));
            app_str(files, jstr(m, "item_key"));
            app_str(files, tname);
            app_str(files, key);
            app_str(files, path);
            app_int(files, json_object_get(f, "rows"));
            app_int(files, json_object_get(f, "bytes"));
            app_str(files, jstr(f, "sha256"));
            app_str(files, part_text);
            free(path);
            free(part_text);
            if (end_row(files, "files", err) != 0) {
                json_decref(keys);
                free(item_text);
                return -1;
            }
        }
        json_decref(keys);
    }
    app_str(tasks, step);
    app_int(tasks, json_object_get(m, "item_index"));
    app_str(tasks, jstr(m, "item_key"));
    app_str(tasks, item_text);
    app_int(tasks, json_object_get(m, "attempt"));
    app_str(tasks, jstr(m, "attempt_dir"));
    app_str(tasks, jstr(m, "exit_class"));
    app_str(tasks, jstr(m, "started_at"));
    app_str(tasks, jstr(m, "finished_at"));
    app_int(tasks, json_object_get(timings, "start"));
    app_int(tasks, json_object_get(timings, "inputs"));
    app_int(tasks, json_object_get(timings, "sql"));
    app_int(tasks, json_object_get(timings, "checks"));
    app_int(tasks, json_object_get(timings, "write"));
    app_int(tasks, json_object_get(timings, "total"));
    app_int(tasks, json_object_get(m, "peak_rss_bytes"));
    app_int(tasks, json_object_get(m, "memory_limit"));
    app_int(tasks, json_object_get(m, "threads"));
    app_int(tasks, json_object_get(m, "spilled_bytes"));
    duckdb_append_int64(tasks, (int64_t)json_object_size(tables));
    duckdb_append_int64(tasks, nfiles);
    duckdb_append_int64(tasks, rows);
    duckdb_append_int64(tasks, bytes);
    app_str(tasks, jstr(m, "cache_key"));
    app_str(tasks, label);
    app_str(tasks, jstr(m, "reused_from_run")); /* NULL when the task ran in this run */
    free(item_text);
    return end_row(tasks, "tasks", err);
}

/* A step's rows: its committed tasks (manifests, may be NULL) in _run.tasks, _run.files,
 * _run.task_tables and _run.checks, and the checks of its tasks that failed (their
 * _error.json, query/failchecks.h; may be NULL) in _run.checks. Non-zero on failure. */
static int add_step_rows(duckdb_appender tasks, duckdb_appender files, duckdb_appender tt,
                         duckdb_appender checks, struct df_store *s, const char *cache_dir,
                         const char *step, json_t *manifests, json_t *failed, struct df_error *err)
{
    size_t j, n_labels = 0, n_done = json_array_size(manifests);
    json_t *m, *items = json_array();
    char **labels;
    int bad = 0;

    /* Labels as the run showed them (dag/label.h), from the tasks' items; an unfanned
     * task (item null) has none. */
    json_array_foreach(manifests, j, m)
    {
        json_t *it = json_object_get(m, "item");
        json_array_append(items, it ? it : json_null());
    }
    json_array_foreach(failed, j, m)
    {
        json_t *it = json_object_get(m, "item");
        json_array_append(items, it ? it : json_null());
    }
    labels = df_item_labels(items, &n_labels);
    json_array_foreach(manifests, j, m)
    {
        const char *label = json_is_null(json_array_get(items, j)) ? NULL : labels[j];
        if (add_task_rows(tasks, files, tt, s, cache_dir, step, m, label, err) ||
            add_check_rows(checks, step, label, m, err)) {
            bad = 1;
            break;
        }
    }
    json_array_foreach(failed, j, m)
    {
        const char *label =
            json_is_null(json_array_get(items, n_done + j)) ? NULL : labels[n_done + j];
        if (bad || add_check_rows(checks, step, label, m, err)) {
            bad = 1;
            break;
        }
    }
    df_item_labels_free(labels, n_labels);
    json_decref(items);
    return bad;
}

static int attach_records(struct df_duck *d, struct df_store *s, const struct df_run_info *r,
                          const char *cache_dir, struct df_error *err)
{
    duckdb_appender tasks = NULL, files = NULL, tt = NULL, run = NULL, checks = NULL;
    char *record = NULL;
    int rc = -1;
    json_t *failed_all = NULL;
    struct df_error fe = DF_ERROR_INIT;

    if (df_duck_exec(d, run_schema_sql, err) != 0)
        return -1;
    if (appender(d, "tasks", &tasks, err) || appender(d, "files", &files, err) ||
        appender(d, "task_tables", &tt, err) || appender(d, "run", &run, err) ||
        appender(d, "checks", &checks, err))
        goto out;
    /* Tasks that did not commit show the checks their last attempt ran (a listing that
     * fails only leaves them out). */
    if (df_failed_task_errors(s, r, &failed_all, &fe) != 0)
        json_object_clear(failed_all);
    for (size_t i = 0; i < r->n_steps; i++) {
        json_t *failed = json_object_get(failed_all, r->steps[i].name);
        int bad = add_step_rows(tasks, files, tt, checks, s, cache_dir, r->steps[i].name,
                                r->steps[i].manifests, failed, err);
        json_object_del(failed_all, r->steps[i].name);
        if (bad)
            goto out;
    }
    {
        /* Steps none of whose tasks committed. */
        const char *name;
        json_t *failed;
        json_object_foreach(failed_all, name, failed)
        {
            if (add_step_rows(tasks, files, tt, checks, s, cache_dir, name, NULL, failed, err))
                goto out;
        }
    }
    record = r->run_json ? df_json_dumps(r->run_json, JSON_COMPACT) : NULL;
    app_str(run, r->pipeline);
    app_str(run, r->run);
    app_str(run, r->run_json ? jstr(r->run_json, "status") : NULL);
    app_str(run, r->run_json ? jstr(r->run_json, "started_at") : NULL);
    app_str(run, r->run_json ? jstr(r->run_json, "finished_at") : NULL);
    app_str(run, record);
    if (end_row(run, "run", err) != 0)
        goto out;
    rc = 0;
out:
    if (finish(&tasks, "tasks", err) || finish(&files, "files", err) ||
        finish(&tt, "task_tables", err) || finish(&run, "run", err) ||
        finish(&checks, "checks", err))
        rc = -1;
    /* finish() stops at the first failure; destroy what is left either way. */
    if (tasks)
        duckdb_appender_destroy(&tasks);
    if (files)
        duckdb_appender_destroy(&files);
    if (tt)
        duckdb_appender_destroy(&tt);
    if (run)
        duckdb_appender_destroy(&run);
    if (checks)
        duckdb_appender_destroy(&checks);
    free(record);
    json_decref(failed_all);
    if (rc == 0)
        rc = df_duck_exec(d, run_views_sql, err);
    return rc;
}

int df_query_attach(struct df_duck *d, struct df_store *s, const struct df_run_info *r,
                    const char *cache_dir, const char *sql, struct df_error *err)
{
    return df_query_attach_catalog(d, s, r, NULL, cache_dir, sql, err);
}

int df_query_attach_catalog(struct df_duck *d, struct df_store *s, const struct df_run_info *r,
                            const char *catalog, const char *cache_dir, const char *sql,
                            struct df_error *err)
{
    char *own_cache = NULL, *norm = NULL, *probe = df_store_local_path(s, "x");
    int rc = 0;

    if (!cache_dir)
        cache_dir = own_cache = df_query_cache_dir(s);
    if (sql && !probe)
        norm = normalise_sql(sql);
    free(probe);
    for (size_t i = 0; rc == 0 && i < r->n_steps; i++) {
        rc = attach_step(d, s, &r->steps[i], catalog, cache_dir, norm, err);
        if (rc != 0)
            df_error_prefix(err, "step '%s'", r->steps[i].name);
    }
    if (rc == 0)
        rc = attach_records(d, s, r, cache_dir, err);
    if (rc != 0)
        df_error_prefix(err, "run '%s'", r->run);
    free(norm);
    free(own_cache);
    return rc;
}
