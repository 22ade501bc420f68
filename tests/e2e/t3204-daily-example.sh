#!/usr/bin/env bash
# t3204: examples/assets-daily day after day. The run for day 2 reuses the run for day 1's
# snapshots of day 1 (same keys: the snapshot's SQL reads its date from the item) and
# computes day 2's snapshots, the diffs and the summary; its checks pass; a rerun of day 2
# reuses everything; day 3 reuses day 2's snapshots of day 2.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..15"
P="$DUCKFLOW_TOP/examples/assets-daily/pipeline.yaml"
reused_from() { # RUN -> "day:from-run" of the snapshot tasks that were reused
    "$DUCKFLOW" query --run "$1" --format csv \
        "SELECT count(*) FROM _run.tasks WHERE step = 'snapshot' AND reused_from_run = '$2'" | tail -n 1
}

expect_ok "the example validates" "$DUCKFLOW" validate "$P"
expect_ok "day 1" "$DUCKFLOW" run "$P" --param day=1 --param n=4000 -j 2
D1=$(cat "$out")
expect_ok "day 2" "$DUCKFLOW" run "$P" --param day=2 --param n=4000 -j 2
D2=$(cat "$out")
cp "$errout" d2.err
expect_match "half the snapshots reused" '^snapshot +8/8 .* ok \(4 reused\)' d2.err
check "they are day 1's, from the day-1 run" test "$("$DUCKFLOW" query --run "$D2" --format csv \
    "SELECT count(*) FROM _run.tasks WHERE step = 'snapshot' AND reused_from_run = '$D1' AND json_extract(item, '\$.day')::INT = 1" | tail -n 1)" = 4
check "day 2's snapshots ran" test "$(grep -cE '^ok +snapshot\[' d2.err)" -eq 4
expect_match "the diffs ran" '^diff +4/4 .* ok$' d2.err
expect_ok "day 2's totals" "$DUCKFLOW" query --run "$D2" --format csv "SELECT day, shards, added > 0, deleted > 0, changed > 0 FROM summary.totals"
check "reconcile (checks passed) and changes were found" test "$(tail -n 1 "$out")" = "2,4,true,true,true"
expect_ok "day 2 again" "$DUCKFLOW" run "$P" --param day=2 --param n=4000 -j 2
expect_match "everything reused" '^summary +1/1 .* ok \(reused\)' "$errout"
expect_ok "day 3" "$DUCKFLOW" run "$P" --param day=3 --param n=4000 -j 2
D3=$(cat "$out")
check "day 3 reuses day 2's snapshots of day 2" test "$(reused_from "$D3" "$D2")" = 4
expect_ok "the same totals as a run without the cache" "$DUCKFLOW" run "$P" --param day=3 --param n=4000 -j 2 --no-cache
D3b=$(cat "$out")
check "equal" test "$("$DUCKFLOW" query --run "$D3" --format csv 'FROM summary.totals')" = \
    "$("$DUCKFLOW" query --run "$D3b" --format csv 'FROM summary.totals')"
