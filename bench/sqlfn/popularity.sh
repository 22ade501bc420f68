#!/usr/bin/env bash
# popularity.sh - runs examples/query-popularity at scale with `duckflow run` and
# extrapolates to 200 million queries.
#   bench/sqlfn/popularity.sh [BUILD_DIR] [QUERIES] [CHUNKS] [JOBS]
# Defaults: build, 20000000 queries, 40 chunks, 2 jobs (this machine's cores). The store is
# a temporary folder (removed at the end; set KEEP_STORE=1 to keep it). Prints the run's
# per-step summary, the wall time, throughput, and the time extrapolated linearly to
# 200 million queries (generation, extraction and the per-chunk aggregation scale with the
# queries; the fan-in reads only pre-aggregated tables).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
queries=${2:-20000000}
chunks=${3:-40}
jobs=${4:-2}
per_chunk=$(( (queries + chunks - 1) / chunks ))
store=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-popularity.XXXXXX")
[ "${KEEP_STORE:-0}" = 1 ] || trap 'rm -rf "$store"' EXIT
t0=$(date +%s.%N)
# bash's `time` counts the CPU of the reaped task processes too
TIMEFORMAT='%U %S'
{ time "$build/duckflow" run "$top/examples/query-popularity/pipeline.yaml" --store "$store" \
    -j "$jobs" --param chunks="$chunks" --param queries="$per_chunk" \
    >"$store.log" 2>&1; } 2>"$store.cpu" || { cat "$store.log"; exit 1; }
t1=$(date +%s.%N)
grep -vE '^(generate|extract|popularity)\[' "$store.log" || true
cpu=$(awk '{print $1 + $2}' "$store.cpu")
rm -f "$store.log" "$store.cpu"
summary=$("$build/duckflow" query --store "$store" --format csv \
    'SELECT queries, bytes, unanalysed, without_tables FROM popularity.log_summary' 2>/dev/null | tail -n 1)
echo
echo "log: $queries queries in $chunks chunks, $jobs jobs; log_summary (queries,bytes,unanalysed,without_tables): $summary"
awk -v t0="$t0" -v t1="$t1" -v q="$queries" -v cpu="$cpu" -v jobs="$jobs" \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    s = t1 - t0
    printf "wall: %.1f s (%.0f queries/s); CPU: %.1f s (%.1f us per query); load average at the end: %s\n", s, q / s, cpu, cpu * 1e6 / q, load
    printf "extrapolated to 200,000,000 queries: %.1f min wall as measured; %.1f min on %d idle cores (CPU / cores)\n", s * 200000000 / q / 60, cpu * 200000000 / q / 60 / jobs, jobs
    printf "goal: under 30 min\n"
}'
