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
    --prepare "rm -rf $store/trivial/runs/b1/one $store/trivial/cache" \
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
    -n "duckflow run of $n trivial tasks with -j 1" \
    "$DF run $pl --store $store --param n=$n -j 1" \
    -n "$n bare DuckDB processes in a row" \
    "bash $tmp/bare.sh" >&2

# Means, and minimums: on a shared machine the minimum is the least disturbed figure.
ms() { awk -F, -v row="$2" -v col="$3" -v n="${4:-1}" 'NR == row + 1 { printf "%.1f", $col * 1000 / n }' "$1"; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
step_mean=$(ms "$tmp/one.csv" 1 2) bare_mean=$(ms "$tmp/one.csv" 2 2)
step_min=$(ms "$tmp/one.csv" 1 7) bare_min=$(ms "$tmp/one.csv" 2 7)
run_mean=$(ms "$tmp/many.csv" 1 2 "$n") loop_mean=$(ms "$tmp/many.csv" 2 2 "$n")
run_min=$(ms "$tmp/many.csv" 1 7 "$n") loop_min=$(ms "$tmp/many.csv" 2 7 "$n")
# CPU (user + system) barely depends on what else the machine is doing.
cpu() { awk -F, -v row="$2" -v n="${3:-1}" 'NR == row + 1 { printf "%.1f", ($5 + $6) * 1000 / n }' "$1"; }
step_cpu=$(cpu "$tmp/one.csv" 1) bare_cpu=$(cpu "$tmp/one.csv" 2)
run_cpu=$(cpu "$tmp/many.csv" 1 "$n") loop_cpu=$(cpu "$tmp/many.csv" 2 "$n")
cp "$tmp/one.csv" "$results/overhead-step.csv"
cp "$tmp/many.csv" "$results/overhead-run.csv"
{
    echo "| per task: wall mean / wall min / CPU | duckflow | bare DuckDB SELECT 1 | above bare |"
    echo "|---|---|---|---|"
    echo "| one \`duckflow step\` (trivial task) | $step_mean / $step_min / $step_cpu ms | $bare_mean / $bare_min / $bare_cpu ms | $(diff_ms "$step_mean" "$bare_mean") / $(diff_ms "$step_min" "$bare_min") / $(diff_ms "$step_cpu" "$bare_cpu") ms |"
    echo "| \`duckflow run -j 1\` of $n trivial tasks | $run_mean / $run_min / $run_cpu ms | $loop_mean / $loop_min / $loop_cpu ms | $(diff_ms "$run_mean" "$loop_mean") / $(diff_ms "$run_min" "$loop_min") / $(diff_ms "$run_cpu" "$loop_cpu") ms |"
} | tee "$results/overhead.md"
