#!/usr/bin/env bash
# demo.sh - duckflow in one minute: runs examples/tpch (8 chunks of TPC-H-like orders and
# line items generated in SQL, summarised per chunk, merged with checks) into a fresh store,
# then answers SQL over the run with `duckflow query` and shows `duckflow report`.
#   scripts/demo.sh [BINARY]          (`make demo` runs scripts/demo.sh build/duckflow)
# Environment: DUCKFLOW_DEMO_STORE  the store folder (default: a new temporary folder; it is
#              kept so you can go on querying it; only its tpch/ pipeline folder is
#              replaced, nothing else in it is touched), DUCKFLOW_DEMO_ROWS line items per chunk
#              (default 12500: about 100k in all), DUCKFLOW_DEMO_JOBS parallel tasks (2).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/duckflow}
[ -x "$bin" ] || { echo "demo: no duckflow binary at '$bin' (run 'make build')" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
store=${DUCKFLOW_DEMO_STORE:-$(mktemp -d "${TMPDIR:-/tmp}/duckflow-demo.XXXXXX")/store}
rows=${DUCKFLOW_DEMO_ROWS:-12500}
jobs=${DUCKFLOW_DEMO_JOBS:-2}
rm -rf "$store/tpch"

say() { printf '\n== %s\n' "$*" >&2; }

say "duckflow run examples/tpch/pipeline.yaml --store $store --param rows=$rows -j $jobs"
"$bin" run "$top/examples/tpch/pipeline.yaml" --store "$store" --param "rows=$rows" -j "$jobs"

say "duckflow query: the merged pricing summary (TPC-H Q1 over every chunk)"
"$bin" query --store "$store" --pipeline tpch \
    "SELECT * FROM merge.totals ORDER BY l_returnflag, l_linestatus"

say "duckflow query: orders by priority, and the run's own records"
"$bin" query --store "$store" --pipeline tpch "
    SELECT o_orderpriority, sum(order_count) AS orders, sum(sum_totalprice) AS total_price
    FROM merge.orders_totals GROUP BY ALL ORDER BY ALL"
"$bin" query --store "$store" --pipeline tpch "
    SELECT step, count(*) AS tasks, sum(rows) AS rows, sum(bytes) AS bytes,
           max(total_ms) AS slowest_ms, max(peak_rss_bytes) AS max_peak_rss
    FROM _run.tasks GROUP BY step ORDER BY min(started_at)"

say "duckflow report"
"$bin" report --store "$store" --pipeline tpch

say "the store is $store; try: $bin query --store $store --pipeline tpch 'FROM generate.lineitem LIMIT 5'"
