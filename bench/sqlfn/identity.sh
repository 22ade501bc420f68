#!/usr/bin/env bash
# identity.sh - dumps the whole output of every SQL function over the shared corpus into a
# folder, one file per query: each function alone (no dialect, the row's dialect, the
# TPC-H catalog of tpch_catalog.sql), the everyday trio in one query (one dialect, mixed
# dialect arguments, none, a constant dialect, with the catalog) and sql_column_lineage
# beside the trio; lists cast to VARCHAR (sqlrun prints nested values as NULL); each over
# the corpus in its order and over shuffled, made-distinct copies of it (as speed.sh reads
# them). For proving that a speed change leaves every result byte for byte as it was:
#   bench/sqlfn/identity.sh BUILD_BEFORE OUT_A; bench/sqlfn/identity.sh BUILD_AFTER OUT_B
#   diff -r OUT_A OUT_B
#   bench/sqlfn/identity.sh BUILD_DIR OUT_DIR [CORPUS_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
out=${2:?usage: identity.sh BUILD_DIR OUT_DIR [CORPUS_DIR]}
corpus=${3:-/work/shared/corpus/sql}
run=$("$top/bench/sqlfn/build.sh" "$build")
mkdir -p "$out"
dl="CASE WHEN dialect IN ('ansi','snowflake','bigquery','redshift','postgres','databricks','spark','duckdb','tsql','mysql','sqlite') THEN dialect ELSE 'ansi' END"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$run" -t 1 "CREATE TABLE src AS SELECT row_number() OVER () AS n, sql, $dl AS d FROM read_json('$corpus/*/queries.jsonl', columns={id: 'VARCHAR', dialect: 'VARCHAR', sql: 'VARCHAR'})" \
    "COPY src TO '$tmp/src.parquet' (FORMAT parquet)" \
    "COPY (SELECT row_number() OVER () AS n, sql, d FROM (SELECT src.sql || chr(10) || '-- ' || row_number() OVER () AS sql, src.d FROM src, range(3) r) ORDER BY hash(sql)) TO '$tmp/shuf.parquet' (FORMAT parquet)" \
    "COPY ($(grep -v '^--' "$top/bench/sqlfn/tpch_catalog.sql")) TO '$tmp/cat.parquet' (FORMAT parquet)" >/dev/null 2>&1
cat="(SELECT map(list(table_name), list(columns)) FROM read_parquet('$tmp/cat.parquet'))"
i=0
dump() { # NAME SELECT-LIST: the list over both inputs, in row order
    for f in src shuf; do
        "$run" -t 1 "SELECT n, $2 FROM read_parquet('$tmp/$f.parquet') ORDER BY n" >"$out/$1.$f.txt" 2>/dev/null
    done
    i=$((i + 1))
}
for fn in sql_tables sql_columns sql_lineage sql_fingerprint sql_fingerprint_hash \
    sql_statement_type sql_table_access sql_column_lineage; do
    dump "$fn.none" "$fn(sql)::VARCHAR"
    dump "$fn.dialect" "$fn(sql, d)::VARCHAR"
    dump "$fn.catalog" "$fn(sql, d, $cat)::VARCHAR"
done
dump trio.dialect "sql_tables(sql, d)::VARCHAR, sql_columns(sql, d)::VARCHAR, sql_fingerprint(sql, d)::VARCHAR"
dump trio.mixed "sql_tables(sql, d)::VARCHAR, sql_columns(sql, d)::VARCHAR, sql_fingerprint(sql)::VARCHAR"
dump trio.none "sql_tables(sql)::VARCHAR, sql_columns(sql)::VARCHAR, sql_fingerprint(sql)::VARCHAR"
dump trio.catalog "sql_tables(sql, d, $cat)::VARCHAR, sql_columns(sql, d, $cat)::VARCHAR, sql_fingerprint(sql)::VARCHAR"
dump trio.lineage "sql_tables(sql, d)::VARCHAR, sql_columns(sql, d)::VARCHAR, sql_fingerprint(sql)::VARCHAR, sql_column_lineage(sql, d)::VARCHAR"
dump trio.const "sql_tables(sql, 'snowflake')::VARCHAR, sql_columns(sql, 'snowflake')::VARCHAR, sql_fingerprint(sql, 'snowflake')::VARCHAR"
echo "$i queries x 2 inputs dumped into $out ($(cat "$out"/*.txt | wc -c) bytes)"
