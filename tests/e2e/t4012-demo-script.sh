#!/usr/bin/env bash
# t4012: scripts/demo.sh (what `make demo` runs) at a small size: runs examples/tpch into
# a fresh store, prints the merged summary, the run's records and the report; in a store
# that holds other things it replaces only its own pipeline's folder.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"
export DUCKFLOW_DEMO_STORE="$SCRATCH/demo-store" DUCKFLOW_DEMO_ROWS=2000
expect_ok "demo runs" "$DUCKFLOW_TOP/scripts/demo.sh" "$DUCKFLOW"
expect_match "merged Q1 summary" '^ l_returnflag \| l_linestatus \|' "$out"
expect_match "a returned-items group" '^ R +\| F +\|' "$out"
expect_match "orders by priority" '^ 1-URGENT +\|' "$out"
expect_match "the report" '^pipeline tpch, run .*: succeeded' "$out"
expect_match "the store is named" "the store is $DUCKFLOW_DEMO_STORE" "$errout"
expect_code 2 "a missing binary is a usage error" "$DUCKFLOW_TOP/scripts/demo.sh" "$SCRATCH/nope"
mkdir -p "$SCRATCH/shared/other/runs/x" && echo keep >"$SCRATCH/shared/keep.txt"
echo '{"started_at":"2030-01-01T00:00:00Z"}' >"$SCRATCH/shared/other/runs/x/run.json"
DUCKFLOW_DEMO_STORE="$SCRATCH/shared" expect_ok "demo in a store that holds other things" \
    "$DUCKFLOW_TOP/scripts/demo.sh" "$DUCKFLOW"
expect_match "the demo still queries its own run" '^ 1-URGENT +\|' "$out"
check "other files are kept" test -f "$SCRATCH/shared/keep.txt"
check "other pipelines are kept" test -f "$SCRATCH/shared/other/runs/x/run.json"
