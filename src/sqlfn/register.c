/*
 * register.c - the DuckDB glue of the SQL-analysis functions: registers sql_tables,
 * sql_columns, sql_lineage, sql_fingerprint, sql_fingerprint_hash and sql_statement_type
 * as scalar function sets (1- and 2-argument overloads) through the C API, and turns
 * analysis results into VARCHAR, LIST(VARCHAR) and LIST(STRUCT(...)) vectors.
 *
 * Each call gets a fresh analysis context for its chunk (DuckDB calls scalar functions
 * from several threads at once; nothing here is shared between calls). NULL SQL or NULL
 * dialect gives NULL; text that cannot be analysed gives NULL for that row; an unknown
 * dialect name is an error that aborts the query (it is a mistake in the query, not in
 * the data).
 */
#include "sqlfn/sqlfn.h"

#include <stdio.h>
#include <string.h>

#include "sqlfn/analyze.h"
#include "util/banned.h"

enum fn_kind { FN_TABLES, FN_COLUMNS, FN_LINEAGE, FN_FINGERPRINT, FN_HASH, FN_TYPE };

struct fn_desc {
    const char *name;
    enum fn_kind kind;
    unsigned want;
};

static const struct fn_desc fns[] = {
    {"sql_tables", FN_TABLES, SQLFN_WANT_TABLES},
    {"sql_columns", FN_COLUMNS, SQLFN_WANT_COLUMNS},
    {"sql_lineage", FN_LINEAGE, SQLFN_WANT_TABLES},
    {"sql_fingerprint", FN_FINGERPRINT, SQLFN_WANT_FINGERPRINT},
    {"sql_fingerprint_hash", FN_HASH, SQLFN_WANT_FINGERPRINT},
    {"sql_statement_type", FN_TYPE, SQLFN_WANT_TYPE},
};

static void set_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

static void str_at(duckdb_string_t *data, idx_t row, const char **s, size_t *len)
{
    duckdb_string_t *st = &data[row];
    *len = duckdb_string_t_length(*st);
    *s = duckdb_string_t_data(st);
}

static void fn_exec(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    const struct fn_desc *fd = duckdb_scalar_function_get_extra_info(info);
    idx_t n = duckdb_data_chunk_get_size(input);
    idx_t ncols = duckdb_data_chunk_get_column_count(input);
    duckdb_vector sqlv = duckdb_data_chunk_get_vector(input, 0);
    duckdb_string_t *sqld = duckdb_vector_get_data(sqlv);
    uint64_t *sqlok = duckdb_vector_get_validity(sqlv);
    duckdb_vector dv = ncols > 1 ? duckdb_data_chunk_get_vector(input, 1) : NULL;
    duckdb_string_t *dd = dv ? duckdb_vector_get_data(dv) : NULL;
    uint64_t *dok = dv ? duckdb_vector_get_validity(dv) : NULL;

    struct sqlfn_ctx *cx = sqlfn_ctx_new();
    if (!cx) {
        duckdb_scalar_function_set_error(info, "out of memory");
        return;
    }
    int list = fd->kind == FN_TABLES || fd->kind == FN_COLUMNS || fd->kind == FN_LINEAGE;
    duckdb_list_entry *entries = list ? duckdb_vector_get_data(output) : NULL;
    duckdb_vector child = list ? duckdb_list_vector_get_child(output) : NULL;
    uint64_t *hashes = fd->kind == FN_HASH ? duckdb_vector_get_data(output) : NULL;
    idx_t total = list ? duckdb_list_vector_get_size(output) : 0;

    for (idx_t row = 0; row < n; row++) {
        if (!duckdb_validity_row_is_valid(sqlok, row) ||
            (dv && !duckdb_validity_row_is_valid(dok, row))) {
            set_null(output, row);
            continue;
        }
        enum sqlfn_dialect dialect = SQLFN_ANSI;
        if (dv) {
            const char *ds;
            size_t dl;
            str_at(dd, row, &ds, &dl);
            if (sqlfn_dialect_parse(ds, dl, &dialect) != 0) {
                char msg[160];
                snprintf(msg, sizeof(msg), "%s: unknown dialect '%.*s'", fd->name,
                         (int)(dl > 40 ? 40 : dl), ds);
                duckdb_scalar_function_set_error(info, msg);
                sqlfn_ctx_free(cx);
                return;
            }
        }
        const char *s;
        size_t len;
        str_at(sqld, row, &s, &len);
        struct sqlfn_result r;
        if (sqlfn_analyze(cx, s, len, dialect, fd->want, &r) != 0) {
            set_null(output, row);
            continue;
        }
        switch (fd->kind) {
        case FN_FINGERPRINT:
            duckdb_vector_assign_string_element_len(output, row, r.fingerprint.s,
                                                    r.fingerprint.len);
            break;
        case FN_HASH:
            hashes[row] = r.fingerprint_hash;
            break;
        case FN_TYPE:
            if (r.statement_type)
                duckdb_vector_assign_string_element(output, row, r.statement_type);
            else
                set_null(output, row);
            break;
        default: {
            size_t k = fd->kind == FN_TABLES    ? r.n_tables
                       : fd->kind == FN_COLUMNS ? r.n_columns
                                                : r.n_edges;
            if (duckdb_list_vector_reserve(output, total + k) != DuckDBSuccess) {
                duckdb_scalar_function_set_error(info, "out of memory");
                sqlfn_ctx_free(cx);
                return;
            }
            entries[row].offset = total;
            entries[row].length = k;
            if (fd->kind == FN_TABLES) {
                for (size_t j = 0; j < k; j++)
                    duckdb_vector_assign_string_element_len(child, total + j, r.tables[j].s,
                                                            r.tables[j].len);
            } else {
                duckdb_vector f0 = duckdb_struct_vector_get_child(child, 0);
                duckdb_vector f1 = duckdb_struct_vector_get_child(child, 1);
                for (size_t j = 0; j < k; j++) {
                    struct sqlfn_str a, b;
                    if (fd->kind == FN_COLUMNS) {
                        a = r.columns[j].table;
                        b = r.columns[j].column;
                    } else {
                        a = r.edges[j].source;
                        b = r.edges[j].target;
                    }
                    if (a.s)
                        duckdb_vector_assign_string_element_len(f0, total + j, a.s, a.len);
                    else
                        set_null(f0, total + j);
                    duckdb_vector_assign_string_element_len(f1, total + j, b.s, b.len);
                }
            }
            total += k;
            duckdb_list_vector_set_size(output, total);
            break;
        }
        }
    }
    sqlfn_ctx_free(cx);
}

static duckdb_logical_type return_type(enum fn_kind kind)
{
    duckdb_logical_type vc = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type t = NULL;
    switch (kind) {
    case FN_TABLES:
        t = duckdb_create_list_type(vc);
        break;
    case FN_COLUMNS:
    case FN_LINEAGE: {
        duckdb_logical_type members[2] = {vc, vc};
        const char *names_c[2] = {"table", "column"};
        const char *names_l[2] = {"source", "target"};
        duckdb_logical_type st =
            duckdb_create_struct_type(members, kind == FN_COLUMNS ? names_c : names_l, 2);
        t = duckdb_create_list_type(st);
        duckdb_destroy_logical_type(&st);
        break;
    }
    case FN_HASH:
        t = duckdb_create_logical_type(DUCKDB_TYPE_UBIGINT);
        break;
    default:
        t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
        break;
    }
    duckdb_destroy_logical_type(&vc);
    return t;
}

static int register_one(duckdb_connection con, const struct fn_desc *fd, struct df_error *err)
{
    int rc = -1;
    duckdb_scalar_function_set set = duckdb_create_scalar_function_set(fd->name);
    duckdb_logical_type vc = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type rt = return_type(fd->kind);
    for (int nargs = 1; nargs <= 2; nargs++) {
        duckdb_scalar_function f = duckdb_create_scalar_function();
        duckdb_scalar_function_set_name(f, fd->name);
        for (int a = 0; a < nargs; a++)
            duckdb_scalar_function_add_parameter(f, vc);
        duckdb_scalar_function_set_return_type(f, rt);
        duckdb_scalar_function_set_function(f, fn_exec);
        /* NULLs are handled in fn_exec (NULL in, NULL out) */
        duckdb_scalar_function_set_special_handling(f);
        duckdb_scalar_function_set_extra_info(f, (void *)fd, NULL);
        duckdb_state st = duckdb_add_scalar_function_to_set(set, f);
        duckdb_destroy_scalar_function(&f);
        if (st != DuckDBSuccess) {
            df_error_set(err, DF_EFAIL, "function '%s': cannot add overload", fd->name);
            goto done;
        }
    }
    if (duckdb_register_scalar_function_set(con, set) != DuckDBSuccess) {
        df_error_set(err, DF_EFAIL, "function '%s': registration failed (already registered?)",
                     fd->name);
        goto done;
    }
    rc = 0;
done:
    duckdb_destroy_logical_type(&rt);
    duckdb_destroy_logical_type(&vc);
    duckdb_destroy_scalar_function_set(&set);
    return rc;
}

int df_sqlfn_register(duckdb_connection con, struct df_error *err)
{
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (register_one(con, &fns[i], err) != 0)
            return -1;
    return 0;
}
