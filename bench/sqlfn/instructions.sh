#!/usr/bin/env bash
# instructions.sh - instruction counts (valgrind's callgrind) of the everyday query and of
# json_serialize_sql over the shared corpus (x COPIES, each copy made distinct by a
# trailing comment with its row number, shuffled, from Parquet), the scan subtracted: for
# comparing two versions of the functions on a shared machine, where CPU times drift with
# the host's load and instruction counts do not.
#   bench/sqlfn/instructions.sh [BUILD_DIR] [CORPUS_DIR] [COPIES]
# REPEAT=N: the least of N counts per query (default 3); JSON=0 leaves json_serialize_sql out.
set -euo pipefail
EXTRA=${EXTRA:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
corpus=${2:-/work/shared/corpus/sql}
copies=${3:-3}
run=$("$top/bench/sqlfn/build.sh" "$build")
dl="CASE WHEN dialect IN ('ansi','snowflake','bigquery','redshift','postgres','databricks','spark','duckdb','tsql','mysql','sqlite') THEN dialect ELSE 'ansi' END"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$run" -t 1 "CREATE TABLE src AS SELECT sql, $dl AS d FROM read_json('$corpus/*/queries.jsonl', columns={id: 'VARCHAR', dialect: 'VARCHAR', sql: 'VARCHAR'})" \
    "COPY (SELECT sql, d FROM (SELECT src.sql || chr(10) || '-- ' || row_number() OVER () AS sql, src.d FROM src, range($copies) r) ORDER BY hash(sql)) TO '$tmp/q.parquet' (FORMAT parquet)" >/dev/null 2>&1
pq="read_parquet('$tmp/q.parquet')"
bytes=$("$run" -t 1 "SELECT sum(strlen(sql)) FROM $pq" 2>/dev/null)
# The least of REPEAT counts (default 3): DuckDB's threads spin a little more when the
# machine is busy, which only ever adds instructions (up to 8 per byte seen here).
repeat=${REPEAT:-3}
ir() {
    for _ in $(seq "$repeat"); do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$run" -t 1 "$1" 2>&1 |
            grep -o 'refs: *[0-9,]*' | tr -d ', refs:'
    done | sort -n | head -1
}
scan=$(ir "SELECT sum(length(sql)) FROM $pq")
echo "SQL text: $bytes bytes (corpus x $copies, every copy distinct, shuffled, Parquet); instructions per byte, scan subtracted"
json="SELECT count(json_serialize_sql(sql)) FROM $pq"
[ "${JSON:-1}" = 0 ] && json=""
for q in "SELECT sum(len(sql_tables(sql, d))) + sum(len(sql_columns(sql, d))) + sum(length(sql_fingerprint(sql, d))) FROM $pq" \
    "SELECT sum(len(sql_tables(sql, d))) + sum(len(sql_columns(sql, d))) + sum(length(sql_fingerprint(sql))) FROM $pq" \
    "SELECT sum(len(sql_column_lineage(sql, d))) FROM $pq" \
    "$json" \
    "${EXTRA//PQ/$tmp/q.parquet}"; do
    [ -n "$q" ] || continue
    if [ "$q" = "$json" ]; then n=$(repeat=1 ir "$q"); else n=$(ir "$q"); fi
    awk -v n="$n" -v s="$scan" -v b="$bytes" -v q="$q" \
        'BEGIN { printf "%8.1f instructions/byte  %s\n", (n - s) / b, substr(q, 1, 120) }'
done
