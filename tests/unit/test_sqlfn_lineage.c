/*
 * test_sqlfn_lineage.c - unit tests of column-level lineage (sql_column_lineage): target
 * columns from INSERT lists, select-list names and the catalog; DIRECT subtypes
 * (IDENTITY, TRANSFORMATION, AGGREGATION) through aliases, subqueries and CTEs; INDIRECT
 * ones (JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL); UPDATE and MERGE SET lists;
 * and the DuckDB function's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <duckdb.h>

#include "sqlfn/analyze.h"
#include "sqlfn/sqlfn.h"

static struct sqlfn_ctx *cx;
static char out[16384];

static void append(size_t *k, struct sqlfn_str s)
{
    const char *p = s.s ? s.s : "?";
    size_t n = s.s ? s.len : 1;
    if (*k + n + 1 >= sizeof(out))
        n = sizeof(out) - *k - 1;
    memcpy(out + *k, p, n);
    *k += n;
    out[*k] = 0;
}

static struct sqlfn_str S(const char *s) {
    return (struct sqlfn_str){s, (uint32_t)strlen(s)};
}

/* "s.a>t.x:DIRECT/IDENTITY; ..." (an unknown table or a whole-target edge: ?) */
static const char *
lin(const char *sql, enum sqlfn_dialect d, const struct sqlfn_catalog *cat)
{
    struct sqlfn_result r;
    size_t k = 0;
    out[0] = 0;
    sqlfn_ctx_set_catalog(cx, cat);
    int rc = sqlfn_analyze(cx, sql, strlen(sql), d, SQLFN_WANT_LINEAGE, &r);
    sqlfn_ctx_set_catalog(cx, NULL);
    if (rc != 0)
        return "NULL";
    for (size_t i = 0; i < r.n_col_lineage; i++) {
        const struct sqlfn_col_lineage *e = &r.col_lineage[i];
        if (i)
            append(&k, S("; "));
        append(&k, e->source_table);
        append(&k, S("."));
        append(&k, e->source_column);
        append(&k, S(">"));
        append(&k, e->target_table);
        append(&k, S("."));
        append(&k, e->target_column);
        append(&k, S(":"));
        append(&k, S(e->type));
        append(&k, S("/"));
        append(&k, S(e->subtype));
    }
    return out;
}

static void test_direct(void **state)
{
    (void)state;
    assert_string_equal(lin("INSERT INTO t (x, y) SELECT a, b + 1 FROM s", SQLFN_ANSI, NULL),
                        "s.a>t.x:DIRECT/IDENTITY; s.b>t.y:DIRECT/TRANSFORMATION");
    assert_string_equal(
        lin("CREATE TABLE t AS SELECT a AS x, sum(b) AS total FROM s GROUP BY a", SQLFN_ANSI, NULL),
        "s.a>t.x:DIRECT/IDENTITY; s.b>t.total:DIRECT/AGGREGATION; "
        "s.a>t.?:INDIRECT/GROUP_BY");
    /* through a CTE and a subquery, subtypes compose */
    assert_string_equal(lin("CREATE VIEW v AS WITH c AS (SELECT a * 2 AS x FROM s) SELECT "
                            "max(x) AS m FROM (SELECT x FROM c) q",
                            SQLFN_ANSI, NULL),
                        "s.a>v.m:DIRECT/AGGREGATION");
    /* a star keeps each column's name */
    assert_string_equal(lin("INSERT INTO t SELECT * FROM s", SQLFN_ANSI, NULL),
                        "s.*>t.*:DIRECT/IDENTITY");
    /* SELECT INTO */
    assert_string_equal(lin("SELECT a AS x INTO n FROM s", SQLFN_TSQL, NULL),
                        "s.a>n.x:DIRECT/IDENTITY");
}

static void test_indirect(void **state)
{
    (void)state;
    assert_string_equal(
        lin("INSERT INTO t (x) SELECT s.a FROM s JOIN u ON s.k = u.k WHERE u.ok ORDER BY s.b",
            SQLFN_ANSI, NULL),
        "s.a>t.x:DIRECT/IDENTITY; s.k>t.?:INDIRECT/JOIN; u.k>t.?:INDIRECT/JOIN; "
        "u.ok>t.?:INDIRECT/FILTER; s.b>t.?:INDIRECT/SORT");
    assert_string_equal(lin("CREATE TABLE t AS SELECT CASE WHEN c > 0 THEN a END AS x, "
                            "rank() OVER (PARTITION BY p ORDER BY o) AS r FROM s",
                            SQLFN_ANSI, NULL),
                        "s.c>t.x:INDIRECT/CONDITIONAL; s.a>t.x:DIRECT/TRANSFORMATION; "
                        "s.p>t.r:INDIRECT/WINDOW; s.o>t.r:INDIRECT/WINDOW");
}

static void test_update_merge(void **state)
{
    (void)state;
    assert_string_equal(
        lin("UPDATE t SET a = s.b + 1, c = s.c FROM s WHERE t.id = s.id", SQLFN_POSTGRES, NULL),
        "s.b>t.a:DIRECT/TRANSFORMATION; s.c>t.c:DIRECT/IDENTITY; "
        "t.id>t.?:INDIRECT/FILTER; s.id>t.?:INDIRECT/FILTER");
    assert_string_equal(lin("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = "
                            "s.w",
                            SQLFN_ANSI, NULL),
                        "s.w>t.v:DIRECT/IDENTITY; t.id>t.?:INDIRECT/JOIN; s.id>t.?:INDIRECT/JOIN");
    /* not a write: no lineage */
    assert_string_equal(lin("SELECT a FROM s", SQLFN_ANSI, NULL), "");
}

static void test_catalog_targets(void **state)
{
    (void)state;
    struct sqlfn_catalog *cat = sqlfn_catalog_new();
    struct sqlfn_str tc[2] = {S("id"), S("total")}, sc[2] = {S("k"), S("v")};
    assert_int_equal(sqlfn_catalog_add(cat, "mart.t", 6, tc, 2), 0);
    assert_int_equal(sqlfn_catalog_add(cat, "raw.s", 5, sc, 2), 0);
    /* target columns by position from the catalog; unqualified sources resolved */
    assert_string_equal(lin("INSERT INTO mart.t SELECT k, sum(v) FROM raw.s JOIN raw.u ON k = uk "
                            "GROUP BY k",
                            SQLFN_ANSI, cat),
                        "raw.s.k>mart.t.id:DIRECT/IDENTITY; raw.s.v>mart.t.total:DIRECT/"
                        "AGGREGATION; raw.s.k>mart.t.?:INDIRECT/JOIN; ?.uk>mart.t.?:INDIRECT/JOIN; "
                        "raw.s.k>mart.t.?:INDIRECT/GROUP_BY");
    sqlfn_catalog_free(cat);
}

static void test_duckdb_function(void **state)
{
    (void)state;
    duckdb_database db;
    duckdb_connection con;
    assert_int_equal(duckdb_open(NULL, &db), DuckDBSuccess);
    assert_int_equal(duckdb_connect(db, &con), DuckDBSuccess);
    struct df_error err = {0};
    assert_int_equal(df_sqlfn_register(con, &err), 0);
    duckdb_result res;
    assert_int_equal(
        duckdb_query(
            con,
            "SELECT list_transform(sql_column_lineage('INSERT INTO t (x) SELECT a FROM s "
            "WHERE b', 'ansi'), e -> concat_ws('|', e.source_table, e.source_column, "
            "e.target_table, coalesce(e.target_column, '-'), e.type, e.subtype))::VARCHAR, "
            "sql_column_lineage(NULL) IS NULL, len(sql_column_lineage('SELECT 1'))",
            &res),
        DuckDBSuccess);
    char *v = duckdb_value_varchar(&res, 0, 0);
    assert_string_equal(v, "[s|a|t|x|DIRECT|IDENTITY, s|b|t|-|INDIRECT|FILTER]");
    duckdb_free(v);
    assert_true(duckdb_value_boolean(&res, 1, 0));
    assert_int_equal(duckdb_value_int64(&res, 2, 0), 0);
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&db);
}

static int setup(void **state)
{
    (void)state;
    cx = sqlfn_ctx_new();
    return cx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sqlfn_ctx_free(cx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),          cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_update_merge),    cmocka_unit_test(test_catalog_targets),
        cmocka_unit_test(test_duckdb_function),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
