#!/usr/bin/env bash
# accuracy.sh - scores sql_tables / sql_columns against the corpora's ground truth and
# counts rows that give NULL per corpus (every corpus, not only those with ground truth).
#   bench/sqlfn/accuracy.sh [BUILD_DIR] [CORPUS_DIR]
# BUILD_DIR defaults to build, CORPUS_DIR to /work/shared/corpus/sql (read in place, never
# copied). Prints Markdown tables on stdout.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
corpus=${2:-/work/shared/corpus/sql}
run=$("$top/bench/sqlfn/build.sh" "$build")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Dialects the functions do not know (oracle, presto, clickhouse, ...) are read as ansi.
dl="CASE WHEN dialect IN ('ansi','snowflake','bigquery','redshift','postgres','databricks','spark','duckdb','tsql','mysql','sqlite') THEN dialect ELSE 'ansi' END"
"$run" -t 1 \
    "CREATE TABLE q AS SELECT * FROM read_json('$corpus/*/queries.jsonl', columns={id: 'VARCHAR', dialect: 'VARCHAR', sql: 'VARCHAR'})" \
    "COPY (SELECT id, sql_tables(sql, $dl) AS tables, sql_columns(sql, $dl) AS columns FROM q) TO '$tmp/results.json' (FORMAT json)" \
    "CREATE TABLE tpch AS $(grep -v '^--' "$top/bench/sqlfn/tpch_catalog.sql")" \
    "COPY (SELECT id, sql_tables(sql, $dl) AS tables, sql_columns(sql, $dl, (SELECT map(list(table_name), list(columns)) FROM tpch)) AS columns FROM q WHERE id LIKE 'sqlglot_tpch/%') TO '$tmp/results_tpch.json' (FORMAT json)" \
    2>/dev/null >/dev/null
echo "NULL rows per corpus (text the functions could not analyse):"
echo
echo "| corpus | rows | sql_tables NULL | sql_columns NULL | sql_fingerprint NULL | sql_statement_type NULL |"
echo "|---|---:|---:|---:|---:|---:|"
"$run" -t 1 \
    "CREATE TABLE q AS SELECT * FROM read_json('$corpus/*/queries.jsonl', columns={id: 'VARCHAR', dialect: 'VARCHAR', sql: 'VARCHAR'})" \
    "SELECT '| ' || split_part(id, '/', 1) || ' | ' || count(*) || ' | ' || count(*) FILTER (WHERE sql_tables(sql, $dl) IS NULL) || ' | ' || count(*) FILTER (WHERE sql_columns(sql, $dl) IS NULL) || ' | ' || count(*) FILTER (WHERE sql_fingerprint(sql, $dl) IS NULL) || ' | ' || count(*) FILTER (WHERE sql_statement_type(sql, $dl) IS NULL) || ' |' FROM q GROUP BY split_part(id, '/', 1) ORDER BY 1" \
    2>/dev/null | grep '^|' # not the row count that CREATE TABLE prints
echo
echo "Precision and recall against the ground truth:"
echo
python3 "$top/bench/sqlfn/accuracy.py" "$corpus" "$tmp/results.json" "$tmp/results_tpch.json"
