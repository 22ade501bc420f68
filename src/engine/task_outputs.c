/*
 * task_outputs.c - a task's outputs: write each table with COPY ... TO zstd Parquet under
 * the attempt folder, name its parts (part-00000.parquet), record rows, bytes, checksums
 * and schema for the manifest, then make them durable (fsync on a local store) or upload
 * them (any other store) before the manifest is committed.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/task_internal.h"
#include "engine/types.h"
#include "engine/viewtime.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/jsonarr.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

/* ---- outputs --------------------------------------------------------------------------- */

static int by_rel(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "path"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "path"));
    return strcmp(x ? x : "", y ? y : "");
}

/* "part-12.parquet" -> "part-00012.parquet" in the same folder; returns the new path. */
static char *pad_part_name(const char *path, struct df_error *err)
{
    const char *base = strrchr(path, '/');
    char *end;
    unsigned long long i;
    char *to;

    base = base ? base + 1 : path;
    if (strncmp(base, "part-", 5) != 0)
        return xstrdup(path);
    i = strtoull(base + 5, &end, 10);
    if (end == base + 5 || strcmp(end, ".parquet") != 0 || end - (base + 5) >= 5)
        return xstrdup(path);
    to = xasprintf("%.*spart-%05llu.parquet", (int)(base - path), path, i);
    if (rename(path, to) != 0) {
        df_error_errno(err, "cannot rename '%s'", path);
        free(to);
        return NULL;
    }
    return to;
}

/* Files DuckDB writes straight into a local store's folder must be durable before the
 * manifest that names them (it is fsync'd). Each file's writeback starts as soon as it is
 * written (Linux: sync_file_range, which does not wait) so the disk works while the task
 * writes its next output; sync_outputs() then fsyncs them all, mostly already on disk.
 * 0 or -1 (errno). */
static int start_writeback(const char *path)
{
#ifdef SYNC_FILE_RANGE_WRITE
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return close(fd);
#else
    (void)path;
    return 0;
#endif
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

int task_sync_outputs(struct task *t, struct df_error *err)
{
    size_t i;
    json_t *path;

    json_array_foreach(t->to_sync, i, path)
    {
        if (sync_file(json_string_value(path)) != 0) {
            df_error_errno(err, "cannot sync '%s'", json_string_value(path));
            return set_failure_class(t, DF_CLASS_STORE_ERROR);
        }
    }
    return 0;
}

/* The COPY that writes output out's table into dir as zstd Parquet (one file, or parts by
 * size and partition): 0, or -1 with err set and the failure class recorded. *cols gets
 * the table's columns (df_types_select_list), the caller's to free. */
static int copy_sql(struct task *t, const struct df_output *out, const char *dir, int single,
                    struct strbuf *sql, json_t **cols, struct df_error *err)
{
    size_t i;

    sb_adds(sql, "COPY (SELECT ");
    if (df_types_select_list(&t->duck, out->name, sql, cols, err) != 0)
        return set_failure_class(t, DF_CLASS_SQL_ERROR);
    sb_adds(sql, " FROM ");
    sb_add_sql_ident(sql, out->name);
    for (i = 0; i < out->n_order_by; i++) {
        sb_adds(sql, i ? ", " : " ORDER BY ");
        sb_adds(sql, out->order_by[i]);
    }
    sb_adds(sql, "\n) TO ");
    if (single) {
        char *f = fs_join(dir, "part-00000.parquet");
        sb_add_sql_string(sql, f);
        free(f);
    } else {
        sb_add_sql_string(sql, dir);
    }
    sb_adds(sql, " (FORMAT parquet, COMPRESSION ");
    sb_add_sql_string(sql, out->compression ? out->compression : "zstd");
    sb_adds(sql, ", RETURN_STATS true");
    if (!single) {
        sb_adds(sql, ", PER_THREAD_OUTPUT false, OVERWRITE_OR_IGNORE true, "
                     "FILENAME_PATTERN 'part-{i}'");
        if (out->file_size)
            sb_addf(sql, ", FILE_SIZE_BYTES %" PRIu64, out->file_size);
        if (out->n_partition_by) {
            sb_adds(sql, ", PARTITION_BY (");
            for (i = 0; i < out->n_partition_by; i++) {
                if (i)
                    sb_adds(sql, ", ");
                sb_add_sql_ident(sql, out->partition_by[i]);
            }
            sb_addc(sql, ')');
        }
    }
    sb_addc(sql, ')');
    return 0;
}

/* Runs the COPY; a failure gets its class (a local store's I/O error is store_error). Of
 * a view, the time of computing it while it is written is counted under sql. 0 with *res
 * to destroy, or -1. */
static int run_copy(struct task *t, const char *sql, int is_view, duckdb_result *res,
                    struct df_error *err)
{
    int profiled = is_view ? df_viewtime_begin(t->duck.con) : 0;
    int64_t copy_start = df_now_ms();

    if (duckdb_query(t->duck.con, sql, res) == DuckDBError) {
        const char *msg = duckdb_result_error(res);
        duckdb_error_type et = duckdb_result_error_type(res);
        enum df_exit_class c;
        if (profiled)
            df_viewtime_end(t->duck.con, 0);
        df_duck_fail(&t->duck, et, msg, err);
        c = t->duck.last_class;
        /* Writing into a local store's folder failed: the store's fault, not the SQL's
         * (a full spill folder is still spill_full). */
        if (t->local && et == DUCKDB_ERROR_IO &&
            (c == DF_CLASS_SQL_ERROR ||
             (c == DF_CLASS_SPILL_FULL && msg && !strstr(msg, t->spill_dir))))
            c = DF_CLASS_STORE_ERROR;
        duckdb_destroy_result(res);
        return set_failure_class(t, c);
    }
    if (profiled)
        t->view_ms += df_viewtime_end(t->duck.con, df_now_ms() - copy_start);
    return 0;
}

/* One file the COPY wrote (fname, count rows; DuckDB's string, freed here): named as a
 * part, checked to be under dir, summed and recorded in files with its manifest entry, and
 * queued to be synced (local store) or uploaded. 0, or -1 with the failure class set. */
static int record_file(struct task *t, const struct df_output *out, const char *dir, int single,
                       char *fname, int64_t count, json_t *files, uint64_t *rows, uint64_t *bytes,
                       struct df_error *err)
{
    char *path = NULL, sha[DF_SHA256_HEX];
    const char *rel;
    int64_t size;
    json_t *f;

    if (!fname) {
        df_error_set(err, DF_EFAIL, "copy returned no file name");
        return set_failure_class(t, DF_CLASS_CRASH);
    }
    path = single ? xstrdup(fname) : pad_part_name(fname, err);
    duckdb_free(fname);
    if (!path)
        return set_failure_class(t, DF_CLASS_STORE_ERROR);
    if (strncmp(path, dir, strlen(dir)) != 0 || path[strlen(dir)] != '/') {
        df_error_set(err, DF_EFAIL, "copy wrote '%s' outside '%s'", path, dir);
        free(path);
        return set_failure_class(t, DF_CLASS_CRASH);
    }
    rel = path + strlen(dir) + 1;
    size = fs_file_size(path);
    if (size < 0 || df_sha256_file(path, sha, err) != 0 || (t->local && start_writeback(path))) {
        df_error_set(err, DF_EIO, "cannot read or sync '%s'", path);
        free(path);
        return set_failure_class(t, DF_CLASS_STORE_ERROR);
    }
    f = json_object();
    json_object_set_new(f, "path", json_sprintf("%s/%s/%s", t->attempt_dir, out->name, rel));
    json_object_set_new(f, "rows", json_integer(count));
    json_object_set_new(f, "bytes", json_integer(size));
    json_object_set_new(f, "sha256", json_string(sha));
    if (t->local) {
        /* Local readers check size and mtime against these before trusting the file
         * (store/verify.h). */
        struct stat st;
        if (stat(path, &st) == 0)
            json_object_set_new(
                f, "mtime_ns",
                json_integer((json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec));
    }
    {
        json_t *part = df_task_path_partition(rel);
        if (part)
            json_object_set_new(f, "partition", part);
    }
    json_array_append_new(files, f);
    if (t->local)
        json_array_append_new(t->to_sync, json_string(path));
    if (!t->local) {
        json_t *pair = json_array();
        json_array_append_new(pair, json_sprintf("%s/%s/%s", t->attempt_key, out->name, rel));
        json_array_append_new(pair, json_string(path));
        json_array_append_new(t->uploads, pair);
    }
    *rows += (uint64_t)count;
    *bytes += (uint64_t)size;
    free(path);
    return 0;
}

/* The table's columns (as df_types_select_list() described them before the COPY) as a
 * reader of its files sees them: the manifest's schema, [{name, type}]. */
static void reader_schema(json_t *schema)
{
    json_t *e;
    size_t i;

    json_array_foreach(schema, i, e)
    {
        const char *type = json_string_value(json_object_get(e, "type"));
        char *rt = type ? df_types_reader_type(type) : NULL;
        if (rt)
            json_object_set_new(e, "type", json_string(rt));
        free(rt);
    }
}

int task_write_output(struct task *t, const struct df_output *out, struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    duckdb_result res;
    char *dir = fs_join(t->out_root, out->name);
    int single = out->n_partition_by == 0 && out->file_size == 0;
    json_t *files = json_array(), *schema = NULL, *tab;
    uint64_t rows = 0, bytes = 0;
    size_t i, nfiles;
    int rc = -1, have_res = 0, is_view;
    int64_t copy_start;

    if (fs_mkdirs(dir, err) != 0) {
        set_failure_class(t, t->local ? DF_CLASS_STORE_ERROR : DF_CLASS_CRASH);
        goto done;
    }
    /* Types the Parquet writer would change are converted or refused (engine/types.h).
     * Of a view, the time of that (it may compute the view) and of computing it while it
     * is written are counted under sql (engine/viewtime.h). */
    is_view = df_viewtime_is_view(t->duck.con, out->name);
    copy_start = df_now_ms();
    if (copy_sql(t, out, dir, single, &sql, &schema, err) != 0)
        goto done;
    if (is_view)
        t->view_ms += df_now_ms() - copy_start;
    if (run_copy(t, sql.buf, is_view, &res, err) != 0)
        goto done;
    have_res = 1;
    nfiles = (size_t)duckdb_row_count(&res);
    for (i = 0; i < nfiles; i++)
        if (record_file(t, out, dir, single, duckdb_value_varchar(&res, 0, (idx_t)i),
                        duckdb_value_int64(&res, 1, (idx_t)i), files, &rows, &bytes, err) != 0)
            goto done;
    /* Files in name order, so readers see chunks in a stable order. */
    df_json_array_sort(files, by_rel);
    /* The manifest records the type a reader of the files sees. */
    reader_schema(schema);
    tab = json_object();
    json_object_set_new(tab, "rows", json_integer((json_int_t)rows));
    json_object_set_new(tab, "bytes", json_integer((json_int_t)bytes));
    json_object_set_new(tab, "schema", schema);
    schema = NULL;
    json_object_set_new(tab, "files", files);
    files = NULL;
    json_object_set_new(t->tables, out->name, tab);
    rc = 0;
done:
    if (rc != 0)
        df_error_prefix(err, "table '%s'", out->name);
    if (have_res)
        duckdb_destroy_result(&res);
    json_decref(files);
    json_decref(schema);
    sb_release(&sql);
    free(dir);
    return rc;
}

int task_upload_outputs(struct task *t, struct df_error *err)
{
    size_t n = json_array_size(t->uploads), i;
    const char **keys, **paths;
    int rc;

    if (n == 0)
        return 0;
    keys = xcalloc(n, sizeof(*keys));
    paths = xcalloc(n, sizeof(*paths));
    for (i = 0; i < n; i++) {
        json_t *pair = json_array_get(t->uploads, i);
        keys[i] = json_string_value(json_array_get(pair, 0));
        paths[i] = json_string_value(json_array_get(pair, 1));
    }
    rc = df_store_put_many(t->store, keys, paths, n, TRANSFER_PARALLEL, err);
    free(keys);
    free(paths);
    if (rc != 0) {
        df_error_prefix(err, "cannot upload outputs");
        set_failure_class(t, DF_CLASS_STORE_ERROR);
    }
    return rc;
}
