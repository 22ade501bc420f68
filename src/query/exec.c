/*
 * exec.c - running the user's SQL for `duckflow query` (query.h step 4): every statement
 * in order, the last one's result printed.
 *
 * A last statement that is a query is wrapped so DuckDB does the conversions it knows
 * best: every column cast to VARCHAR for the table and CSV (nested values print as
 * DuckDB writes them), to_json() of the row for JSON lines (nested values as real JSON),
 * and COPY ... (FORMAT parquet) for Parquet. Its result is streamed chunk by chunk. Any
 * other last statement (EXPLAIN, PRAGMA, CALL, ...) is run as is and its values printed
 * as text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* DuckDB's message on one line: the "LINE n: ..." excerpt dropped, newlines folded. */
static int duck_error(struct df_error *err, const char *msg)
{
    struct strbuf sb = STRBUF_INIT;
    const char *cut;
    size_t n;
    int rc;

    if (!msg || !*msg)
        msg = "unknown duckdb error";
    cut = strstr(msg, "\n\nLINE ");
    n = cut ? (size_t)(cut - msg) : strlen(msg);
    for (size_t i = 0; i < n; i++) {
        if (msg[i] == '\n' || msg[i] == '\t') {
            if (sb.len && sb.buf[sb.len - 1] != ' ')
                sb_addc(&sb, ' ');
        } else {
            sb_addc(&sb, msg[i]);
        }
    }
    while (sb.len && sb.buf[sb.len - 1] == ' ')
        sb.buf[--sb.len] = '\0';
    rc = df_error_set(err, DF_EFAIL, "%s", sb.buf);
    sb_release(&sb);
    return rc;
}

static enum df_col_kind kind_of(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
        return DF_COL_NUMBER;
    case DUCKDB_TYPE_BOOLEAN:
        return DF_COL_BOOL;
    default:
        return DF_COL_TEXT;
    }
}

static int run_plain(struct df_duck *d, const char *sql, struct df_error *err)
{
    duckdb_result res;
    int rc = 0;
    if (duckdb_query(d->con, sql, &res) == DuckDBError)
        rc = duck_error(err, duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    return rc;
}

/* Streams a result whose columns are all VARCHAR into f. raw_lines: print the single
 * column's values as lines (the JSON path). */
static int stream_varchar(duckdb_result *res, struct df_fmt *f, FILE *out, int raw_lines,
                          struct df_error *err)
{
    idx_t ncols = duckdb_column_count(res);
    const char **cells = xcalloc(ncols ? ncols : 1, sizeof(*cells));
    char **owned = xcalloc(ncols ? ncols : 1, sizeof(*owned));
    duckdb_data_chunk chunk;
    int rc = 0;

    while ((chunk = duckdb_fetch_chunk(*res)) != NULL) {
        idx_t rows = duckdb_data_chunk_get_size(chunk);
        duckdb_string_t **data = xcalloc(ncols ? ncols : 1, sizeof(*data));
        uint64_t **valid = xcalloc(ncols ? ncols : 1, sizeof(*valid));
        for (idx_t c = 0; c < ncols; c++) {
            duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
            data[c] = duckdb_vector_get_data(v);
            valid[c] = duckdb_vector_get_validity(v);
        }
        for (idx_t r = 0; r < rows; r++) {
            for (idx_t c = 0; c < ncols; c++) {
                owned[c] = NULL;
                if (valid[c] && !duckdb_validity_row_is_valid(valid[c], r)) {
                    cells[c] = NULL;
                    continue;
                }
                owned[c] =
                    xstrndup(duckdb_string_t_data(&data[c][r]), duckdb_string_t_length(data[c][r]));
                cells[c] = owned[c];
            }
            if (raw_lines) {
                if (cells[0]) {
                    fputs(cells[0], out);
                    fputc('\n', out);
                }
            } else {
                df_fmt_row(f, cells);
            }
            for (idx_t c = 0; c < ncols; c++)
                free(owned[c]);
        }
        free(data);
        free(valid);
        duckdb_destroy_data_chunk(&chunk);
    }
    if (duckdb_result_error(res))
        rc = duck_error(err, duckdb_result_error(res));
    free(cells);
    free(owned);
    return rc;
}

/* The last statement when it is a query. Returns 1 when the wrapped form could not even
 * be prepared, so the caller runs the statement as is. */
static int run_query(struct df_duck *d, const char *stmt, duckdb_prepared_statement orig,
                     const struct df_query_out *o, struct df_error *err)
{
    idx_t ncols = duckdb_prepared_statement_column_count(orig);
    const char **names = xcalloc(ncols ? ncols : 1, sizeof(*names));
    enum df_col_kind *kinds = xcalloc(ncols ? ncols : 1, sizeof(*kinds));
    struct strbuf sql = STRBUF_INIT;
    duckdb_prepared_statement ps = NULL;
    duckdb_result res;
    int have_res = 0, rc = -1;
    struct df_fmt f;

    memset(&f, 0, sizeof(f));
    for (idx_t c = 0; c < ncols; c++) {
        names[c] = duckdb_prepared_statement_column_name(orig, c);
        kinds[c] = kind_of(duckdb_prepared_statement_column_type(orig, c));
    }
    /* The statement goes on lines of its own: a trailing "-- comment" must not swallow
     * the closing parenthesis. */
    if (o->format == DF_FORMAT_PARQUET) {
        sb_adds(&sql, "COPY (\n");
        sb_adds(&sql, stmt);
        sb_adds(&sql, "\n) TO ");
        sb_add_sql_string(&sql, o->output_path);
        sb_adds(&sql, " (FORMAT parquet, COMPRESSION zstd)");
    } else if (o->format == DF_FORMAT_JSON) {
        sb_adds(&sql, "SELECT to_json(_df_q)::VARCHAR FROM (\n");
        sb_adds(&sql, stmt);
        sb_adds(&sql, "\n) AS _df_q");
    } else {
        sb_adds(&sql, "SELECT COLUMNS(*)::VARCHAR FROM (\n");
        sb_adds(&sql, stmt);
        sb_adds(&sql, "\n) AS _df_q");
    }
    if (duckdb_prepare(d->con, sql.buf, &ps) == DuckDBError) {
        rc = 1;
        goto out;
    }
    if (o->format == DF_FORMAT_PARQUET) {
        if (duckdb_execute_prepared(ps, &res) == DuckDBError)
            duck_error(err, duckdb_result_error(&res));
        else
            rc = 0;
        duckdb_destroy_result(&res);
        goto out;
    }
    if (duckdb_execute_prepared_streaming(ps, &res) == DuckDBError) {
        duck_error(err, duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        goto out;
    }
    have_res = 1;
    df_fmt_begin(&f, o->format, o->out, ncols, names, kinds, o->max_width);
    if (stream_varchar(&res, &f, o->out, o->format == DF_FORMAT_JSON, err) != 0)
        goto out;
    if (df_fmt_end(&f) != 0) {
        df_error_errno(err, "cannot write the result");
        goto out;
    }
    rc = 0;
out:
    if (have_res)
        duckdb_destroy_result(&res);
    df_fmt_release(&f);
    duckdb_destroy_prepare(&ps);
    sb_release(&sql);
    /* duckdb_prepared_statement_column_name() returns copies the caller frees. */
    for (idx_t c = 0; c < ncols; c++)
        duckdb_free((void *)names[c]);
    free(names);
    free(kinds);
    return rc;
}

/* Any other last statement: run as is, values as DuckDB's text. */
static int run_other(duckdb_prepared_statement ps, const struct df_query_out *o,
                     struct df_error *err)
{
    duckdb_result res;
    idx_t ncols, nrows;
    const char **names = NULL, **cells = NULL;
    enum df_col_kind *kinds = NULL;
    char **owned = NULL;
    struct df_fmt f;
    int rc = -1;

    memset(&f, 0, sizeof(f));
    if (duckdb_execute_prepared(ps, &res) == DuckDBError) {
        duck_error(err, duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return -1;
    }
    ncols = duckdb_column_count(&res);
    nrows = duckdb_row_count(&res);
    names = xcalloc(ncols ? ncols : 1, sizeof(*names));
    cells = xcalloc(ncols ? ncols : 1, sizeof(*cells));
    owned = xcalloc(ncols ? ncols : 1, sizeof(*owned));
    kinds = xcalloc(ncols ? ncols : 1, sizeof(*kinds));
    for (idx_t c = 0; c < ncols; c++) {
        names[c] = duckdb_column_name(&res, c);
        kinds[c] = kind_of(duckdb_column_type(&res, c));
    }
    df_fmt_begin(&f, o->format, o->out, ncols, names, kinds, o->max_width);
    for (idx_t r = 0; r < nrows; r++) {
        for (idx_t c = 0; c < ncols; c++) {
            owned[c] = duckdb_value_is_null(&res, c, r) ? NULL : duckdb_value_varchar(&res, c, r);
            cells[c] = owned[c];
        }
        df_fmt_row(&f, cells);
        for (idx_t c = 0; c < ncols; c++)
            duckdb_free(owned[c]);
    }
    if (df_fmt_end(&f) != 0)
        df_error_errno(err, "cannot write the result");
    else
        rc = 0;
    df_fmt_release(&f);
    duckdb_destroy_result(&res);
    free(names);
    free(cells);
    free(owned);
    free(kinds);
    return rc;
}

static int run_last(struct df_duck *d, const char *stmt, const struct df_query_out *o,
                    struct df_error *err)
{
    duckdb_prepared_statement ps = NULL;
    int rc;

    if (duckdb_prepare(d->con, stmt, &ps) == DuckDBError) {
        rc = duck_error(err, duckdb_prepare_error(ps));
        duckdb_destroy_prepare(&ps);
        return rc;
    }
    if (duckdb_prepared_statement_type(ps) == DUCKDB_STATEMENT_TYPE_SELECT) {
        rc = run_query(d, stmt, ps, o, err);
        if (rc != 1) {
            duckdb_destroy_prepare(&ps);
            return rc;
        }
    }
    if (o->format == DF_FORMAT_PARQUET) {
        duckdb_destroy_prepare(&ps);
        return df_error_set(err, DF_EUSAGE,
                            "--format parquet needs a query (SELECT, FROM, WITH, VALUES, ...) as "
                            "the last statement");
    }
    rc = run_other(ps, o, err);
    duckdb_destroy_prepare(&ps);
    return rc;
}

int df_query_run(struct df_duck *d, const char *sql, const struct df_query_out *o,
                 struct df_error *err)
{
    struct df_sql_piece *pieces = NULL;
    size_t n = 0;
    int rc = 0;

    df_sql_split(sql, &pieces, &n);
    if (n == 0) {
        free(pieces);
        return df_error_set(err, DF_EUSAGE, "no SQL statement to run");
    }
    if (o->format == DF_FORMAT_PARQUET && (!o->output_path || !*o->output_path)) {
        free(pieces);
        return df_error_set(err, DF_EUSAGE, "--format parquet needs --output FILE");
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *stmt = xstrndup(sql + pieces[i].offset, pieces[i].len);
        rc = i + 1 < n ? run_plain(d, stmt, err) : run_last(d, stmt, o, err);
        if (rc != 0 && n > 1)
            df_error_prefix(err, "statement %zu", i + 1);
        free(stmt);
    }
    free(pieces);
    return rc;
}
