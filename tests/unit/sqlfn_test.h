/*
 * sqlfn_test.h - what the sqlfn unit tests (test_sqlfn*.c) share: a dialect by name, one
 * part of an analysis rendered as a string to compare ("a,b" tables, "t.a,?.b" columns,
 * "s>t" table lineage, "t:read" accesses; "NULL" when the analysis fails) and the first
 * value of a query through DuckDB. Header-only (static inline) so that each test stays one
 * file, one binary.
 */
#ifndef DF_TEST_SQLFN_TEST_H
#define DF_TEST_SQLFN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <duckdb.h>

#include "sqlfn/analyze.h"
#include "sqlfn/sqlfn.h"

/* A rendered result; longer text is cut (the comparison then fails visibly). */
struct sqlfn_t_out {
    char s[16384];
    size_t k;
};

enum sqlfn_t_part { SQLFN_T_TABLES, SQLFN_T_COLUMNS, SQLFN_T_EDGES, SQLFN_T_ACCESS };

static inline enum sqlfn_dialect sqlfn_t_dialect(const char *name)
{
    enum sqlfn_dialect d = SQLFN_ANSI;
    assert_int_equal(sqlfn_dialect_parse(name, strlen(name), &d), 0);
    return d;
}

static inline void sqlfn_t_add(struct sqlfn_t_out *o, const char *s, size_t n)
{
    if (o->k >= sizeof(o->s) - 1)
        return;
    if (n > sizeof(o->s) - 1 - o->k)
        n = sizeof(o->s) - 1 - o->k;
    if (n)
        memcpy(o->s + o->k, s, n);
    o->k += n;
    o->s[o->k] = 0;
}

static inline void sqlfn_t_adds(struct sqlfn_t_out *o, const char *s)
{
    sqlfn_t_add(o, s, strlen(s));
}

/* A name, or ifnull when it is absent (no table). */
static inline void sqlfn_t_addn(struct sqlfn_t_out *o, struct sqlfn_str s, const char *ifnull)
{
    if (s.s)
        sqlfn_t_add(o, s.s, s.len);
    else
        sqlfn_t_adds(o, ifnull);
}

/*
 * Analyses sql in dialect d with catalog cat (NULL: none) in cx and renders part of the
 * result into o: the tables "a,b"; the columns "t.a,?.b" (? for no table); the table
 * lineage "s>t,>u" (an empty source: written from no table); the accesses
 * "t:insert,s:read". Returns o->s, or "NULL" when the analysis fails.
 */
static inline const char *sqlfn_t_analyze(struct sqlfn_t_out *o, struct sqlfn_ctx *cx,
                                          const char *sql, enum sqlfn_dialect d,
                                          const struct sqlfn_catalog *cat, enum sqlfn_t_part part)
{
    static const unsigned want[] = {SQLFN_WANT_TABLES, SQLFN_WANT_COLUMNS, SQLFN_WANT_TABLES,
                                    SQLFN_WANT_TABLES};
    struct sqlfn_result r;
    size_t i, n;
    int rc;

    o->k = 0;
    o->s[0] = 0;
    sqlfn_ctx_set_catalog(cx, cat);
    rc = sqlfn_analyze(cx, sql, strlen(sql), d, want[part], &r);
    sqlfn_ctx_set_catalog(cx, NULL);
    if (rc != 0)
        return "NULL";
    n = part == SQLFN_T_TABLES    ? r.n_tables
        : part == SQLFN_T_COLUMNS ? r.n_columns
        : part == SQLFN_T_EDGES   ? r.n_edges
                                  : r.n_access;
    for (i = 0; i < n; i++) {
        if (i)
            sqlfn_t_adds(o, ",");
        switch (part) {
        case SQLFN_T_TABLES:
            sqlfn_t_addn(o, r.tables[i], "");
            break;
        case SQLFN_T_COLUMNS:
            sqlfn_t_addn(o, r.columns[i].table, "?");
            sqlfn_t_adds(o, ".");
            sqlfn_t_addn(o, r.columns[i].column, "");
            break;
        case SQLFN_T_EDGES:
            sqlfn_t_addn(o, r.edges[i].source, "");
            sqlfn_t_adds(o, ">");
            sqlfn_t_addn(o, r.edges[i].target, "");
            break;
        case SQLFN_T_ACCESS:
            sqlfn_t_addn(o, r.access[i].table, "");
            sqlfn_t_adds(o, ":");
            sqlfn_t_adds(o, r.access[i].access);
            break;
        }
    }
    return o->s;
}

/* The first value of sql's result as text ("NULL" for SQL NULL; "ERROR: message" when
 * the query fails), in a static buffer that the next call overwrites. */
static inline const char *sqlfn_t_db_value(duckdb_connection con, const char *sql)
{
    static char buf[4096];
    duckdb_result res;
    char *v;

    if (duckdb_query(con, sql, &res) != DuckDBSuccess) {
        snprintf(buf, sizeof(buf), "ERROR: %s", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        return buf;
    }
    v = duckdb_value_varchar(&res, 0, 0);
    snprintf(buf, sizeof(buf), "%s", v && !duckdb_value_is_null(&res, 0, 0) ? v : "NULL");
    duckdb_free(v);
    duckdb_destroy_result(&res);
    return buf;
}

#endif
