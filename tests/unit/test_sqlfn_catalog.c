/*
 * test_sqlfn_catalog.c - unit tests of catalog-aware resolution (issue 15): unqualified
 * columns resolve to the table that has them, stars expand, correlated references go to
 * the outer table, select-list aliases do not hide columns, names match case-insensitively,
 * a search path and suffixes find tables, the first entry of a name wins; and the DuckDB
 * functions' third argument (NULL catalog, a catalog per row, a wrong type).
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
#include "sqlfn_test.h"

static struct sqlfn_ctx *cx;
static struct sqlfn_catalog *cat;
static struct sqlfn_t_out out;

/* Adds "t" with the comma-separated columns "a,b,c". */
static void add(struct sqlfn_catalog *c, const char *t, const char *cols)
{
    struct sqlfn_str v[32];
    size_t n = 0;
    const char *p = cols;
    while (*p && n < 32) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        v[n++] = (struct sqlfn_str){p, (uint32_t)len};
        p += len + (e ? 1 : 0);
    }
    assert_int_equal(sqlfn_catalog_add(c, t, strlen(t), v, n), 0);
}

static const char *columns_c(const char *sql, enum sqlfn_dialect d, const struct sqlfn_catalog *c)
{
    return sqlfn_t_analyze(&out, cx, sql, d, c, SQLFN_T_COLUMNS);
}

static const char *columns(const char *sql)
{
    return columns_c(sql, SQLFN_ANSI, cat);
}

static void test_unqualified_in_joins(void **state)
{
    (void)state;
    const char *q = "SELECT o_date, c_name FROM orders JOIN customer ON o_custkey = c_custkey";
    assert_string_equal(columns_c(q, SQLFN_ANSI, NULL),
                        "?.o_date,?.c_name,?.o_custkey,?.c_custkey");
    assert_string_equal(columns(q),
                        "orders.o_date,customer.c_name,orders.o_custkey,customer.c_custkey");
    /* through aliases and subqueries */
    assert_string_equal(
        columns("SELECT x.c_name, n FROM (SELECT c_name, o_date AS n FROM orders o, customer c "
                "WHERE o.o_custkey = c.c_custkey) x"),
        "customer.c_name,orders.o_date,orders.o_custkey,customer.c_custkey");
}

static void test_correlated(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT o_date FROM orders WHERE EXISTS (SELECT 1 FROM lineitem "
                                "WHERE l_orderkey = o_orderkey)"),
                        "orders.o_date,lineitem.l_orderkey,orders.o_orderkey");
    assert_string_equal(columns("SELECT (SELECT max(l_qty) FROM lineitem WHERE l_orderkey = "
                                "o_orderkey) FROM orders"),
                        "lineitem.l_qty,lineitem.l_orderkey,orders.o_orderkey");
    /* without a catalog the text alone cannot tell */
    assert_string_equal(columns_c("SELECT o_date FROM orders WHERE EXISTS (SELECT 1 FROM lineitem "
                                  "WHERE l_orderkey = o_orderkey)",
                                  SQLFN_ANSI, NULL),
                        "orders.o_date,lineitem.l_orderkey,lineitem.o_orderkey");
}

static void test_star_expands(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT * FROM customer"), "customer.c_custkey,customer.c_name");
    assert_string_equal(columns("SELECT c.* FROM customer c JOIN orders o ON o_custkey = "
                                "c_custkey"),
                        "customer.c_custkey,customer.c_name,orders.o_custkey");
    /* a table the catalog does not know keeps its star */
    assert_string_equal(columns("SELECT * FROM other"), "other.*");
    /* through SELECT * in a subquery */
    assert_string_equal(columns("SELECT c_name FROM (SELECT * FROM customer, orders) x"),
                        "customer.c_name,customer.c_custkey,orders.o_orderkey,orders.o_custkey,"
                        "orders.o_date");
}

static void test_aliases_keep_columns(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT c_name AS c_custkey, c_custkey AS c_name FROM customer"),
                        "customer.c_name,customer.c_custkey");
    assert_string_equal(columns_c("SELECT a AS b, b AS a FROM t", SQLFN_ANSI, NULL), "t.a,t.b");
    /* an alias used later is not a column */
    assert_string_equal(columns("SELECT c_name AS n FROM customer ORDER BY n"), "customer.c_name");
    /* CTE columns resolve to their sources */
    assert_string_equal(columns("WITH x AS (SELECT c_name AS who FROM customer) SELECT who FROM x"),
                        "customer.c_name");
}

static void test_names_and_paths(void **state)
{
    (void)state;
    struct sqlfn_catalog *c = sqlfn_catalog_new();
    assert_non_null(c);
    add(c, "shop.Orders", "ID,Total");
    add(c, "shop.orders", "other"); /* the first of a name wins */
    add(c, "hr.people", "id,name");
    add(c, "$search_path", "hr,shop");
    assert_string_equal(columns_c("SELECT id, total FROM Orders", SQLFN_ANSI, c),
                        "orders.id,orders.total");
    assert_string_equal(columns_c("SELECT TOTAL, NAME FROM SHOP.ORDERS O JOIN PEOPLE P ON O.ID = "
                                  "P.ID",
                                  SQLFN_SNOWFLAKE, c),
                        "SHOP.ORDERS.TOTAL,PEOPLE.NAME,SHOP.ORDERS.ID,PEOPLE.ID");
    assert_string_equal(columns_c("SELECT name FROM db.hr.people", SQLFN_ANSI, c),
                        "db.hr.people.name");
    sqlfn_catalog_free(c);
    /* NULL columns and an empty catalog */
    c = sqlfn_catalog_new();
    struct sqlfn_str v[2] = {{NULL, 0}, {"a", 1}};
    assert_int_equal(sqlfn_catalog_add(c, "t", 1, v, 2), 0);
    assert_int_equal(sqlfn_catalog_add(c, NULL, 0, v, 2), 0);
    assert_string_equal(columns_c("SELECT * FROM t", SQLFN_ANSI, c), "t.a");
    sqlfn_catalog_free(c);
}

/* ---- through DuckDB ---- */

static duckdb_database db;
static duckdb_connection con;

static const char *q1(const char *sql)
{
    return sqlfn_t_db_value(con, sql);
}

static void test_duckdb_catalog_argument(void **state)
{
    (void)state;
    assert_int_equal(duckdb_open(NULL, &db), DuckDBSuccess);
    assert_int_equal(duckdb_connect(db, &con), DuckDBSuccess);
    struct df_error err = {0};
    assert_int_equal(df_sqlfn_register(con, &err), 0);
    assert_string_equal(q1("CREATE TABLE cat AS SELECT * FROM (VALUES ('orders', ['o_orderkey', "
                           "'o_custkey']), ('customer', ['c_custkey', 'c_name']), ('ORDERS', "
                           "['x']), (NULL, ['y'])) v(table_name, columns)"),
                        "4");
    assert_string_equal(
        q1("SELECT sql_columns('SELECT c_name FROM orders JOIN customer ON o_custkey = c_custkey', "
           "'ansi', (SELECT map(list(table_name), list(columns)) FROM cat WHERE table_name IS NOT "
           "NULL))::VARCHAR"),
        "[{'table': customer, 'column': c_name}, {'table': orders, 'column': o_custkey}, "
        "{'table': customer, 'column': c_custkey}]");
    /* a NULL catalog: as without one */
    assert_string_equal(q1("SELECT sql_columns('SELECT a FROM t JOIN u ON 1 = 1', 'ansi', "
                           "NULL)::VARCHAR"),
                        "[{'table': NULL, 'column': a}]");
    /* a catalog per row, and every function takes one */
    assert_string_equal(
        q1("SELECT string_agg(sql_columns(s, 'ansi', m)[1].table, ',' ORDER BY k) FROM (VALUES (1, "
           "'SELECT a FROM t JOIN u ON 1 = 1', MAP {'t': ['a']}), (2, 'SELECT a FROM t JOIN u ON "
           "1 = 1', MAP {'u': ['a']})) v(k, s, m)"),
        "t,u");
    assert_string_equal(q1("SELECT sql_tables('SELECT 1 FROM t', 'ansi', MAP {'t': ['a']})[1] || "
                           "sql_fingerprint('SELECT 1', 'ansi', NULL) || "
                           "sql_statement_type('SELECT 1', 'ansi', NULL)"),
                        "tSELECT ?SELECT");
    /* a catalog of the wrong type: an error naming the argument and the type it needs,
     * also for maps DuckDB would cast (its conversion error, or integers as names) and
     * for a subquery */
    const char *bad[] = {"42",
                         "'t'",
                         "MAP {'t': 1}",
                         "MAP {'t': 'a'}",
                         "MAP {1: ['a']}",
                         "MAP {'t': [1]}",
                         "(SELECT MAP {'t': 1})",
                         "(SELECT map(list(x), list(x)) FROM (VALUES ('t')) v(x))"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT sql_columns('SELECT a FROM t', 'ansi', %s)", bad[i]);
        const char *e = q1(sql);
        assert_non_null(strstr(e, "ERROR"));
        assert_non_null(strstr(e, "sql_columns: argument 3 (catalog) must be a MAP(VARCHAR, "
                                  "VARCHAR[])"));
        assert_null(strstr(e, "Conversion"));
    }
    /* the usual catalog, a subquery of the right type, and NULL-typed ones (as none) */
    assert_string_equal(q1("SELECT sql_columns('SELECT a FROM t JOIN u ON 1 = 1', 'ansi', "
                           "(SELECT map(list(x), list([y])) FROM (VALUES ('t', 'a')) v(x, y)))"
                           "::VARCHAR"),
                        "[{'table': t, 'column': a}]");
    assert_string_equal(q1("SELECT sql_columns('SELECT a FROM t JOIN u ON 1 = 1', 'ansi', "
                           "MAP {'t': []})::VARCHAR"),
                        "[{'table': NULL, 'column': a}]");
    assert_string_equal(q1("SELECT sql_columns('SELECT a FROM t JOIN u ON 1 = 1', 'ansi', "
                           "(SELECT NULL))::VARCHAR"),
                        "[{'table': NULL, 'column': a}]");
    duckdb_disconnect(&con);
    duckdb_close(&db);
}

static int setup(void **state)
{
    (void)state;
    cx = sqlfn_ctx_new();
    cat = sqlfn_catalog_new();
    if (!cx || !cat)
        return -1;
    add(cat, "orders", "o_orderkey,o_custkey,o_date");
    add(cat, "lineitem", "l_orderkey,l_qty");
    add(cat, "customer", "c_custkey,c_name");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sqlfn_ctx_free(cx);
    sqlfn_catalog_free(cat);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unqualified_in_joins), cmocka_unit_test(test_correlated),
        cmocka_unit_test(test_star_expands),         cmocka_unit_test(test_aliases_keep_columns),
        cmocka_unit_test(test_names_and_paths),      cmocka_unit_test(test_duckdb_catalog_argument),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
