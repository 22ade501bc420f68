#!/usr/bin/env bash
# tpch.sh - examples/tpch at TPCH_CHUNKS x TPCH_ROWS line items (default 8 x 750,000, about
# TPC-H SF 1) through `duckflow run -j 2` (two tasks at a time, 1 thread and 1 GB each)
# against ONE DuckDB process (bench/duckdb-sql, 2 threads, 2 GB) running the same SQL files
# over every chunk at once (generate.sql's chunk-source line swapped for all chunks) and
# writing the same Parquet outputs (zstd).
#   bench/tpch.sh BUILD      (TPCH_CHUNKS, TPCH_ROWS, BENCH_RUNS default 3)
# Results: BUILD/bench-results/tpch.{csv,md}.
source "$(dirname "$0")/common.sh"
need_hyperfine
chunks=${TPCH_CHUNKS:-8}
rows=${TPCH_ROWS:-750000}
runs=${BENCH_RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ex="$top/examples/tpch"
out="$tmp/single"

sed "s/^SELECT getvariable('item')::BIGINT AS chunk; -- chunk-source\$/SELECT range AS chunk FROM range(getvariable('chunks')); -- chunk-source/" \
    "$ex/sql/generate.sql" >"$tmp/generate-all.sql"
grep -q "range(getvariable('chunks')); -- chunk-source" "$tmp/generate-all.sql" || {
    echo "bench: generate.sql has no chunk-source line to swap" >&2
    exit 2
}
cat >"$tmp/setup.sql" <<SQL
SET preserve_insertion_order = false;
SQL
cat >"$tmp/write-generated.sql" <<SQL
COPY orders TO '$out/orders.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY lineitem TO '$out/lineitem.parquet' (FORMAT parquet, COMPRESSION zstd);
SQL
cat >"$tmp/write-summaries.sql" <<SQL
COPY lineitem_summary TO '$out/lineitem_summary.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY orders_summary TO '$out/orders_summary.parquet' (FORMAT parquet, COMPRESSION zstd);
CREATE VIEW s AS FROM lineitem_summary;
CREATE VIEW os AS FROM orders_summary;
SQL
cat >"$tmp/write-merged.sql" <<SQL
COPY (FROM totals ORDER BY l_returnflag, l_linestatus) TO '$out/totals.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (FROM orders_totals ORDER BY ALL) TO '$out/orders_totals.parquet' (FORMAT parquet, COMPRESSION zstd);
SELECT CASE WHEN (SELECT sum(count_order) FROM totals) = (SELECT count(*) FROM lineitem)
            THEN 'check ok' ELSE error('check failed: merged count differs') END;
SQL
single="$DUCKDB_SQL -m 2GB -t 2 -T $tmp/spill -v chunks=$chunks -v rows=$rows $tmp/setup.sql $tmp/generate-all.sql $tmp/write-generated.sql $ex/sql/summarize.sql $tmp/write-summaries.sql $ex/sql/merge.sql $tmp/write-merged.sql"
flow="$DF run $ex/pipeline.yaml --store $tmp/store --param chunks=$chunks --param rows=$rows -j 2"

hyperfine --runs "$runs" --export-csv "$tmp/tpch.csv" \
    --prepare "rm -rf $tmp/store $out; mkdir -p $out" \
    -n "duckflow run -j 2 ($chunks x $rows line items)" "$flow" \
    -n "one DuckDB process with 2 threads" "$single" >&2

# One more run of each under GNU time for peak memory, then the per-task records.
rm -rf "$tmp/store" "$out" && mkdir -p "$out"
timed "$tmp/flow.time" $flow 2>/dev/null
timed "$tmp/single.time" $single >/dev/null
"$DF" query --store "$tmp/store" --format csv \
    "SELECT step, count(*) AS tasks, round(max(peak_rss_bytes) / 1e6) AS max_peak_mb,
            round(avg(total_ms)) AS avg_task_ms, sum(spilled_bytes) AS spilled
     FROM _run.tasks GROUP BY step ORDER BY min(started_at)" >"$results/tpch-tasks.csv"
lineitems=$("$DF" query --store "$tmp/store" --format csv "SELECT count(*) FROM generate.lineitem" | tail -n 1)

f=$(mean_of "$tmp/tpch.csv" 1)
s=$(mean_of "$tmp/tpch.csv" 2)
# min wall and CPU (user + system): less disturbed by whatever else the machine runs
fmin=$(awk -F, 'NR == 2 { print $7 }' "$tmp/tpch.csv") smin=$(awk -F, 'NR == 3 { print $7 }' "$tmp/tpch.csv")
fcpu=$(awk -F, 'NR == 2 { print $5 + $6 }' "$tmp/tpch.csv") scpu=$(awk -F, 'NR == 3 { print $5 + $6 }' "$tmp/tpch.csv")
cp "$tmp/tpch.csv" "$results/tpch.csv"
{
    echo "| tpch, $chunks chunks, $lineitems line items | wall mean of $runs | wall min | CPU (user+sys) | peak RSS |"
    echo "|---|---|---|---|---|"
    printf '| duckflow run -j 2 | %.2f s | %.2f s | %.2f s | %s MB per task (max) |\n' "$f" "$fmin" "$fcpu" \
        "$(awk -F, 'NR > 1 && $3 > m { m = $3 } END { print m }' "$results/tpch-tasks.csv")"
    printf '| one DuckDB process | %.2f s | %.2f s | %.2f s | %s MB |\n' "$s" "$smin" "$scpu" \
        "$(awk '{ printf "%.0f", $2 / 1024 }' "$tmp/single.time")"
    echo "| ratio duckflow / single | $(ratio "$f" "$s") | $(ratio "$fmin" "$smin") | $(ratio "$fcpu" "$scpu") | |"
} | tee "$results/tpch.md"
echo "per step:" && cat "$results/tpch-tasks.csv"
