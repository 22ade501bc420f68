#!/usr/bin/env bash
# t3403: what `runs rm` keeps of a run (files another run or the cache names) is marked by a
# tombstone (<run>/_removed.json): `runs` no longer lists it as a run, gc says nothing
# about it ("skipping run ...: no run.json" was printed before), and gc removes the rest
# once nothing names it, the tombstone last. gc --keep-runs over the one listing gives the
# same answer as runs rm of the same runs.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..22"
S="$DUCKFLOW_STORE"

cat >p.yaml <<'YAML'
name: rr
params:
  v: 1
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT x + getvariable('v') AS y FROM t;
    outputs: [u]
YAML

expect_ok "run 1" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
expect_ok "run 2 reuses a from run 1" "$DUCKFLOW" run -q p.yaml --param v=2
R2=$(cat "$out")
expect_ok "run 3 recomputes everything (--no-cache): the cache entry of a names run 3" \
    "$DUCKFLOW" run -q p.yaml --param v=3 --no-cache
R3=$(cat "$out")
A1=$(jget "$S/rr/runs/$R1/a/00000/_manifest.json" m.attempt_dir)

expect_ok "runs rm run 1" "$DUCKFLOW" runs rm "$R1"
expect_match "keeps what others name" "kept: named by another run or the cache" "$out"
check "a tombstone marks the removed run" test -f "$S/rr/runs/$R1/_removed.json"
check "run.json is gone" test ! -e "$S/rr/runs/$R1/run.json"
check "a's file stays (run 2's manifest names it)" test -f "$S/rr/runs/$R1/a/00000/$A1/t/part-00000.parquet"
expect_ok "runs" "$DUCKFLOW" runs
check "does not list the removed run" bash -c "! grep -q '$R1' '$out'"
expect_ok "gc --dry-run" "$DUCKFLOW" gc --dry-run
cp "$out" gc.out
check "says nothing about the removed run" bash -c "! grep -q 'skipping' '$errout'"
expect_match "and removes nothing" "^would remove 0 attempt folders, 0 files, 0 B$" gc.out

# Run 2 goes: nothing names run 1's a any more (the cache entry names run 3's).
expect_ok "runs rm run 2" "$DUCKFLOW" runs rm "$R2"
expect_ok "gc" "$DUCKFLOW" gc
cp "$out" gc2.out
expect_match "removes run 1's leftovers" "^removed rr/runs/$R1 \(" gc2.out
expect_match "and says so in the totals" "with what was left of 1 removed run" gc2.out
check "a's file of run 1 is gone" test ! -e "$S/rr/runs/$R1/a/00000/$A1/t/part-00000.parquet"
# b of run 1 (v=1) is still named by its cache entry: it and the tombstone stay.
check "b of run 1 stays while the cache names it" test -f "$S/rr/runs/$R1/b/00000/_manifest.json"
check "so does the tombstone" test -f "$S/rr/runs/$R1/_removed.json"
# Once the cache entry goes too, the next gc removes the rest and the tombstone.
grep -l "\"rr/runs/$R1/" "$S"/rr/cache/*.json | xargs rm -f
expect_ok "gc once the cache forgot run 1" "$DUCKFLOW" gc
check "nothing is left of run 1" test ! -e "$S/rr/runs/$R1"
