#!/usr/bin/env bash
# t6001: a run under injected faults (10% of requests answered 500/503 SlowDown, a
# connection dropped mid-upload, one dropped mid-download) completes, and its outputs are
# byte-identical to a fault-free run's.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..8"
s3_setup
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"
B="s3://$S3_TEST_BUCKET"

expect_ok "fault-free run" "$DUCKFLOW" run "$P" --store "$B/clean" --param chunks=3 --param rows=4000 -j 2
s3_test_faults '{"errorRate":0.1,"dropMidUpload":1,"dropMidDownload":1,"dropAfterBytes":40000}'
expect_ok "run under faults" "$DUCKFLOW" run "$P" --store "$B/faulty" --param chunks=3 --param rows=4000 -j 2
stats=$(s3_test_stats)
s3_test_faults '{}'
echo "# $stats"
check "errors were injected" bash -c "echo '$stats' | grep -Eq '\"faults\":[1-9]'"
check "connections were dropped" bash -c "echo '$stats' | grep -Eq '\"drops\":[2-9]'"
sdk manifest-files clean/ >clean.txt
sdk manifest-files faulty/ >faulty.txt
check "outputs listed" test "$(wc -l <clean.txt)" -ge 10
check "outputs identical to the fault-free run" cmp clean.txt faulty.txt
check "every file byte for byte" sdk verify-manifests faulty/
check "no incomplete multipart upload" test "$(sdk uploads)" = 0
