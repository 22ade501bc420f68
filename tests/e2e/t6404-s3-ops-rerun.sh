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
    script="$DUCKFLOW_TOP/tests/e2e/$t.sh"
    check "$t exists" test -f "$script"
    d="$SCRATCH/$t"
    mkdir -p "$d"
    (cd "$d" && SCRATCH="$d" DUCKFLOW_TEST_STORE="s3://$S3_TEST_BUCKET/$t" timeout 600 bash "$script") \
        >"$d.tap" 2>&1
    rc=$?
    oks=$(grep -cE '^ok ' "$d.tap")
    bad=$(grep -cE '^not ok ' "$d.tap")
    plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$d.tap" | head -n 1)
    grep -E '^not ok |^#' "$d.tap" | head -n 20 | sed 's/^/# /'
    check "$t on s3: exit 0, $oks checks passed of the ${plan:-?} planned, none failed" \
        test "$rc" -eq 0 -a "$bad" -eq 0 -a "$oks" -gt 0 -a "$oks" = "${plan:-none}"
    check "$t wrote its runs to the bucket" bash -c "node '$DUCKFLOW_TOP/tests/support/s3/sdk.js' ls '$t/' | grep -q '/runs/.*/run.json '"
done
