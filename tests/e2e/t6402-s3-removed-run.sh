#!/usr/bin/env bash
# t6402: t3406 (a removed run is refused by every command that names a run, `latest`
# skips it) again with an S3 store on the test server: t3406 runs in its own scratch
# folder with DUCKFLOW_TEST_STORE=s3://bucket/t3406 and must pass every check it plans.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..3"
s3_setup

s3_rerun t3406-removed-run t3406
sdk ls t3406/rm/runs/ >keys.txt
check "the runs are in the bucket" grep -q '/run\.json ' keys.txt
check "and the tombstones of the removed runs" test "$(grep -c '/_removed\.json ' keys.txt)" -ge 2
