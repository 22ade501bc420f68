#!/usr/bin/env bash
# t5000: the SQL functions through `duckflow query` (DESIGN.md §5): lists, structs,
# fingerprints, statement types, NULL in -> NULL out, unanalysable text -> NULL (the query
# goes on), an unknown dialect -> the query fails, and more rows than one DuckDB vector
# read from a CSV file.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..21"

# `duckflow query` reads a run: make a one-step one
cat >p.yaml <<'YAML'
name: sqlfn-e2e
steps:
  one:
    sql: CREATE TABLE t AS SELECT 'SELECT a FROM x' AS q
    outputs: [t]
YAML
expect_ok "a run to query" "$DUCKFLOW" run p.yaml
expect_ok "the functions inside a task's SQL, over its output" "$DUCKFLOW" query --format csv \
    "SELECT sql_tables(q)[1] || '.' || sql_columns(q)[1].\"column\" FROM one.t"
expect_match "x.a" '^x\.a$' "$out"

expect_ok "sql_tables through duckflow query" "$DUCKFLOW" query --format csv \
    "SELECT sql_tables('SELECT * FROM db.a x JOIN b USING (id) WHERE id IN (SELECT id FROM c)')::VARCHAR"
expect_match "three tables in order" '^"?\[db\.a, b, c\]"?$' "$out"

expect_ok "sql_columns attributes through aliases" "$DUCKFLOW" query --format csv \
    "SELECT c.\"table\" || '.' || c.\"column\" FROM (SELECT unnest(sql_columns('SELECT x.k, y.v FROM t1 x JOIN t2 y ON x.k = y.k')) AS c) ORDER BY 1"
expect_match "t1.k" '^t1\.k$' "$out"
expect_match "t2.v" '^t2\.v$' "$out"

expect_ok "sql_lineage for a CTAS" "$DUCKFLOW" query --format csv \
    "SELECT e.source || '>' || e.target FROM (SELECT unnest(sql_lineage('CREATE TABLE out.t AS SELECT * FROM in1 JOIN in2 ON 1 = 1')) AS e)"
expect_match "in1 edge" '^in1>out\.t$' "$out"
expect_match "in2 edge" '^in2>out\.t$' "$out"

expect_ok "fingerprints group queries that differ in literals" "$DUCKFLOW" query --format csv \
    "SELECT count(DISTINCT sql_fingerprint(q)) FROM (VALUES ('select a from t where b = 1'), ('SELECT a FROM t WHERE b = 22 -- x'), ('select a from t where b in (1, 2, 3)')) v(q)"
expect_match "two shapes" '^2$' "$out"

expect_ok "statement types, dialect argument" "$DUCKFLOW" query --format csv \
    "SELECT sql_statement_type('MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN DELETE', 'snowflake') || ',' || sql_tables('select * from Sch.Tbl', 'snowflake')[1]"
expect_match "MERGE, folded name" '^"?MERGE,SCH\.TBL"?$' "$out"

expect_ok "NULL in, NULL out; bad text gives NULL and the query goes on" "$DUCKFLOW" query --format csv \
    "SELECT count(*) FILTER (WHERE t IS NULL), count(*) FROM (SELECT sql_tables(q) AS t FROM (VALUES (NULL), ('SELECT (('), ('SELECT 1 FROM ok')) v(q))"
expect_match "two NULLs of three" '^2,3$' "$out"

expect_code 1 "an unknown dialect fails the query" "$DUCKFLOW" query \
    "SELECT sql_tables('SELECT 1', 'cobol')"
expect_match "names the dialect" "unknown dialect 'cobol'" "$errout"

# 5000 queries from a CSV file: more than two DuckDB vectors
for i in $(seq 1 5000); do
    echo "$i,\"SELECT c$((i % 9)) FROM s.t$((i % 13)) WHERE k = $i\""
done >queries.csv
expect_ok "5000 rows from a CSV file" "$DUCKFLOW" query --format csv \
    "SELECT count(*), count(DISTINCT sql_tables(q)[1]), count(DISTINCT sql_fingerprint(q)), count(*) FILTER (WHERE sql_columns(q)[1].\"table\" = sql_tables(q)[1]) FROM read_csv('queries.csv', header = false, columns = {'i': 'INTEGER', 'q': 'VARCHAR'})"
expect_match "13 tables, 117 shapes, every column attributed" '^5000,13,117,5000$' "$out"
