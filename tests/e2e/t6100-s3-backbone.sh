#!/usr/bin/env bash
# t6100: the backbone's end-to-end scripts again with an S3 store: each selected script
# (those that reach the store only through $DUCKFLOW_STORE) runs in its own scratch folder
# with DUCKFLOW_TEST_STORE=s3://bucket/<script> against one test server; each must pass
# every one of its own checks (as many as its plan declares), and its runs must have
# landed in the bucket. (t3003 is left out: it races with its own memory kill under load,
# whatever the store.)
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"
s3_setup
selection=(t3000-run-basic t3001-run-jobs t3002-run-failure t3006-run-interrupt
    t4011-assets-diff-example)

for t in "${selection[@]}"; do
    check "$t exists" test -f "$DUCKFLOW_TOP/tests/e2e/$t.sh"
    s3_rerun "$t" "$t"
    check "$t wrote its runs to the bucket" bash -c "node '$DUCKFLOW_TOP/tests/support/s3/sdk.js' ls '$t/' | grep -q '/runs/.*/run.json '"
done
check "no incomplete multipart upload" test "$(sdk uploads)" = 0
