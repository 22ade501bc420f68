#!/usr/bin/env bash
# t7010: `duckflow argo` output is byte-for-byte the golden files (tests/golden/argo), and
# the same every time. Regenerate after an intended change with
#   DUCKFLOW_REGEN_GOLDEN=1 tests/support/argo/golden.sh BUILD/duckflow /tmp/golden
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"
golden="$DUCKFLOW_TOP/tests/golden/argo"
gen="$DUCKFLOW_TOP/tests/support/argo/golden.sh"

expect_ok "every golden case compiles" env DUCKFLOW_REGEN_GOLDEN=0 "$gen" "$DUCKFLOW" "$SCRATCH/a"
cases=$(cat "$out")
check "there are golden cases" test -n "$cases"
for c in $cases; do
    check "golden $c" diff -u "$golden/$c" "$SCRATCH/a/$c"
done
expect_ok "second compile" env DUCKFLOW_REGEN_GOLDEN=0 "$gen" "$DUCKFLOW" "$SCRATCH/b"
for c in $cases; do
    check "deterministic $c" cmp "$SCRATCH/a/$c" "$SCRATCH/b/$c"
done
# Every golden file has a case (a stale file would never be checked).
for f in "$golden"/*; do
    check "golden file $(basename "$f") has a case" grep -qx "$(basename "$f")" <(echo "$cases")
done
