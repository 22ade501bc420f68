#!/usr/bin/env bash
# assets-diff.sh - examples/assets-diff (two daily snapshots of N metadata assets, diffed
# per shard, fanned in) through `duckflow run -j 2` against ONE DuckDB process doing the
# same work (the same SQL files with shards=1, writing the same Parquet outputs) with the
# same total memory (2 tasks x 2 GB = 4 GB) and threads (2). Reports wall time, peak RSS
# (per task from the manifests, of the single process from GNU time) and spilled bytes.
#   bench/assets-diff.sh BUILD [N [SHARDS]]      (default N=10000000, SHARDS=16)
#   the reference size:  bench/assets-diff.sh build 165000000 128   (many minutes)
#   ASSETS_SINGLE=0 skips the single-process run; ASSETS_FLOW=0 skips the duckflow run
#   (the reference size's single process alone takes long).
# Results: BUILD/bench-results/assets-diff-N.{md,csv}.
source "$(dirname "$0")/common.sh"
n=${2:-10000000}
shards=${3:-16}
tmp=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/duckflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ex="$top/examples/assets-diff"
out="$tmp/single"
mkdir -p "$out"

if [ "${ASSETS_FLOW:-1}" = 1 ]; then
    echo "bench: duckflow run, n=$n shards=$shards" >&2
    timed "$tmp/flow.time" "$DF" run "$ex/pipeline.yaml" --store "$tmp/store" \
        --param "n=$n" --param "shards=$shards" -j 2
    "$DF" query --store "$tmp/store" --format csv \
        "SELECT step, count(*) AS tasks, round(max(peak_rss_bytes) / 1e6) AS max_peak_mb,
                round(avg(total_ms) / 1000, 1) AS avg_task_s, sum(spilled_bytes) AS spilled,
                sum(rows) AS rows
         FROM _run.tasks GROUP BY step ORDER BY min(started_at)" >"$results/assets-diff-$n-tasks.csv"
    "$DF" query --store "$tmp/store" --format csv "FROM summary.totals" >"$results/assets-diff-$n-totals.csv"
    du -sb "$tmp/store" | awk '{ print $1 }' >"$tmp/store.bytes"
    rm -rf "$tmp/store"
else
    echo "skipped 0 0 0 0" >"$tmp/flow.time"
    echo "step,tasks,max_peak_mb,avg_task_s,spilled,rows" >"$results/assets-diff-$n-tasks.csv"
fi

single_line="| one DuckDB process (4 GB, 2 threads) | skipped | | | |"
if [ "${ASSETS_SINGLE:-1}" = 1 ]; then
    cat >"$tmp/setup.sql" <<SQL
SET preserve_insertion_order = false;
SQL
    cat >"$tmp/write-snapshots.sql" <<SQL
COPY (FROM old) TO '$out/old.parquet' (FORMAT parquet, COMPRESSION lz4);
COPY (FROM new) TO '$out/new.parquet' (FORMAT parquet, COMPRESSION lz4);
-- The diff reads the written snapshots, as the pipeline's diff tasks do.
CREATE OR REPLACE VIEW old AS FROM '$out/old.parquet';
CREATE OR REPLACE VIEW new AS FROM '$out/new.parquet';
DROP TABLE base;
SQL
    cat >"$tmp/write-changes.sql" <<SQL
COPY changes TO '$out/changes.parquet' (FORMAT parquet, COMPRESSION zstd);
CREATE VIEW c AS FROM changes;
CREATE VIEW k AS FROM shard_counts;
SQL
    cat >"$tmp/write-summary.sql" <<SQL
COPY summary TO '$out/summary.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY attribute_changes TO '$out/attribute_changes.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY totals TO '$out/totals.parquet' (FORMAT parquet, COMPRESSION zstd);
SELECT coalesce(sum(size), 0) AS spilled FROM duckdb_temporary_files();
SQL
    echo "bench: one DuckDB process, n=$n" >&2
    timed "$tmp/single.time" "$DUCKDB_SQL" -m 4GB -t 2 -T "$tmp/spill" -p \
        -v item=0 -v shards=1 -v "n=$n" \
        "$tmp/setup.sql" "$ex/sql/snapshot.sql" "$tmp/write-snapshots.sql" \
        "$ex/sql/diff.sql" "$tmp/write-changes.sql" "$ex/sql/summary.sql" \
        "$tmp/write-summary.sql" >"$tmp/single.out"
    spilled=$(tail -n 1 "$tmp/single.out")
    single_line=$(awk -v sp="${spilled:-0}" '{ printf "| one DuckDB process (4 GB, 2 threads) | %.1f s | %.1f s | %.0f MB | %s B (temp files at the end) |", $1, $3 + $4, $2 / 1024, sp }' "$tmp/single.time")
fi

{
    echo "| assets-diff, n=$n, $shards shards | wall | CPU (user+sys) | peak RSS | spilled |"
    echo "|---|---|---|---|---|"
    [ "${ASSETS_FLOW:-1}" = 1 ] || echo "| duckflow run -j 2 (2 GB per task) | skipped | | | |"
    [ "${ASSETS_FLOW:-1}" = 1 ] && awk -v tasks="$results/assets-diff-$n-tasks.csv" '{
        wall = $1
        while ((getline line < tasks) > 0) {
            split(line, f, ",")
            if (f[1] == "step") continue
            if (f[3] + 0 > peak) peak = f[3] + 0
            spilled += f[5]
        }
        printf "| duckflow run -j 2 (2 GB per task) | %.1f s | %.1f s | %d MB per task (max) | %.0f B |\n", wall, $3 + $4, peak, spilled
    }' "$tmp/flow.time"
    echo "$single_line"
    if [ "${ASSETS_SINGLE:-1}" = 1 ] && [ "${ASSETS_FLOW:-1}" = 1 ]; then
        echo "| ratio duckflow / single | $(ratio "$(cut -d' ' -f1 "$tmp/flow.time")" "$(cut -d' ' -f1 "$tmp/single.time")") | $(ratio "$(awk '{ print $3 + $4 }' "$tmp/flow.time")" "$(awk '{ print $3 + $4 }' "$tmp/single.time")") | | |"
    fi
} | tee "$results/assets-diff-$n.md"
echo "per step:" && cat "$results/assets-diff-$n-tasks.csv"
echo "totals:" && cat "$results/assets-diff-$n-totals.csv"
