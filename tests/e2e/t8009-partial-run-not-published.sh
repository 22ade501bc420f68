#!/usr/bin/env bash
# t8009: a partial run (--select/--exclude leaving a step neither selected nor needed)
# that succeeds is not published: published.json, hence `duckflow query` by default, stays
# on the last whole run (docs/operations.md: "a failed, interrupted or partial run never
# changes it"). It used to become the published run, and querying a step it did not run
# failed ("step 'use' has no committed task in run ..."). The same for a resume with
# --select. The summary says so. A --select whose unselected steps are all needed
# upstream (taken from the cache) is whole, and published.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..15"

gen_use_pipeline part 3
published() { jget "$DUCKFLOW_STORE/part/published.json" m.run; }

expect_ok "a whole run succeeds" "$DUCKFLOW" run pipeline.yaml
r1=$(cat "$out")
check "  and is published" test "$(published)" = "$r1"

expect_ok "a run of --select gen succeeds" "$DUCKFLOW" run pipeline.yaml --select gen --no-cache
r2=$(cat "$out")
expect_match "  its summary says it is partial, not published" \
    "^run $r2 succeeded in [^;]* \(partial: not published\); see" "$errout"
check "  the published run is still the whole one" test "$(published)" = "$r1"
expect_ok "  duckflow query still reads use" "$DUCKFLOW" query --format csv "SELECT s FROM use.u"
expect_match "  (its sum)" '^3$' "$out"

expect_ok "a run of --exclude use succeeds" "$DUCKFLOW" run pipeline.yaml --exclude use
check "  not published either" test "$(published)" = "$r1"

expect_ok "a resume of the partial run selecting only gen succeeds" \
    "$DUCKFLOW" run pipeline.yaml --resume "$r2" --select gen
check "  not published" test "$(published)" = "$r1"

expect_ok "a run of --select use (gen needed, from the cache) succeeds" \
    "$DUCKFLOW" run pipeline.yaml --select use
r3=$(cat "$out")
check "  it is whole: published" test "$(published)" = "$r3"

expect_ok "the partial run resumed whole succeeds" "$DUCKFLOW" run pipeline.yaml --resume "$r2"
check "  and is published" test "$(published)" = "$r2"
