#!/usr/bin/env bash
# ab.sh - before/after CPU time of the everyday query for two builds in the same go, for
# changes smaller than the drift of one speed.sh run on a shared host: the two builds'
# sqlrun binaries run alternately, ROUNDS times each (default 8), over the same shuffled,
# made-distinct Parquet copies of the corpus as speed.sh, and the least CPU time of each
# query per build counts (other work on the machine only ever adds time); the scan
# (sum(length(sql))) is subtracted.
#   bench/sqlfn/ab.sh BUILD_BEFORE BUILD_AFTER [CORPUS_DIR] [COPIES]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
before=${1:?usage: ab.sh BUILD_BEFORE BUILD_AFTER [CORPUS_DIR] [COPIES]}
after=${2:?usage: ab.sh BUILD_BEFORE BUILD_AFTER [CORPUS_DIR] [COPIES]}
corpus=${3:-/work/shared/corpus/sql}
copies=${4:-100}
rounds=${ROUNDS:-8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the binaries are copied: each build.sh writes BUILD/sqlrun, which a rebuild replaces
cp "$("$top/bench/sqlfn/build.sh" "$before")" "$tmp/sqlrun-before"
cp "$("$top/bench/sqlfn/build.sh" "$after")" "$tmp/sqlrun-after"
dl="CASE WHEN dialect IN ('ansi','snowflake','bigquery','redshift','postgres','databricks','spark','duckdb','tsql','mysql','sqlite') THEN dialect ELSE 'ansi' END"
"$tmp/sqlrun-after" -t 1 "CREATE TABLE src AS SELECT sql, $dl AS d FROM read_json('$corpus/*/queries.jsonl', columns={id: 'VARCHAR', dialect: 'VARCHAR', sql: 'VARCHAR'})" \
    "COPY (SELECT sql, d FROM (SELECT src.sql || chr(10) || '-- ' || row_number() OVER () AS sql, src.d FROM src, range($copies) r) ORDER BY hash(sql)) TO '$tmp/q.parquet' (FORMAT parquet)" >/dev/null 2>&1
pq="read_parquet('$tmp/q.parquet')"
mb=$("$tmp/sqlrun-after" -t 1 "SELECT sum(strlen(sql)) / 1e6 FROM $pq" 2>/dev/null)
queries=(
    "SELECT sum(length(sql)) FROM $pq"
    "SELECT sum(len(sql_tables(sql, d))) + sum(len(sql_columns(sql, d))) + sum(length(sql_fingerprint(sql, d))) FROM $pq"
    "SELECT sum(len(sql_tables(sql, d))) + sum(len(sql_columns(sql, d))) + sum(length(sql_fingerprint(sql))) FROM $pq"
    "SELECT sum(len(sql_column_lineage(sql, d))) FROM $pq"
)
for _ in $(seq "$rounds"); do
    for b in before after; do
        # "time <wall> <cpu> <sql>" per query on stderr; the query's index added in front
        "$tmp/sqlrun-$b" -t 1 "${queries[@]}" 2>&1 >/dev/null | grep '^time' |
            awk -v b="$b" '{ print b, NR, $3 }'
    done
done >"$tmp/times"
awk -v mb="$mb" -v rounds="$rounds" -v copies="$copies" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
{ k = $1 " " $2; if (!(k in m) || $3 < m[k]) m[k] = $3 }
END {
    printf "SQL text: %.1f MB (corpus x %d, every copy distinct, shuffled, Parquet), DuckDB threads = 1, builds alternating, least CPU of %d runs each, scan subtracted\n\n", mb, copies, rounds
    printf "| query | before: CPU s | MB/s per core | after: CPU s | MB/s per core | after / before |\n|---|---:|---:|---:|---:|---:|\n"
    split("the scan|sql_tables(sql, d) + sql_columns(sql, d) + sql_fingerprint(sql, d)|the same, sql_fingerprint(sql) without the dialect|sql_column_lineage(sql, d)", name, "|")
    for (q = 2; q <= 4; q++) {
        b = m["before " q] - m["before 1"]; a = m["after " q] - m["after 1"]
        printf "| %s | %.3f | %.1f | %.3f | %.1f | %.3f |\n", name[q], b, mb / b, a, mb / a, a / b
    }
    printf "\nscan: before %.3f s, after %.3f s; load average %s\n", m["before 1"], m["after 1"], load
}' "$tmp/times"
