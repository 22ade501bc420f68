/*
 * test_sqlfn.c - unit tests of the SQL-analysis functions: the pure C analysis
 * (sqlfn/analyze.h) construct by construct and dialect by dialect, then the DuckDB
 * functions end to end (NULLs, empty text, more rows than one vector, the error path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <duckdb.h>

#include "sqlfn/analyze.h"
#include "sqlfn/internal.h"
#include "sqlfn/sqlfn.h"
#include "sqlfn_test.h"

static struct sqlfn_ctx *cx;
static struct sqlfn_t_out out;

static enum sqlfn_dialect dia(const char *name)
{
    return sqlfn_t_dialect(name);
}

static const char *tables(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, dia(d), NULL, SQLFN_T_TABLES);
}

static const char *columns(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, dia(d), NULL, SQLFN_T_COLUMNS);
}

static const char *lineage(const char *sql, const char *d)
{
    return sqlfn_t_analyze(&out, cx, sql, dia(d), NULL, SQLFN_T_EDGES);
}

static const char *stype(const char *sql)
{
    struct sqlfn_result r;
    if (sqlfn_analyze(cx, sql, strlen(sql), SQLFN_ANSI, SQLFN_WANT_TYPE, &r) != 0)
        return "NULL";
    return r.statement_type ? r.statement_type : "(none)";
}

static char fpbuf[2][4096];

static const char *fingerprint_d(const char *sql, const char *d, int slot)
{
    struct sqlfn_result r;
    if (sqlfn_analyze(cx, sql, strlen(sql), dia(d), SQLFN_WANT_FINGERPRINT, &r) != 0)
        return "NULL";
    snprintf(fpbuf[slot], sizeof(fpbuf[slot]), "%.*s", (int)r.fingerprint.len, r.fingerprint.s);
    return fpbuf[slot];
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
    cx = NULL;
    return 0;
}

/* ---- tables ---- */

static void test_tables_basic(void **state)
{
    (void)state;
    assert_string_equal(tables("SELECT a FROM t", "ansi"), "t");
    assert_string_equal(tables("select * from a join b on a.x = b.x, c", "ansi"), "a,b,c");
    assert_string_equal(tables("SELECT * FROM db.sch.t1 x LEFT OUTER JOIN s.t2 USING (id)", "ansi"),
                        "db.sch.t1,s.t2");
    assert_string_equal(tables("SELECT * FROM srv.db.sch.t", "tsql"), "srv.db.sch.t");
    assert_string_equal(tables("SELECT * FROM a WHERE x IN (SELECT y FROM b)", "ansi"), "a,b");
    assert_string_equal(tables("SELECT (SELECT max(y) FROM b) FROM a", "ansi"), "b,a");
    assert_string_equal(
        tables("SELECT * FROM a UNION ALL SELECT * FROM b EXCEPT SELECT * FROM c", "ansi"),
        "a,b,c");
}

static void test_tables_cte_excluded(void **state)
{
    (void)state;
    assert_string_equal(
        tables("WITH x AS (SELECT * FROM real_t), y AS (SELECT * FROM x) SELECT * FROM y JOIN z "
               "ON y.id = z.id",
               "ansi"),
        "real_t,z");
    assert_string_equal(tables("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                               "SELECT * FROM r",
                               "postgres"),
                        "");
    /* a CTE name only hides tables in its own statement */
    assert_string_equal(tables("WITH x AS (SELECT 1) SELECT * FROM x; SELECT * FROM x", "ansi"),
                        "x");
}

static void test_tables_quoting_and_case(void **state)
{
    (void)state;
    assert_string_equal(tables("SELECT * FROM My.Tbl", "snowflake"), "MY.TBL");
    assert_string_equal(tables("SELECT * FROM \"My\".tbl", "snowflake"), "My.TBL");
    assert_string_equal(tables("SELECT * FROM My.\"Tbl\"", "postgres"), "my.Tbl");
    assert_string_equal(tables("SELECT * FROM My.Tbl", "redshift"), "my.tbl");
    assert_string_equal(tables("SELECT * FROM My.Tbl", "duckdb"), "my.tbl");
    assert_string_equal(tables("SELECT * FROM `proj.ds.Tbl` JOIN ds2.T2 ON 1=1", "bigquery"),
                        "proj.ds.Tbl,ds2.T2");
    assert_string_equal(tables("SELECT * FROM `my-proj`.ds.`t`", "bigquery"), "my-proj.ds.t");
    assert_string_equal(tables("SELECT * FROM [My Db].[dbo].[T]", "tsql"), "My Db.dbo.T");
    assert_string_equal(tables("SELECT * FROM db..T", "tsql"), "db..T");
    assert_string_equal(tables("SELECT * FROM `Db`.`T`", "mysql"), "Db.T");
    assert_string_equal(tables("SELECT * FROM `db`.`t`", "databricks"), "db.t");
    assert_string_equal(tables("SELECT * FROM Cat.Db.T", "spark"), "cat.db.t");
    assert_string_equal(tables("SELECT * FROM \"a\"\"b\"", "ansi"), "a\"b");
    assert_string_equal(tables("SELECT * FROM [T]", "sqlite"), "T");
    assert_string_equal(tables("SELECT * FROM #tmp JOIN ##g ON 1=1", "tsql"), "#tmp,##g");
}

static void test_tables_dialect_syntax(void **state)
{
    (void)state;
    /* Snowflake: paths, FLATTEN, $$ strings, QUALIFY, stages, time travel */
    assert_string_equal(tables("SELECT t.v:a.b[0]::string, f.value FROM raw.t, LATERAL FLATTEN("
                               "input => t.v:items) f WHERE x = $$it's$$ QUALIFY row_number() "
                               "OVER (PARTITION BY id ORDER BY ts) = 1",
                               "snowflake"),
                        "RAW.T");
    assert_string_equal(
        tables("SELECT * FROM t AT(OFFSET => -60) JOIN TABLE(FLATTEN(x)) f ON 1=1", "snowflake"),
        "T");
    /* T-SQL TOP, hints */
    assert_string_equal(tables("SELECT TOP 10 PERCENT * FROM dbo.t WITH (NOLOCK)", "tsql"),
                        "dbo.t");
    /* casts, templates */
    assert_string_equal(tables("SELECT a::int, b::decimal(10, 2) FROM {{ ref('orders') }} o JOIN "
                               "{schema}.items i ON o.id = i.id",
                               "postgres"),
                        "{{ ref('orders') }},{schema}.items");
    /* BigQuery scripting */
    assert_string_equal(tables("DECLARE x INT64 DEFAULT (SELECT max(a) FROM ds.t); IF x > 0 THEN "
                               "INSERT INTO ds.u SELECT * FROM ds.v; END IF;",
                               "bigquery"),
                        "ds.t,ds.u,ds.v");
    /* ASOF, PIVOT, LATERAL */
    assert_string_equal(tables("SELECT * FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND "
                               "t.ts >= q.ts",
                               "duckdb"),
                        "trades,quotes");
    assert_string_equal(
        tables("SELECT * FROM sales PIVOT (sum(amount) FOR quarter IN ('Q1', 'Q2')) "
               "AS p",
               "snowflake"),
        "SALES");
    assert_string_equal(
        tables("SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.x = a.x) s", "postgres"), "a,b");
    /* DuckDB FROM-first, files are not tables */
    assert_string_equal(tables("FROM t1 SELECT a", "duckdb"), "t1");
    assert_string_equal(tables("SELECT * FROM 'data/*.parquet'", "duckdb"), "");
    assert_string_equal(tables("SELECT * FROM read_parquet('x.parquet')", "duckdb"), "");
    assert_string_equal(tables("SELECT * FROM unnest([1, 2]) AS u(x)", "duckdb"), "");
    assert_string_equal(tables("SELECT r FROM db.coords AS c, c.position AS r", "redshift"),
                        "db.coords");
    /* a bracketed join whose first item is a subquery */
    assert_string_equal(tables("SELECT * FROM ((SELECT c FROM t1) CROSS JOIN t2)", "ansi"),
                        "t1,t2");
    assert_string_equal(
        tables("SELECT * FROM ((SELECT c FROM t1) UNION (SELECT d FROM t3)) x", "ansi"), "t1,t3");
}

static void test_invalid_gives_null(void **state)
{
    (void)state;
    assert_string_equal(tables("SELECT 'unterminated", "ansi"), "NULL");
    assert_string_equal(tables("SELECT (1 + 2", "ansi"), "NULL");
    assert_string_equal(tables("SELECT 1)", "ansi"), "NULL");
    assert_string_equal(tables("hello world", "ansi"), "NULL");
    assert_string_equal(tables("SELECT /* open comment", "ansi"), "NULL");
    assert_string_equal(columns("SELECT \"open", "ansi"), "NULL");
    assert_string_equal(stype("this is not sql"), "NULL");
    /* empty text is no statement, not an error */
    assert_string_equal(tables("", "ansi"), "");
    assert_string_equal(tables("  -- only a comment\n ;", "ansi"), "");
    assert_string_equal(stype(""), "(none)");
}

/* ---- columns ---- */

static void test_columns_aliases(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT a, b FROM t", "ansi"), "t.a,t.b");
    assert_string_equal(columns("SELECT x.a, y.b FROM t1 AS x JOIN s.t2 y ON x.id = y.id", "ansi"),
                        "t1.a,s.t2.b,t1.id,s.t2.id");
    assert_string_equal(columns("SELECT t1.a FROM db.t1", "ansi"), "db.t1.a");
    assert_string_equal(columns("SELECT db.t1.a FROM db.t1", "ansi"), "db.t1.a");
    /* select-list aliases are not columns */
    assert_string_equal(
        columns("SELECT a AS x, sum(b) total FROM t GROUP BY x ORDER BY total", "ansi"), "t.a,t.b");
    /* ambiguous without a schema: no table */
    assert_string_equal(columns("SELECT a FROM t1, t2", "ansi"), "?.a");
    /* but a qualified use elsewhere settles it */
    assert_string_equal(columns("SELECT a FROM t1 JOIN t2 ON t1.a = t2.b", "ansi"), "t1.a,t2.b");
}

static void test_columns_subqueries_ctes(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT s.x FROM (SELECT a AS x FROM t) s", "ansi"), "t.a");
    assert_string_equal(columns("SELECT s.a FROM (SELECT * FROM t) s", "ansi"), "t.a,t.*");
    assert_string_equal(columns("WITH c AS (SELECT a, b FROM t) SELECT c.a FROM c", "ansi"),
                        "t.a,t.b");
    assert_string_equal(columns("WITH c AS (SELECT * FROM t) SELECT a FROM c", "ansi"), "t.*,t.a");
    assert_string_equal(
        columns("SELECT a FROM t WHERE b IN (SELECT c FROM u WHERE u.d = t.e)", "ansi"),
        "t.a,t.b,u.c,u.d,t.e");
}

static void test_columns_using_star(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT id FROM a JOIN b USING (id)", "ansi"), "a.id,b.id");
    assert_string_equal(columns("SELECT a.*, b.x FROM a JOIN b ON a.k = b.k", "ansi"),
                        "a.*,b.x,a.k,b.k");
    assert_string_equal(columns("SELECT * FROM t", "ansi"), "t.*");
}

static void test_columns_dialects(void **state)
{
    (void)state;
    assert_string_equal(columns("SELECT v:a.b::string AS x, f.value FROM raw r, LATERAL FLATTEN("
                                "input => r.items) f",
                                "snowflake"),
                        "RAW.V,RAW.ITEMS");
    assert_string_equal(columns("SELECT `Col` FROM `ds.T`", "bigquery"), "ds.T.Col");
    assert_string_equal(columns("SELECT [My Col] FROM [dbo].[T]", "tsql"), "dbo.T.My Col");
    assert_string_equal(columns("SELECT \"Col\", Other FROM t", "snowflake"), "T.Col,T.OTHER");
    assert_string_equal(columns("SELECT CAST(a AS TIMESTAMP WITH TIME ZONE), EXTRACT(YEAR FROM b), "
                                "DATEADD(day, 1, c), INTERVAL '1' DAY FROM t",
                                "ansi"),
                        "t.a,t.b,t.c");
    /* outputs of UNNEST / LATERAL VIEW are not columns of the table beside them */
    assert_string_equal(columns("SELECT aa, b FROM x, UNNEST(a) AS aa", "bigquery"), "x.b,x.a");
    assert_string_equal(columns("SELECT v, b FROM x, UNNEST(a) AS t(v)", "postgres"), "x.b,x.a");
    assert_string_equal(columns("SELECT c, d FROM x LATERAL VIEW explode(a) t AS c", "spark"),
                        "x.d,x.a");
    assert_string_equal(columns("SELECT list_transform(xs, x -> x + k) FROM t", "duckdb"),
                        "t.xs,t.k");
    assert_string_equal(columns("SELECT {'a': p, b: q} FROM t", "duckdb"), "t.p,t.q");
    assert_string_equal(columns("SELECT a FROM t WHERE d = :d AND e = ? AND f = @g", "ansi"),
                        "t.a,t.d,t.e,t.f");
}

/* ---- lineage ---- */

static void test_lineage(void **state)
{
    (void)state;
    assert_string_equal(
        lineage("INSERT INTO tgt (a, b) SELECT x, y FROM s1 JOIN s2 ON s1.k = s2.k", "ansi"),
        "s1>tgt,s2>tgt");
    assert_string_equal(
        lineage("INSERT OVERWRITE TABLE db.t PARTITION (dt='x') SELECT * FROM db.s", "databricks"),
        "db.s>db.t");
    assert_string_equal(lineage("CREATE TABLE t2 AS SELECT * FROM t1", "ansi"), "t1>t2");
    assert_string_equal(lineage("CREATE OR REPLACE VIEW v AS WITH c AS (SELECT * FROM b) "
                                "SELECT * FROM c JOIN a ON c.id = a.id",
                                "ansi"),
                        "b>v,a>v");
    assert_string_equal(lineage("MERGE INTO tgt t USING (SELECT * FROM src) s ON t.id = s.id WHEN "
                                "MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, "
                                "v) VALUES (s.id, s.v)",
                                "ansi"),
                        "src>tgt");
    assert_string_equal(lineage("UPDATE t SET a = s.a FROM s WHERE t.id = s.id", "postgres"),
                        "s>t");
    assert_string_equal(
        lineage("UPDATE x SET a = 1 FROM dbo.t x JOIN dbo.s ON x.id = s.id", "tsql"),
        "dbo.s>dbo.t");
    assert_string_equal(
        lineage("COPY INTO raw.t FROM @stage/path/ FILE_FORMAT = (TYPE = CSV)", "snowflake"),
        "@stage/path/>RAW.T");
    assert_string_equal(lineage("COPY INTO @out/x FROM (SELECT * FROM a)", "snowflake"),
                        "A>@out/x");
    assert_string_equal(lineage("COPY t FROM 's3://b/k.csv' IAM_ROLE 'r'", "redshift"),
                        "s3://b/k.csv>t");
    assert_string_equal(lineage("COPY (SELECT * FROM a) TO 'out.parquet'", "duckdb"),
                        "a>out.parquet");
    assert_string_equal(lineage("SELECT * FROM a", "ansi"), "");
    assert_string_equal(lineage("DELETE FROM t USING s WHERE t.id = s.id", "postgres"), "");
    assert_string_equal(lineage("INSERT INTO a SELECT 1; INSERT INTO b SELECT * FROM c", "ansi"),
                        ">a,c>b");
}

static void test_lineage_columns_dml(void **state)
{
    (void)state;
    assert_string_equal(columns("INSERT INTO t (a, b) VALUES (1, 2)", "ansi"), "t.a,t.b");
    assert_string_equal(columns("UPDATE t SET a = b + 1 WHERE c = 2", "ansi"), "t.a,t.b,t.c");
    assert_string_equal(columns("MERGE INTO tgt t USING src s ON t.id = s.id WHEN MATCHED THEN "
                                "UPDATE SET v = s.w",
                                "ansi"),
                        "tgt.id,src.id,tgt.v,src.w");
    assert_string_equal(tables("DELETE FROM t WHERE id IN (SELECT id FROM s)", "ansi"), "s,t");
}

/* ---- statement types ---- */

static void test_statement_type(void **state)
{
    (void)state;
    assert_string_equal(stype("select 1"), "SELECT");
    assert_string_equal(stype("WITH a AS (SELECT 1) SELECT * FROM a"), "SELECT");
    assert_string_equal(stype("(SELECT 1) UNION (SELECT 2)"), "SELECT");
    assert_string_equal(stype("INSERT INTO t VALUES (1)"), "INSERT");
    assert_string_equal(stype("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a"), "INSERT");
    assert_string_equal(stype("UPDATE t SET a = 1"), "UPDATE");
    assert_string_equal(stype("DELETE FROM t"), "DELETE");
    assert_string_equal(stype("MERGE INTO t USING s ON 1=1 WHEN MATCHED THEN DELETE"), "MERGE");
    assert_string_equal(stype("CREATE TABLE t (a INT)"), "CREATE_TABLE");
    assert_string_equal(stype("CREATE OR REPLACE TEMP TABLE t AS SELECT 1"), "CREATE_TABLE_AS");
    assert_string_equal(stype("CREATE VIEW v AS SELECT 1"), "CREATE_VIEW");
    assert_string_equal(stype("CREATE SCHEMA s"), "CREATE_SCHEMA");
    assert_string_equal(stype("DROP TABLE t"), "DROP");
    assert_string_equal(stype("ALTER TABLE t ADD COLUMN c INT"), "ALTER");
    assert_string_equal(stype("TRUNCATE TABLE t"), "TRUNCATE");
    assert_string_equal(stype("COPY INTO t FROM @s"), "COPY");
    assert_string_equal(stype("EXPLAIN SELECT 1"), "EXPLAIN");
    assert_string_equal(stype("SHOW TABLES"), "SHOW");
    assert_string_equal(stype("BEGIN; SELECT 1; COMMIT"), "BEGIN");
}

/* ---- fingerprints ---- */

static void fp_equal(const char *a, const char *b, const char *d)
{
    const char *x = fingerprint_d(a, d, 0);
    const char *y = fingerprint_d(b, d, 1);
    if (strcmp(x, y) != 0)
        fail_msg("fingerprints differ:\n  %s\n  %s", x, y);
}

static void fp_differ(const char *a, const char *b, const char *d)
{
    const char *x = fingerprint_d(a, d, 0);
    const char *y = fingerprint_d(b, d, 1);
    if (strcmp(x, y) == 0)
        fail_msg("fingerprints equal: %s", x);
}

/* Keywords used as names fold like names (a column `last`, a schema `default`), keywords
 * used as keywords stay upper case, and texts that differ only in the case of such words
 * share a fingerprint in the dialects that fold names. */
static void test_fingerprint_keywords_as_names(void **state)
{
    (void)state;
    assert_string_equal(fingerprint_d("select last, Value from t where Last > 1 order by "
                                      "x nulls last",
                                      "postgres", 0),
                        "SELECT last, value FROM t WHERE last > ? ORDER BY x NULLS LAST");
    assert_string_equal(
        fingerprint_d("SELECT avg(value), f.function FROM default.t AS f", "duckdb", 0),
        "SELECT avg(value), f.function FROM default.t AS f");
    assert_string_equal(fingerprint_d("SELECT a AS first FROM t", "ansi", 0),
                        "SELECT a AS first FROM t");
    /* upper-folding dialects: the same words upper case, as before */
    assert_string_equal(fingerprint_d("select last, value from t", "snowflake", 0),
                        "SELECT LAST, VALUE FROM T");
    /* preserving dialects keep a name as written */
    assert_string_equal(fingerprint_d("SELECT Last FROM t ORDER BY x NULLS last", "bigquery", 0),
                        "SELECT Last FROM t ORDER BY x NULLS LAST");
    /* still keywords: window frames, AS OF, CAST types, EXTRACT fields */
    assert_string_equal(
        fingerprint_d("select sum(x) over (order by y rows between unbounded preceding and "
                      "current row) from t timestamp as of 5",
                      "duckdb", 0),
        fingerprint_d("SELECT sum(x) OVER (ORDER BY y ROWS BETWEEN UNBOUNDED PRECEDING AND "
                      "CURRENT ROW) FROM t TIMESTAMP AS OF 5",
                      "duckdb", 1));
    assert_non_null(strstr(fpbuf[1], "ROWS BETWEEN UNBOUNDED PRECEDING"));
    assert_non_null(strstr(fpbuf[1], "AS OF ?"));
    assert_string_equal(fingerprint_d("SELECT LAST FROM T", "postgres", 0),
                        fingerprint_d("select last from t", "postgres", 1));
}

static void test_fingerprint(void **state)
{
    (void)state;
    fp_equal("SELECT a FROM t WHERE x = 1 AND y = 'abc'",
             "select  a\nfrom t -- comment\n where x = 42 and y = 'other' /* c */", "ansi");
    fp_equal("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (7)", "ansi");
    fp_equal("SELECT * FROM t WHERE a > -5", "SELECT * FROM t WHERE a > 3.5e2", "ansi");
    fp_equal("INSERT INTO t VALUES (1, 'a'), (2, 'b')", "INSERT INTO t VALUES (3, 'c')", "ansi");
    fp_equal("SELECT * FROM t WHERE d = $1 AND e = TRUE",
             "SELECT * FROM t WHERE d = 5 AND e = FALSE", "postgres");
    fp_equal("SELECT A FROM T", "select a from t", "snowflake");
    fp_equal("SELECT a FROM t WHERE x = N'a' OR'b' = y", "SELECT a FROM t WHERE x = 'q' OR 'r' = y",
             "tsql");
    fp_equal("SELECT E'it\\'s', $$a$$, $t$b$t$ FROM t", "SELECT 'x', 'y', 'z' FROM t", "postgres");
    fp_equal("SELECT r'\\d', b'x', '''a''' FROM t", "SELECT 'x', 'y', 'z' FROM t", "bigquery");
    fp_differ("SELECT a FROM t", "SELECT b FROM t", "ansi");
    fp_differ("SELECT a FROM t", "SELECT a FROM u", "ansi");
    fp_differ("SELECT a FROM t WHERE x = 1", "SELECT a FROM t WHERE x > 1", "ansi");
    fp_differ("SELECT a - 1 FROM t", "SELECT a FROM t", "ansi");
    fp_differ("INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1, 2)", "ansi");
    assert_string_equal(
        fingerprint_d("select a, count(*) from t where x in (1,2) group by 1;", "ansi", 0),
        "SELECT a, count(*) FROM t WHERE x IN (?) GROUP BY ?");
}

/* ---- long text: linear time, no NULL ---- */

static void test_long_query(void **state)
{
    (void)state;
    size_t cap = (size_t)1 << 20, k = 0;
    char *sql = malloc(cap + 256);
    assert_non_null(sql);
    k += (size_t)snprintf(sql + k, cap - k, "SELECT c0");
    int n = 1;
    while (k < cap - 64) {
        k += (size_t)snprintf(sql + k, cap + 256 - k, ", t.c%d + u%d.v", n, n % 50);
        n++;
    }
    k += (size_t)snprintf(sql + k, cap + 256 - k, " FROM t JOIN u1 ON t.id = u1.id WHERE x IN (1");
    struct sqlfn_result r;
    clock_t c0 = clock();
    assert_int_equal(sqlfn_analyze(cx, sql, k, SQLFN_ANSI, 15, &r), -1); /* unbalanced ( */
    sql[k++] = ')';
    assert_int_equal(sqlfn_analyze(cx, sql, k, SQLFN_ANSI, 15, &r), 0);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    print_message("# 1 MB query analysed twice in %.3f s CPU\n", secs);
    assert_int_equal(r.n_tables, 2);
    assert_true(r.n_columns > 1000);
    /* deep nesting is refused, not a stack overflow */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 16);
    assert_non_null(deep);
    memcpy(deep, "SELECT ", 7);
    for (size_t i = 0; i < depth; i++)
        deep[7 + i] = '(';
    for (size_t i = 0; i < depth; i++)
        deep[7 + depth + i] = ')';
    assert_int_equal(sqlfn_analyze(cx, deep, 7 + 2 * depth, SQLFN_ANSI, 15, &r), -1);
    free(deep);
    free(sql);
}

/* ---- through DuckDB ---- */

struct db {
    duckdb_database db;
    duckdb_connection con;
};

static void db_open(struct db *d)
{
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(duckdb_open(NULL, &d->db), DuckDBSuccess);
    assert_int_equal(duckdb_connect(d->db, &d->con), DuckDBSuccess);
    assert_int_equal(df_sqlfn_register(d->con, &err), 0);
}

static void db_close(struct db *d)
{
    duckdb_disconnect(&d->con);
    duckdb_close(&d->db);
}

static const char *db_value(struct db *d, const char *sql)
{
    return sqlfn_t_db_value(d->con, sql);
}

static void test_duckdb_functions(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    assert_string_equal(db_value(&d, "SELECT sql_tables('SELECT * FROM a JOIN b ON a.x = b.x')"
                                     "::VARCHAR"),
                        "[a, b]");
    assert_string_equal(
        db_value(&d, "SELECT sql_tables('SELECT * FROM My.T', 'snowflake')::VARCHAR"), "[MY.T]");
    assert_string_equal(db_value(&d, "SELECT sql_columns('SELECT x.a FROM t x')::VARCHAR"),
                        "[{'table': t, 'column': a}]");
    assert_string_equal(db_value(&d,
                                 "SELECT sql_columns('SELECT a FROM t1, t2')[1].\"table\" IS NULL"
                                 "::VARCHAR"),
                        "true");
    assert_string_equal(
        db_value(&d, "SELECT sql_lineage('INSERT INTO t SELECT * FROM s')::VARCHAR"),
        "[{'source': s, 'target': t}]");
    assert_string_equal(db_value(&d, "SELECT sql_fingerprint('select 1')"), "SELECT ?");
    assert_string_equal(db_value(&d, "SELECT sql_fingerprint('select 1', 'duckdb')"), "SELECT ?");
    assert_string_equal(db_value(&d, "SELECT sql_fingerprint_hash('select 1') = "
                                     "sql_fingerprint_hash('SELECT 2')"),
                        "true");
    assert_string_equal(db_value(&d, "SELECT sql_statement_type('update t set a = 1')"), "UPDATE");
    /* NULL in, NULL out; invalid text gives NULL; an unknown dialect is an error */
    assert_string_equal(db_value(&d, "SELECT sql_tables(NULL)"), "NULL");
    assert_string_equal(db_value(&d, "SELECT sql_columns('SELECT 1', NULL)"), "NULL");
    assert_string_equal(db_value(&d, "SELECT sql_tables('SELECT (')"), "NULL");
    assert_string_equal(db_value(&d, "SELECT sql_statement_type('')"), "NULL");
    assert_string_equal(db_value(&d, "SELECT sql_tables('')::VARCHAR"), "[]");
    /* a fingerprint needs only tokens: unbalanced text still has one, whatever else the
     * query asks for (the per-thread cache must not change the answer) */
    assert_string_equal(db_value(&d, "SELECT sql_fingerprint('SELECT (a')"), "SELECT (a");
    assert_string_equal(db_value(&d, "SELECT (sql_tables(q) IS NULL)::VARCHAR || ' ' || "
                                     "sql_fingerprint(q) FROM (VALUES ('select (a')) v(q)"),
                        "true SELECT (a");
    assert_string_equal(db_value(&d, "SELECT sql_fingerprint('SELECT ''open')"), "NULL");
    const char *e = db_value(&d, "SELECT sql_tables('SELECT 1', 'cobol')");
    assert_non_null(strstr(e, "unknown dialect 'cobol'"));
    db_close(&d);
}

static void test_duckdb_many_rows(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    /* 5000 rows (over two vectors), every 7th NULL, every 11th invalid, dialects mixed */
    assert_string_equal(
        db_value(&d, "CREATE TABLE q AS SELECT i, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 "
                     "THEN 'SELECT (' ELSE 'SELECT c' || i || ', x.k FROM s.t' || i || ' x JOIN u "
                     "ON x.k = u.k WHERE v IN (' || i || ', 2)' END AS sql, CASE WHEN i % 2 = 0 "
                     "THEN 'snowflake' ELSE 'duckdb' END AS d FROM range(5000) r(i)"),
        "5000");
    assert_string_equal(db_value(&d,
                                 "SELECT count(*) FROM q WHERE sql IS NOT NULL AND "
                                 "sql NOT LIKE 'SELECT (%' AND (len(sql_tables(sql, d)) <> 2 OR "
                                 "sql_tables(sql, d)[1] <> CASE WHEN d = 'snowflake' THEN "
                                 "upper('s.t' || i) ELSE 's.t' || i END)"),
                        "0");
    assert_string_equal(db_value(&d, "SELECT count(*) FROM q WHERE sql_tables(sql, d) IS NULL"),
                        "1105"); /* 715 NULL (i % 7 == 0) + 390 invalid (i % 11 == 0 only) */
    assert_string_equal(db_value(&d, "SELECT count(DISTINCT sql_fingerprint(sql, d)) FROM q WHERE "
                                     "sql NOT LIKE 'SELECT (%'"),
                        "3895"); /* every valid row has its own column and table */
    assert_string_equal(db_value(&d, "SELECT count(*) FROM (SELECT unnest(sql_columns(sql, d)) c "
                                     "FROM q) WHERE c.\"table\" IS NULL"),
                        "7790"); /* c<i> and v are ambiguous between two tables: 2 x 3895 */
    assert_string_equal(db_value(&d, "SELECT count(*) FROM q WHERE sql_statement_type(sql, d) = "
                                     "'SELECT'"),
                        "3895");
    db_close(&d);
}

/* The per-thread cache holds one chunk's rows: functions over two columns of one query take
 * turns at it, and texts of one length at one row position differ from chunk to chunk. */
static void test_duckdb_cache_two_columns(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    /* a and b have the same length row by row, so only their bytes tell them apart */
    assert_string_equal(
        db_value(&d, "CREATE TABLE q AS SELECT i, 'SELECT x' || lpad(i::VARCHAR, 5, '0') || "
                     "' FROM ta' || lpad((i % 13)::VARCHAR, 2, '0') AS a, CASE WHEN i % 5 = 0 "
                     "THEN NULL ELSE 'SELECT y FROM tb' || lpad((i % 17)::VARCHAR, 7, '0') END "
                     "AS b, 'tb' || lpad((i % 17)::VARCHAR, 7, '0') AS tb FROM range(7000) r(i)"),
        "7000");
    assert_string_equal(
        db_value(&d, "SELECT count(*) FROM q WHERE strlen(a) = 23 AND strlen(b) = 23"), "5600");
    assert_string_equal(
        db_value(&d, "SELECT count(*) FROM q WHERE sql_tables(a)[1] = 'ta' || lpad((i % 13)::"
                     "VARCHAR, 2, '0') AND (sql_tables(b)[1] = tb OR (b IS NULL AND "
                     "sql_tables(b) IS NULL)) AND sql_fingerprint(a) = a AND "
                     "sql_columns(a)[1].\"column\" = 'x' || lpad(i::VARCHAR, 5, '0') AND "
                     "coalesce(sql_columns(b)[1].\"table\", tb) = tb AND "
                     "sql_fingerprint(b) IS NOT DISTINCT FROM b"),
        "7000");
    db_close(&d);
}

/* Several DuckDB threads at once (the per-thread caches) give what one thread gives. */
static void test_duckdb_threads(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    assert_string_equal(
        db_value(&d, "CREATE TABLE q AS SELECT 'SELECT c' || (i % 97) || ' FROM s' || (i % 5) || "
                     "'.t' || (i % 89) || ' x JOIN u ON x.k = u.k WHERE v = ' || i AS sql FROM "
                     "range(200000) r(i)"),
        "200000");
    const char *agg = "SELECT sum(hash(sql_tables(sql)::VARCHAR || sql_columns(sql)::VARCHAR || "
                      "sql_fingerprint(sql) || sql_lineage(sql)::VARCHAR))::VARCHAR FROM q";
    char one[4096]; /* as long as a db_value */
    assert_string_equal(db_value(&d, "SET threads = 1"), "NULL");
    snprintf(one, sizeof(one), "%s", db_value(&d, agg));
    assert_string_equal(db_value(&d, "SET threads = 4"), "NULL");
    assert_string_equal(db_value(&d, agg), one);
    /* texts over the per-thread cache's size limit (4 x 5 MB) are analysed uncached */
    assert_string_equal(db_value(&d, "CREATE TABLE big AS SELECT i, 'SELECT ' || "
                                     "repeat('some_long_column_name + ', 200000) || 'b FROM t' || "
                                     "i AS sql FROM range(4) r(i)"),
                        "4");
    assert_string_equal(db_value(&d, "SELECT count(*) FROM big WHERE sql_tables(sql)[1] = 't' || i "
                                     "AND len(sql_columns(sql)) = 2 AND sql_fingerprint(sql) LIKE "
                                     "'SELECT some_long_column_name + some_long_column_name + %'"),
                        "4");
    db_close(&d);
}

/* The same constructs in every dialect, with its quoting and case folding. */
static void test_every_dialect(void **state)
{
    (void)state;
    static const struct {
        const char *dialect, *q, *want;
    } cases[] = {
        {"ansi", "\"S\".t", "S.t"},     {"snowflake", "\"S\".t", "S.T"},
        {"bigquery", "`S`.t", "S.t"},   {"redshift", "\"S\".t", "S.t"},
        {"postgres", "\"S\".t", "S.t"}, {"databricks", "`S`.T", "S.t"},
        {"duckdb", "\"S\".T", "S.t"},   {"tsql", "[S].T", "S.T"},
        {"mysql", "`S`.T", "S.T"},      {"sqlite", "[S].T", "S.t"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sql[512];
        const char *d = cases[i].dialect;
        snprintf(sql, sizeof(sql),
                 "WITH c AS (SELECT k FROM %s) SELECT x.k, count(*) FROM c JOIN %s x ON c.k = x.k "
                 "WHERE x.k IN (SELECT k FROM c) GROUP BY 1 -- note\n",
                 cases[i].q, cases[i].q);
        assert_string_equal(tables(sql, d), cases[i].want);
        snprintf(sql, sizeof(sql), "INSERT INTO %s.u SELECT * FROM %s; ", "o", cases[i].q);
        char want[64];
        snprintf(want, sizeof(want), "%s>%s", cases[i].want,
                 !strcmp(d, "snowflake") ? "O.U" : "o.u");
        assert_string_equal(lineage(sql, d), want);
        assert_string_not_equal(fingerprint_d("SELECT 1 FROM t", d, 0), "NULL");
    }
}

/* The arena's inline bump path and its slow path: blocks that never move, 8-byte
 * alignment, NULL past the maximum, and a reset that hands out the first block again. */
static void test_arena(void **state)
{
    (void)state;
    struct arena a = {0};
    a.max = (size_t)64 << 10;
    char *prev = NULL;
    size_t got = 0;
    for (int i = 0; i < 10000; i++) {
        size_t n = 1 + (size_t)(i * 37) % 300;
        char *p = arena_alloc(&a, n);
        if (!p)
            break;
        assert_int_equal((uintptr_t)p % 8, 0);
        memset(p, i & 0xff, n); /* ASan: the whole of it is ours */
        if (prev)
            assert_ptr_not_equal(p, prev);
        prev = p;
        got += n;
    }
    assert_true(got > ((size_t)16 << 10)); /* more than the first block */
    assert_true(got <= a.max);
    assert_null(arena_alloc(&a, (size_t)64 << 10)); /* past the maximum */
    arena_reset(&a);
    char *first = arena_alloc(&a, 8);
    assert_non_null(first);
    assert_ptr_equal(arena_alloc(&a, 0), first + 8);
    arena_release(&a);
    assert_null(a.head);
}

/* Unquoted names fold per dialect whatever mix of case they have (the folding copies
 * only names with a letter to change). */
static void test_name_folding(void **state)
{
    (void)state;
    assert_string_equal(tables("SELECT 1 FROM MySchema.myTable_1", "snowflake"),
                        "MYSCHEMA.MYTABLE_1");
    assert_string_equal(tables("SELECT 1 FROM MYSCHEMA.T1", "snowflake"), "MYSCHEMA.T1");
    assert_string_equal(tables("SELECT 1 FROM MySchema.myTable_1", "postgres"),
                        "myschema.mytable_1");
    assert_string_equal(tables("SELECT 1 FROM s_9.t", "postgres"), "s_9.t");
    assert_string_equal(tables("SELECT 1 FROM MySchema.myTable_1", "bigquery"),
                        "MySchema.myTable_1");
}

static void test_dialect_names(void **state)
{
    (void)state;
    enum sqlfn_dialect d;
    const char *ok[] = {"ansi",       "Snowflake", "BIGQUERY", "redshift", "postgres", "postgresql",
                        "databricks", "spark",     "duckdb",   "tsql",     "mysql",    "sqlite"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(sqlfn_dialect_parse(ok[i], strlen(ok[i]), &d), 0);
    assert_int_equal(sqlfn_dialect_parse("oracle", 6, &d), -1);
    assert_int_equal(sqlfn_dialect_parse("snowflakes", 10, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_basic),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_fingerprint_keywords_as_names),
        cmocka_unit_test(test_name_folding),
        cmocka_unit_test(test_tables_cte_excluded),
        cmocka_unit_test(test_tables_quoting_and_case),
        cmocka_unit_test(test_tables_dialect_syntax),
        cmocka_unit_test(test_invalid_gives_null),
        cmocka_unit_test(test_columns_aliases),
        cmocka_unit_test(test_columns_subqueries_ctes),
        cmocka_unit_test(test_columns_using_star),
        cmocka_unit_test(test_columns_dialects),
        cmocka_unit_test(test_lineage),
        cmocka_unit_test(test_lineage_columns_dml),
        cmocka_unit_test(test_statement_type),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_long_query),
        cmocka_unit_test(test_duckdb_functions),
        cmocka_unit_test(test_duckdb_many_rows),
        cmocka_unit_test(test_duckdb_cache_two_columns),
        cmocka_unit_test(test_duckdb_threads),
        cmocka_unit_test(test_every_dialect),
        cmocka_unit_test(test_dialect_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
