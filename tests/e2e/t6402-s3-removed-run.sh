#!/usr/bin/env bash
# t6402: t3406 (a removed run is refused by every command that names a run, `latest`
# skips it) again with an S3 store on the test server: t3406 runs in its own scratch
# folder with DUCKFLOW_TEST_STORE=s3://bucket/t3406 and must pass every check it plans.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..3"
s3_setup

d="$SCRATCH/t3406"
mkdir -p "$d"
(cd "$d" && SCRATCH="$d" DUCKFLOW_TEST_STORE="s3://$S3_TEST_BUCKET/t3406" timeout 600 \
    bash "$DUCKFLOW_TOP/tests/e2e/t3406-removed-run.sh") >"$d.tap" 2>&1
rc=$?
oks=$(grep -cE '^ok ' "$d.tap")
bad=$(grep -cE '^not ok ' "$d.tap")
plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$d.tap" | head -n 1)
grep -E '^not ok |^#' "$d.tap" | head -n 20 | sed 's/^/# /'
check "t3406 on s3: exit 0, $oks checks passed of the ${plan:-?} planned, none failed" \
    test "$rc" -eq 0 -a "$bad" -eq 0 -a "$oks" -gt 0 -a "$oks" = "${plan:-none}"
sdk ls t3406/rm/runs/ >keys.txt
check "the runs are in the bucket" grep -q '/run\.json ' keys.txt
check "and the tombstones of the removed runs" test "$(grep -c '/_removed\.json ' keys.txt)" -ge 2
