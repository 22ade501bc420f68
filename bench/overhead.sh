#!/usr/bin/env bash
# overhead.sh - what a duckflow task costs beyond its SQL, against a bare process that opens
# DuckDB and runs SELECT 1 (bench/duckdb-sql.c):
#   1. one `duckflow step` of a trivial task (start, load the pipeline, open DuckDB, run the
#      SQL, write a one-row Parquet file, write the manifest) vs one bare process;
#   2. `duckflow run` of N such tasks with -j 1 (adds the executor: planning, spawning,
#      run.json) vs N bare processes in a row; per task = total / N.
#   bench/overhead.sh BUILD            (OVERHEAD_TASKS=N, default 40; BENCH_RUNS, default 10)
# Results: BUILD/bench-results/overhead.{csv,md}.
source "$(dirname "$0")/common.sh"
need_hyperfine
n=${OVERHEAD_TASKS:-40}
runs=${BENCH_RUNS:-10}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pl="$top/bench/trivial.yaml"
store="$tmp/store"

# 1. One task. The prepare step removes the task's folder so every run commits afresh.
"$DF" step "$pl" --store "$store" --run b1 --step one --item 0 --param n=1
hyperfine -N --warmup 3 --runs $((runs * 3)) --export-csv "$tmp/one.csv" \
    --prepare "rm -rf $store/trivial/runs/b1/one" \
    -n "duckflow step (trivial task)" \
    "$DF step $pl --store $store --run b1 --step one --item 0 --param n=1" \
    -n "bare DuckDB process (SELECT 1)" \
    "$DUCKDB_SQL -t 1 -c 'SELECT 1'" >&2

# 2. N tasks through the executor.
cat >"$tmp/bare.sh" <<LOOP
for i in \$(seq $n); do "$DUCKDB_SQL" -t 1 -c 'SELECT 1' >/dev/null; done
LOOP
hyperfine --warmup 1 --runs "$runs" --export-csv "$tmp/many.csv" \
    --prepare "rm -rf $store" \
    -n "duckflow run: $n trivial tasks, -j 1" \
    "$DF run $pl --store $store --param n=$n -j 1" \
    -n "$n bare DuckDB processes in a row" \
    "bash $tmp/bare.sh" >&2

step_ms=$(awk -v s="$(mean_of "$tmp/one.csv" 1)" 'BEGIN { printf "%.1f", s * 1000 }')
bare_ms=$(awk -v s="$(mean_of "$tmp/one.csv" 2)" 'BEGIN { printf "%.1f", s * 1000 }')
run_ms=$(awk -v s="$(mean_of "$tmp/many.csv" 1)" -v n="$n" 'BEGIN { printf "%.1f", s * 1000 / n }')
loop_ms=$(awk -v s="$(mean_of "$tmp/many.csv" 2)" -v n="$n" 'BEGIN { printf "%.1f", s * 1000 / n }')
cp "$tmp/one.csv" "$results/overhead-step.csv"
cp "$tmp/many.csv" "$results/overhead-run.csv"
{
    echo "| measure | duckflow | bare DuckDB SELECT 1 | above bare |"
    echo "|---|---|---|---|"
    echo "| one \`duckflow step\` (trivial task) | $step_ms ms | $bare_ms ms | $(awk -v a="$step_ms" -v b="$bare_ms" 'BEGIN { printf "%.1f ms", a - b }') |"
    echo "| per task of \`duckflow run -j 1\`, $n tasks | $run_ms ms | $loop_ms ms | $(awk -v a="$run_ms" -v b="$loop_ms" 'BEGIN { printf "%.1f ms", a - b }') |"
} | tee "$results/overhead.md"
