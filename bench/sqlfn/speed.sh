#!/usr/bin/env bash
# speed.sh - throughput of the everyday query, sql_tables + sql_columns + sql_fingerprint
# over the same text, through DuckDB with one thread, read from a Parquet file, against
# DuckDB's own json_serialize_sql over the same column in the same run (reported as a
# ratio); plus the same three with mixed dialect arguments (sql_fingerprint without one,
# as people write it) and sql_column_lineage.
#   bench/sqlfn/speed.sh [BUILD_DIR] [CORPUS_DIR] [COPIES]
# The corpus (one JSON object per line under CORPUS_DIR/*/queries.jsonl, read in place with
# read_json) is repeated COPIES times (default 100, about 40 MB of SQL) and the copies are
# SHUFFLED into a Parquet file first: text in its natural order, no repeated neighbours
# (copies next to each other in a chunk made the per-thread cache look better than a real
# log lets it be). Every copy is made DISTINCT by a trailing line comment with its row
# number ("\n-- 12345", about 7 bytes, counted in the MB): otherwise the Parquet writer
# dictionary-encodes the column and DuckDB runs a one-argument function (json_serialize_sql,
# sql_fingerprint(sql)) once per distinct text of a dictionary vector, not once per row.
# The time of scanning the file (sum(length(sql))) is subtracted.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
corpus=${2:-/work/shared/corpus/sql}
copies=${3:-100}
run=$("$top/bench/sqlfn/build.sh" "$build")
dl="CASE WHEN dialect IN ('ansi','snowflake','bigquery','redshift','postgres','databricks','spark','duckdb','tsql','mysql','sqlite') THEN dialect ELSE 'ansi' END"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Each timed query runs REPEAT times (default 5) and the least CPU time counts: other work
# on the machine only ever adds time.
repeat=${REPEAT:-5}
pq="read_parquet('$tmp/q.parquet')"
queries=(
    "SELECT sum(length(sql)) FROM $pq"
    "SELECT sum(len(sql_tables(sql, d))) + sum(len(sql_columns(sql, d))) + sum(length(sql_fingerprint(sql, d))) FROM $pq"
    "SELECT sum(len(sql_tables(sql, d))) + sum(len(sql_columns(sql, d))) + sum(length(sql_fingerprint(sql))) FROM $pq"
    "SELECT sum(len(sql_tables(sql))) + sum(len(sql_columns(sql))) + sum(length(sql_fingerprint(sql))) FROM $pq"
    "SELECT sum(len(sql_column_lineage(sql, d))) FROM $pq"
    "SELECT count(json_serialize_sql(sql)) FROM $pq"
)
args=()
for qq in "${queries[@]}"; do
    for _ in $(seq "$repeat"); do args+=("$qq"); done
done
out=$("$run" -t 1 \
    "CREATE TABLE src AS SELECT sql, $dl AS d FROM read_json('$corpus/*/queries.jsonl', columns={id: 'VARCHAR', dialect: 'VARCHAR', sql: 'VARCHAR'})" \
    "COPY (SELECT sql, d FROM (SELECT src.sql || chr(10) || '-- ' || row_number() OVER () AS sql, src.d FROM src, range($copies) r) ORDER BY hash(sql)) TO '$tmp/q.parquet' (FORMAT parquet)" \
    "SELECT sum(strlen(sql)) / 1e6 FROM $pq" "${args[@]}" 2>&1)
mb=$(echo "$out" | grep -v '^time' | sed -n 3p)
# CPU seconds of the process (DuckDB threads = 1): per-core throughput even when other
# work shares the machine; wall seconds are printed too.
best() { # N: the least CPU (field 3) / wall (field 2) of the N-th group of timed queries
    echo "$out" | grep '^time' | tail -n +4 | awk -v g="$1" -v r="$repeat" -v f="$2" \
        'NR > (g - 1) * r && NR <= g * r { if (m == "" || $f < m) m = $f } END { print m }'
}
awk -v mb="$mb" -v scan="$(best 1 3)" -v all="$(best 2 3)" -v mix="$(best 3 3)" \
    -v nod="$(best 4 3)" -v lin="$(best 5 3)" -v js="$(best 6 3)" -v copies="$copies" \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" -v repeat="$repeat" 'BEGIN {
    printf "SQL text: %.1f MB (corpus x %d, every copy distinct, shuffled, Parquet), DuckDB threads = 1, best of %d runs, scan subtracted\n\n", mb, copies, repeat
    printf "| query | CPU seconds | MB/s per core |\n|---|---:|---:|\n"
    printf "| sum(length(sql)) (the scan) | %.3f | |\n", scan
    printf "| sql_tables(sql, d) + sql_columns(sql, d) + sql_fingerprint(sql, d) | %.3f | %.0f |\n", all - scan, mb / (all - scan)
    printf "| the same, sql_fingerprint(sql) without the dialect | %.3f | %.0f |\n", mix - scan, mb / (mix - scan)
    printf "| the same, no dialect argument at all | %.3f | %.0f |\n", nod - scan, mb / (nod - scan)
    printf "| sql_column_lineage(sql, d) | %.3f | %.0f |\n", lin - scan, mb / (lin - scan)
    printf "| json_serialize_sql (DuckDB parser) | %.3f | %.0f |\n", js - scan, mb / (js - scan)
    printf "\nratio (three functions, mixed dialect arguments, vs json_serialize_sql, CPU): %.1fx\n", (js - scan) / (mix - scan)
    printf "load average %s\n", load
}'
