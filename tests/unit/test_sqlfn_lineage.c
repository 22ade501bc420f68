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

/* Only the DIRECT edges of lin()'s answer: what sqlglot's lineage() gives (the source
 * columns of each target column). */
static const char *direct_of(const char *all)
{
    static char d[16384];
    size_t k = 0;
    d[0] = 0;
    const char *p = all;
    while (*p) {
        const char *e = strstr(p, "; ");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (memmem(p, n, ":DIRECT/", 8) && k + n + 3 < sizeof(d)) {
            if (k) {
                memcpy(d + k, "; ", 2);
                k += 2;
            }
            memcpy(d + k, p, n);
            k += n;
            d[k] = 0;
        }
        p += n + (e ? 2 : 0);
    }
    return d;
}

static void test_union_all_operands(void **state)
{
    (void)state;
    /* every operand feeds the targets, by position; names come from the first */
    assert_string_equal(
        lin("INSERT INTO t (a, b) SELECT x, y FROM s UNION ALL SELECT p, q + 1 FROM r", SQLFN_ANSI,
            NULL),
        "s.x>t.a:DIRECT/IDENTITY; s.y>t.b:DIRECT/IDENTITY; r.p>t.a:DIRECT/IDENTITY; "
        "r.q>t.b:DIRECT/TRANSFORMATION");
    assert_string_equal(
        lin("CREATE TABLE t AS SELECT a FROM s UNION SELECT b FROM r EXCEPT "
            "SELECT c FROM u",
            SQLFN_DUCKDB, NULL),
        "s.a>t.a:DIRECT/IDENTITY; r.b>t.a:DIRECT/IDENTITY; u.c>t.a:DIRECT/IDENTITY");
    /* through a CTE and a derived table's star */
    assert_string_equal(lin("CREATE TABLE t AS WITH c AS (SELECT a FROM s UNION ALL SELECT b "
                            "FROM r) SELECT sum(a) AS tot FROM c",
                            SQLFN_ANSI, NULL),
                        "s.a>t.tot:DIRECT/AGGREGATION; r.b>t.tot:DIRECT/AGGREGATION");
    assert_string_equal(lin("INSERT INTO t SELECT * FROM (SELECT x FROM s UNION SELECT y FROM r) u",
                            SQLFN_ANSI, NULL),
                        "s.x>t.x:DIRECT/IDENTITY; r.y>t.x:DIRECT/IDENTITY");
    assert_string_equal(lin("INSERT INTO t SELECT * FROM (SELECT * FROM s) u", SQLFN_ANSI, NULL),
                        "s.*>t.*:DIRECT/IDENTITY");
}

static void test_copy_merge_values(void **state)
{
    (void)state;
    assert_string_equal(
        lin("COPY (SELECT a, b + 1 AS c FROM s) TO 'out.parquet'", SQLFN_DUCKDB, NULL),
        "s.a>out.parquet.a:DIRECT/IDENTITY; s.b>out.parquet.c:DIRECT/"
        "TRANSFORMATION");
    assert_string_equal(lin("COPY t TO 'f.csv'", SQLFN_DUCKDB, NULL),
                        "t.*>f.csv.*:DIRECT/IDENTITY");
    assert_string_equal(lin("COPY t (a, b) FROM 'f.csv'", SQLFN_POSTGRES, NULL),
                        "f.csv.a>t.a:DIRECT/IDENTITY; f.csv.b>t.b:DIRECT/IDENTITY");
    struct sqlfn_catalog *cat = sqlfn_catalog_new();
    struct sqlfn_str tc[2] = {S("id"), S("v")};
    assert_int_equal(sqlfn_catalog_add(cat, "t", 1, tc, 2), 0);
    assert_string_equal(lin("COPY t TO 'f.csv'", SQLFN_DUCKDB, cat),
                        "t.id>f.csv.id:DIRECT/IDENTITY; t.v>f.csv.v:DIRECT/IDENTITY");
    sqlfn_catalog_free(cat);
    /* MERGE's INSERT VALUES: each value to its column */
    assert_string_equal(
        lin("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT "
            "MATCHED THEN INSERT (id, v) VALUES (s.id, s.v + 1)",
            SQLFN_ANSI, NULL),
        "s.v>t.v:DIRECT/IDENTITY; s.id>t.id:DIRECT/IDENTITY; s.v>t.v:DIRECT/TRANSFORMATION; "
        "t.id>t.?:INDIRECT/JOIN; s.id>t.?:INDIRECT/JOIN");
    /* INSERT ... VALUES of literals: no source column (the table edge has a NULL source) */
    assert_string_equal(lin("INSERT INTO t (a) VALUES (1)", SQLFN_ANSI, NULL), "");
}

/* TPC-H-style INSERT ... SELECT with the TPC-H catalog: the DIRECT edges are what sqlglot's
 * lineage() gives for each target column (the source columns under it); hand-checked,
 * as sqlglot's own lineage fixtures are not in ../shared. */
static void test_tpc_insert_select(void **state)
{
    (void)state;
    struct sqlfn_catalog *cat = sqlfn_catalog_new();
    struct sqlfn_str li[7] = {S("l_orderkey"),      S("l_partkey"),  S("l_quantity"),
                              S("l_extendedprice"), S("l_discount"), S("l_tax"),
                              S("l_returnflag")};
    struct sqlfn_str li2[2] = {S("l_linestatus"), S("l_shipdate")};
    struct sqlfn_str lall[9];
    memcpy(lall, li, sizeof(li));
    memcpy(lall + 7, li2, sizeof(li2));
    struct sqlfn_str od[4] = {S("o_orderkey"), S("o_custkey"), S("o_orderdate"),
                              S("o_shippriority")};
    struct sqlfn_str cu[3] = {S("c_custkey"), S("c_name"), S("c_mktsegment")};
    struct sqlfn_str pa[2] = {S("p_partkey"), S("p_brand")};
    assert_int_equal(sqlfn_catalog_add(cat, "lineitem", 8, lall, 9), 0);
    assert_int_equal(sqlfn_catalog_add(cat, "orders", 6, od, 4), 0);
    assert_int_equal(sqlfn_catalog_add(cat, "customer", 8, cu, 3), 0);
    assert_int_equal(sqlfn_catalog_add(cat, "part", 4, pa, 2), 0);
    /* Q1 into a summary table */
    assert_string_equal(
        direct_of(lin("INSERT INTO q1 (rf, ls, sum_qty, sum_charge, avg_price) SELECT "
                      "l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice * (1 - "
                      "l_discount) * (1 + l_tax)), avg(l_extendedprice) FROM lineitem WHERE "
                      "l_shipdate <= date '1998-12-01' GROUP BY l_returnflag, l_linestatus ORDER "
                      "BY l_returnflag, l_linestatus",
                      SQLFN_ANSI, cat)),
        "lineitem.l_returnflag>q1.rf:DIRECT/IDENTITY; lineitem.l_linestatus>q1.ls:DIRECT/IDENTITY; "
        "lineitem.l_quantity>q1.sum_qty:DIRECT/AGGREGATION; "
        "lineitem.l_extendedprice>q1.sum_charge:DIRECT/AGGREGATION; "
        "lineitem.l_discount>q1.sum_charge:DIRECT/AGGREGATION; "
        "lineitem.l_tax>q1.sum_charge:DIRECT/AGGREGATION; "
        "lineitem.l_extendedprice>q1.avg_price:DIRECT/AGGREGATION");
    /* Q3: unqualified columns of a three-way join, names from the select list */
    assert_string_equal(
        direct_of(lin("INSERT INTO q3 SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) "
                      "AS revenue, o_orderdate, o_shippriority FROM customer, orders, lineitem "
                      "WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = "
                      "o_orderkey GROUP BY l_orderkey, o_orderdate, o_shippriority",
                      SQLFN_ANSI, cat)),
        "lineitem.l_orderkey>q3.l_orderkey:DIRECT/IDENTITY; "
        "lineitem.l_extendedprice>q3.revenue:DIRECT/AGGREGATION; "
        "lineitem.l_discount>q3.revenue:DIRECT/AGGREGATION; "
        "orders.o_orderdate>q3.o_orderdate:DIRECT/IDENTITY; "
        "orders.o_shippriority>q3.o_shippriority:DIRECT/IDENTITY");
    /* Q17: a correlated subquery decides rows only; the value comes from l_extendedprice */
    assert_string_equal(
        direct_of(lin("INSERT INTO q17 SELECT sum(l_extendedprice) / 7.0 AS avg_yearly FROM "
                      "lineitem, part WHERE p_partkey = l_partkey AND p_brand = 'Brand#23' AND "
                      "l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = "
                      "p_partkey)",
                      SQLFN_ANSI, cat)),
        "lineitem.l_extendedprice>q17.avg_yearly:DIRECT/AGGREGATION");
    /* a CTE and an alias in between (Q13-like) */
    assert_string_equal(
        direct_of(lin("INSERT INTO q13 WITH c_orders AS (SELECT c_custkey, count(o_orderkey) AS "
                      "c_count FROM customer LEFT OUTER JOIN orders ON c_custkey = o_custkey GROUP "
                      "BY c_custkey) SELECT c_count, count(*) AS custdist FROM c_orders GROUP BY "
                      "c_count",
                      SQLFN_ANSI, cat)),
        "orders.o_orderkey>q13.c_count:DIRECT/AGGREGATION");
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
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_update_merge),
        cmocka_unit_test(test_catalog_targets),
        cmocka_unit_test(test_duckdb_function),
        cmocka_unit_test(test_union_all_operands),
        cmocka_unit_test(test_copy_merge_values),
        cmocka_unit_test(test_tpc_insert_select),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
