#!/usr/bin/env bash
# t6000: a whole pipeline (examples/tpch) against the S3 test server: the run succeeds,
# an independent client (@aws-sdk/client-s3) finds every file the manifests list with
# the listed size and SHA-256 (byte for byte what duckflow wrote), the results equal a
# run on a local store, runs/query read the S3 store, and nothing is left incomplete.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..17"
s3_setup
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"
S3="s3://$S3_TEST_BUCKET/t6000/store"

expect_ok "run on s3" "$DUCKFLOW" run "$P" --store "$S3" --param chunks=3 --param rows=2000 -j 2
run=$(tail -n 1 "$out")
expect_match "prints the run id" '^[0-9]{8}T[0-9]{6}Z' "$out"
check "the independent client lists the run" sdk ls "t6000/store/tpch/runs/$run/"
expect_match "run record" "^t6000/store/tpch/runs/$run/run.json [0-9]+$" "$out"
expect_match "merge manifest" "/merge/00000/_manifest.json [0-9]+$" "$out"
expect_match "a chunk's parquet" "/generate/00002/[^/]+/lineitem/part-[0-9]+\.parquet [0-9]+$" "$out"
check "every listed file is there, byte for byte" sdk verify-manifests "t6000/store/tpch/runs/$run/"
expect_match "7 manifests" '^manifests 7 files' "$out"
check "no incomplete multipart upload" test "$(sdk uploads t6000/)" = 0

expect_ok "the same run on a local store" "$DUCKFLOW" run "$P" --store "$SCRATCH/local" \
    --param chunks=3 --param rows=2000 -j 2
q='SELECT * FROM merge.totals ORDER BY ALL'
"$DUCKFLOW" query --store "$S3" --format csv "$q" >s3.csv 2>q.err
"$DUCKFLOW" query --store "$SCRATCH/local" --format csv "$q" >local.csv 2>>q.err
check "query over s3 equals the local run" cmp s3.csv local.csv
check "results are not empty" test "$(wc -l <s3.csv)" -ge 3
expect_ok "runs lists the s3 run" "$DUCKFLOW" runs --store "$S3"
expect_match "the run id" "$run" "$out"

# The store URI may carry no prefix, and DUCKFLOW_STORE works like --store.
DUCKFLOW_STORE="s3://$S3_TEST_BUCKET" expect_ok "bucket root via DUCKFLOW_STORE" \
    "$DUCKFLOW" run "$P" --param chunks=1 --param rows=500
check "written at the bucket's root" sdk ls tpch/runs/
expect_match "root layout" '^tpch/runs/[^/]+/run.json' "$out"
