#!/usr/bin/env bash
# t8007: a resume that runs a task again (its SQL changed, or --rerun) removes the task's
# committed manifest (exec/reuse.c); the cache entry of the old key, which named that
# manifest, goes with it. Should the new attempt fail, editing the SQL back and resuming
# is then a plain cache miss: the task runs without the warning "cache entry ... points
# at a missing manifest" (which is for an entry damaged behind duckflow's back).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"

gen_use_pipeline cdrop 2
cp pipeline.yaml pipeline.orig
C="$DUCKFLOW_STORE/cdrop/cache"
entries() { grep -l "\"step\":\"$1\"" "$C"/*.json 2>/dev/null | wc -l; }

expect_ok "the first run succeeds" "$DUCKFLOW" run pipeline.yaml
run=$(cat "$out")
expect_ok "a second run reuses every task" "$DUCKFLOW" run pipeline.yaml
run2=$(cat "$out")
check "  gen has one cache entry" test "$(entries gen)" -eq 1
entry=$(grep -l '"step":"gen"' "$C"/*.json)
check "  naming the first run's manifest" grep -q "runs/$run/gen/00000/_manifest.json" "$entry"

# gen's SQL edited to fail: the resume runs it again (its manifest goes) and fails.
sed 's/SELECT range AS k/SELECT nope AS k/' pipeline.orig >pipeline.yaml
expect_code 1 "a resume whose changed SQL fails, fails" "$DUCKFLOW" run pipeline.yaml --resume "$run"
check "  gen's manifest is gone" test ! -e "$DUCKFLOW_STORE/cdrop/runs/$run/gen/00000/_manifest.json"
check "  and so is the cache entry that named it" test ! -e "$entry"

# Edited back: a plain miss, no warning; the task runs and commits again.
cp pipeline.orig pipeline.yaml
expect_ok "edited back, the resume succeeds" "$DUCKFLOW" run pipeline.yaml --resume "$run"
cp "$errout" resume.err
check "  without a warning about the cache entry" sh -c "! grep -q 'cache entry' resume.err"
expect_match "  gen ran" '^ok +gen in ' resume.err
check "  gen has a cache entry again" test "$(entries gen)" -eq 1

