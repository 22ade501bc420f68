/*
 * test_sqlfn_classes.c - unit tests of the failure classes seen in real query logs (issue
 * 15): each class across the dialects where it applies, plus the table access kinds and
 * the lineage edges of statements that write from no table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sqlfn/analyze.h"
#include "sqlfn_test.h"

static struct sqlfn_ctx *cx;
static struct sqlfn_t_out out;

static const char *tables(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, sqlfn_t_dialect(d), NULL, SQLFN_T_TABLES);
}

static const char *columns(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, sqlfn_t_dialect(d), NULL, SQLFN_T_COLUMNS);
}

static const char *lineage(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, sqlfn_t_dialect(d), NULL, SQLFN_T_EDGES);
}

static const char *access(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, sqlfn_t_dialect(d), NULL, SQLFN_T_ACCESS);
}

static const char *const all_dialects[] = {"ansi",     "snowflake",  "bigquery", "redshift",
                                           "postgres", "databricks", "duckdb",   "tsql",
                                           "mysql",    "sqlite"};
#define N_DIALECTS (sizeof(all_dialects) / sizeof(all_dialects[0]))

/* U+00A0 and friends between tokens are white space, in every dialect. */
static void test_unicode_spaces(void **state)
{
    (void)state;
    static const char *const spaces[] = {"\xC2\xA0",     "\xE2\x80\x82", "\xE2\x80\x8B",
                                         "\xE2\x80\xAF", "\xE3\x80\x80", "\xEF\xBB\xBF"};
    for (size_t d = 0; d < N_DIALECTS; d++) {
        for (size_t k = 0; k < sizeof(spaces) / sizeof(spaces[0]); k++) {
            char sql[128];
            snprintf(sql, sizeof(sql), "%sSELECT%sa%sFROM%st%sWHERE b = 1", spaces[k], spaces[k],
                     spaces[k], spaces[k], spaces[k]);
            assert_string_equal(tables(sql, all_dialects[d]),
                                strcmp(all_dialects[d], "snowflake") ? "t" : "T");
            int upper = !strcmp(all_dialects[d], "snowflake");
            assert_string_equal(columns(sql, all_dialects[d]), upper ? "T.A,T.B" : "t.a,t.b");
        }
    }
    /* a name with other non-ASCII letters stays one name */
    assert_string_equal(
        tables("SELECT * FROM caf\xC3\xA9s\xC2\xA0JOIN \xE2\x82\xACx ON 1 = 1", "ansi"),
        "caf\xC3\xA9s,\xE2\x82\xACx");
}

/* Backslash escapes inside strings where the dialect allows them; a text labelled with a
 * dialect that does not (another dialect's quoting) still gets an answer. */
static void test_backslash_escapes(void **state)
{
    (void)state;
    static const char *const bs[] = {"redshift", "mysql", "bigquery", "databricks", "snowflake"};
    for (size_t i = 0; i < sizeof(bs) / sizeof(bs[0]); i++) {
        assert_string_equal(
            lineage("INSERT INTO t SELECT 'it\\'s', a FROM s WHERE b = 'x\\\\'", bs[i]),
            strcmp(bs[i], "snowflake") ? "s>t" : "S>T");
    }
    /* labelled ansi / postgres, but written with backslash escapes: a partial answer */
    assert_string_equal(tables("SELECT 'it\\'s' FROM t", "ansi"), "t");
    assert_string_equal(tables("SELECT 'it\\'s' FROM t", "postgres"), "t");
    /* and a standard string stays standard */
    assert_string_equal(tables("SELECT 'a\\' FROM t", "postgres"), "t");
}

static void test_bigquery_dashed_projects(void **state)
{
    (void)state;
    assert_string_equal(
        tables("SELECT a FROM my-project.ds.t JOIN other-proj-2.ds.u USING (k)", "bigquery"),
        "my-project.ds.t,other-proj-2.ds.u");
    assert_string_equal(columns("SELECT a-b, c - d FROM t", "bigquery"), "t.a,t.b,t.c,t.d");
    /* other dialects: a minus */
    assert_string_equal(tables("SELECT a FROM x-y.z", "ansi"), "x");
}

static void test_mysql_digit_names(void **state)
{
    (void)state;
    assert_string_equal(
        tables("SELECT * FROM 1abc JOIN db.2024_sales s ON 1abc.id = s.id", "mysql"),
        "1abc,db.2024_sales");
    assert_string_equal(columns("SELECT 1abc.x FROM 1abc WHERE y > 1e3", "mysql"), "1abc.x,1abc.y");
    /* numbers stay numbers */
    assert_string_equal(columns("SELECT a FROM t WHERE b > 10 AND c < 1.5e3", "mysql"),
                        "t.a,t.b,t.c");
}

static void test_keywords_as_names(void **state)
{
    (void)state;
    for (size_t d = 0; d < N_DIALECTS; d++) {
        const char *dl = all_dialects[d];
        if (!strcmp(dl, "snowflake"))
            continue;
        assert_string_equal(tables("SELECT a FROM default.t", dl), "default.t");
        assert_string_equal(tables("INSERT INTO default.t SELECT * FROM user.s", dl),
                            "default.t,user.s");
        assert_string_equal(tables("SELECT last FROM last", dl), "last");
        assert_string_equal(tables("SELECT * FROM function JOIN describe ON 1 = 1", dl),
                            "function,describe");
    }
    assert_string_equal(tables("SELECT * FROM identifier('db.t')", "snowflake"), "db.t");
    assert_string_equal(tables("DROP TABLE default.t", "databricks"), "default.t");
}

static void test_go_alias(void **state)
{
    (void)state;
    static const char *const ds[] = {"ansi", "tsql", "postgres", "mysql"};
    for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        assert_string_equal(columns("SELECT go.a FROM games go JOIN t ON go.id = t.id", ds[i]),
                            "games.a,games.id,t.id");
    }
    /* GO between batches is still a separator */
    assert_string_equal(tables("SELECT * FROM a\nGO\nSELECT * FROM b\nGO", "tsql"), "a,b");
}

static void test_select_into_variables(void **state)
{
    (void)state;
    assert_string_equal(tables("SELECT a, b INTO v1, v2 FROM t", "ansi"), "t");
    assert_string_equal(tables("SELECT a INTO @x FROM t", "tsql"), "t");
    assert_string_equal(tables("SELECT a INTO :x FROM t", "snowflake"), "T");
    assert_string_equal(tables("SELECT a INTO v FROM t", "mysql"), "t");
    assert_string_equal(tables("SELECT a INTO OUTFILE '/tmp/x' FROM t", "mysql"), "t");
    /* a single name is a new table where the dialect says so */
    assert_string_equal(lineage("SELECT a INTO n FROM t", "tsql"), "t>n");
    assert_string_equal(lineage("SELECT a INTO dbo.n FROM t", "tsql"), "t>dbo.n");
}

static void test_alter_table_data(void **state)
{
    (void)state;
    assert_string_equal(lineage("ALTER TABLE t APPEND FROM s", "redshift"), "s>t");
    assert_string_equal(access("ALTER TABLE t APPEND FROM s", "redshift"), "t:alter,s:read");
    assert_string_equal(tables("ALTER TABLE a SWAP WITH b", "snowflake"), "A,B");
    assert_string_equal(access("ALTER TABLE a SWAP WITH b", "snowflake"), "A:alter,B:alter");
    assert_string_equal(lineage("ALTER TABLE a RENAME TO b", "ansi"), "a>b");
    assert_string_equal(lineage("ALTER TABLE s.a RENAME TO s.b", "postgres"), "s.a>s.b");
}

static void test_tsql_table_hints(void **state)
{
    (void)state;
    assert_string_equal(
        columns("SELECT t.a FROM t (NOLOCK) JOIN u x (NOLOCK) ON t.id = x.id", "tsql"),
        "t.a,t.id,u.id");
    assert_string_equal(
        tables("SELECT * FROM t WITH (NOLOCK), u (READUNCOMMITTED, INDEX(ix))", "tsql"), "t,u");
    /* a table function stays one */
    assert_string_equal(tables("SELECT * FROM f(1) JOIN t ON 1 = 1", "tsql"), "t");
}

static void test_hash_comments(void **state)
{
    (void)state;
    assert_string_equal(tables("SELECT a FROM t # comment\nWHERE b = 1", "mysql"), "t");
    assert_string_equal(tables("# header\nSELECT a FROM t", "bigquery"), "t");
    /* MySQL text labelled postgres: a partial answer, not NULL */
    assert_string_equal(tables("SELECT `a` FROM `db`.`t` # it's mine\n", "postgres"), "db.t");
}

static void test_access_kinds(void **state)
{
    (void)state;
    assert_string_equal(access("INSERT INTO t SELECT * FROM s", "ansi"), "t:insert,s:read");
    assert_string_equal(access("UPDATE t SET a = u.a FROM u WHERE t.id = u.id", "postgres"),
                        "t:update,u:read");
    assert_string_equal(access("UPDATE x SET a = 1 FROM dbo.t x JOIN dbo.s ON x.id = s.id", "tsql"),
                        "dbo.t:update,dbo.s:read");
    assert_string_equal(access("DELETE FROM t WHERE id IN (SELECT id FROM s)", "ansi"),
                        "t:delete,s:read");
    assert_string_equal(
        access("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "ansi"),
        "t:merge,s:read");
    assert_string_equal(access("CREATE TABLE x AS SELECT * FROM y", "ansi"), "x:create,y:read");
    assert_string_equal(access("CREATE TABLE x LIKE y", "mysql"), "x:create,y:read");
    assert_string_equal(access("DROP TABLE a, b", "ansi"), "a:drop,b:drop");
    assert_string_equal(access("ALTER TABLE a ADD COLUMN c INT", "ansi"), "a:alter");
    assert_string_equal(access("TRUNCATE TABLE a", "ansi"), "a:truncate");
    assert_string_equal(access("COPY t FROM 's3://b/k.csv'", "redshift"), "t:copy");
    assert_string_equal(access("SELECT * INTO n FROM o", "tsql"), "n:create,o:read");
    assert_string_equal(access("INSERT INTO t SELECT * FROM t", "ansi"), "t:insert,t:read");
    assert_string_equal(access("SELECT 1; INSERT INTO a VALUES (1); DELETE FROM a", "ansi"),
                        "a:insert,a:delete");
}

static void test_write_only_lineage(void **state)
{
    (void)state;
    assert_string_equal(lineage("INSERT INTO t VALUES (1, 2)", "ansi"), ">t");
    assert_string_equal(lineage("INSERT INTO t (a) SELECT 1", "ansi"), ">t");
    assert_string_equal(lineage("CREATE TABLE t (a INT, b TEXT)", "postgres"), ">t");
    assert_string_equal(lineage("UPDATE t SET a = 1 WHERE b = 2", "ansi"), ">t");
    assert_string_equal(lineage("CREATE TABLE x LIKE y", "mysql"), "y>x");
    assert_string_equal(lineage("CREATE TABLE x (LIKE y)", "postgres"), ">x");
    /* reads and writes: no NULL edge */
    assert_string_equal(lineage("INSERT INTO t SELECT * FROM s", "ansi"), "s>t");
    /* not writes: no edge */
    assert_string_equal(lineage("DELETE FROM t", "ansi"), "");
    assert_string_equal(lineage("DROP TABLE t", "ansi"), "");
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
        cmocka_unit_test(test_unicode_spaces),
        cmocka_unit_test(test_backslash_escapes),
        cmocka_unit_test(test_bigquery_dashed_projects),
        cmocka_unit_test(test_mysql_digit_names),
        cmocka_unit_test(test_keywords_as_names),
        cmocka_unit_test(test_go_alias),
        cmocka_unit_test(test_select_into_variables),
        cmocka_unit_test(test_alter_table_data),
        cmocka_unit_test(test_tsql_table_hints),
        cmocka_unit_test(test_hash_comments),
        cmocka_unit_test(test_access_kinds),
        cmocka_unit_test(test_write_only_lineage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
