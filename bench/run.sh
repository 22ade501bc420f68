#!/usr/bin/env bash
# run.sh - the backbone benchmarks, as `make bench` runs them (BUILD defaults to build/):
#   bench/run.sh BUILD
# 1. overhead.sh     per-task cost vs a bare DuckDB process running SELECT 1
# 2. tpch.sh         examples/tpch, 8 x 750k line items: duckflow run -j 2 vs one DuckDB
# 3. assets-diff.sh  examples/assets-diff, 10M assets in 16 shards vs one DuckDB
# Each writes BUILD/bench-results/*.md; this script prints them together at the end.
# 4. s3/run.sh       with BENCH_S3=1: staging 1 GiB through the S3 test server vs curl
# The 165M-asset reference size is not part of this run (many minutes):
#   bench/assets-diff.sh BUILD 165000000 128
# docs/benchmarks.md holds the numbers measured on the development machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
"$here/overhead.sh" "$build"
"$here/tpch.sh" "$build"
"$here/assets-diff.sh" "$build" "${ASSETS_N:-10000000}" "${ASSETS_SHARDS:-16}"
[ "${BENCH_S3:-0}" = 1 ] && "$here/s3/run.sh" "$build"
results="$(cd "$build" && pwd)/bench-results"
echo
echo "== results ($results)"
files=(overhead tpch "assets-diff-${ASSETS_N:-10000000}")
[ "${BENCH_S3:-0}" = 1 ] && files+=(s3)
for f in "${files[@]}"; do
    echo
    cat "$results/$f.md"
done
