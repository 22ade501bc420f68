#!/usr/bin/env bash
# t6004: a task killed in the middle of a multipart upload leaves no visible output (no
# manifest, no object for the file being uploaded; queries see nothing of it), the rerun
# (--resume) completes the run with correct results, and the incomplete upload that the
# kill left is aborted by the rerun of that task: none remains in the bucket.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..14"
s3_setup
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"
S3="s3://$S3_TEST_BUCKET/t6004"
export DUCKFLOW_S3_MULTIPART_THRESHOLD=1M DUCKFLOW_S3_PART_SIZE=256K DUCKFLOW_S3_ALLOW_SMALL_PARTS=1
params=(--param chunks=1 --param rows=120000)

s3_test_faults '{"slowMs":1500,"slowOps":["UploadPart"]}'
setsid "$DUCKFLOW" run "$P" --store "$S3" "${params[@]}" >run.out 2>run.err &
pid=$!
for _ in $(seq 1 300); do
    s3_test_stats | grep -q '"UploadPart":[1-9]' && break
    sleep 0.1
done
check "a part upload started" bash -c "s3_test_stats() { curl -sf '$S3_TEST_ENDPOINT/_front/stats'; }; s3_test_stats | grep -q '\"UploadPart\":[1-9]'"
sleep 0.3
# SIGKILL the task process itself (as the OOM killer or a lost node would), then the run
# at once, before it can schedule a retry; the rerun below resumes it.
step=$(pgrep -f -- "--step generate .*--store $S3" | head -n 1)
check "the task process is running" test -n "$step"
kill -KILL "$step" 2>/dev/null
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
s3_test_faults '{}'
check "the run was killed" test ! -s run.out
sdk ls t6004/ >keys.txt
echo "# $(wc -l <keys.txt) keys after the kill"
check "no manifest of the killed task" bash -c "! grep -q 'generate/00000/_manifest.json' keys.txt"
check "no object for the file being uploaded" bash -c "! grep -q '/lineitem/part-' keys.txt"
run=$(sed -n 's|^t6004/tpch/runs/\([^/]*\)/run.json .*|\1|p' keys.txt)
check "the run record names the run" test -n "$run"
check "the incomplete upload is left under the task's prefix" \
    test "$(sdk uploads "t6004/tpch/runs/$run/generate/00000/")" -ge 1
expect_ok "the rerun completes" "$DUCKFLOW" run "$P" --store "$S3" "${params[@]}" --resume "$run"
expect_match "the rerun says it aborted the stale upload" 'aborted [0-9]+ incomplete upload' "$errout"
check "no incomplete upload remains after the rerun" \
    test "$(sdk uploads "t6004/")" -eq 0
check "every listed file is there, byte for byte" sdk verify-manifests "t6004/tpch/runs/$run/"
expect_match "3 manifests" '^manifests 3 ' "$out"
expect_ok "query the resumed run" "$DUCKFLOW" query --store "$S3" --run "$run" --format csv \
    "SELECT sum(count_order) AS n FROM merge.totals"
expect_match "every line item counted" '^1[0-9]{5}$' "$out"
