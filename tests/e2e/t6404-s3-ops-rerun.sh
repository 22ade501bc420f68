#!/usr/bin/env bash
# t6404: issue 13's store-agnostic scripts again with an S3 store (as t6100 does for the
# backbone): t3408 (a manifest rewritten in place after its run's end: gc must not trust
# _manifests.json for it; on S3 the commit is a conditional PUT, then the index goes) and
# t4104 (pipelines named like steps, each its own catalog; the files a query names are
# downloaded through the three-part names). Each must pass every check its plan declares.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..6"
s3_setup
for t in t3408-gc-rewritten-manifest t4104-catalog-named-like-step; do
    check "$t exists" test -f "$DUCKFLOW_TOP/tests/e2e/$t.sh"
    s3_rerun "$t" "$t"
    check "$t wrote its runs to the bucket" bash -c "node '$DUCKFLOW_TOP/tests/support/s3/sdk.js' ls '$t/' | grep -q '/runs/.*/run.json '"
done
