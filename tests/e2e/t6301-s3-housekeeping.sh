#!/usr/bin/env bash
# t6301: housekeeping is best-effort and rare, and only errors that can pass are retried.
# The sweep of stale multipart uploads runs once per run (one ListMultipartUploads for a
# run of 4 tasks), not per task. Against a store without that API (the test front answers
# 501 NotImplemented) a run succeeds with one warning, and gc too. A 501 or a 4xx on a
# write fails at once (one request, no "after N attempts"), naming the status and the
# operation; a 503 is still retried.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..17"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6301"
cat >p.yaml <<'YAML'
name: hk
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  a:
    foreach: {range: 3}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT sum(x) AS s FROM t;
    outputs: [u]
YAML

s3_reset
SECONDS=0
expect_ok "a run of 4 tasks" "$DUCKFLOW" run p.yaml --store "$S3"
plain=$SECONDS
check "one ListMultipartUploads for the whole run" test "$(s3_op_count ListMultipartUploads)" -eq 1

s3_reset
s3_test_faults '{"disableOps":["ListMultipartUploads"]}'
SECONDS=0
expect_ok "a run against a store without ListMultipartUploads succeeds" "$DUCKFLOW" run p.yaml --store "$S3"
took=$SECONDS
cp "$errout" run501.err
check "with one warning" test "$(grep -c 'does not implement listing incomplete uploads' run501.err)" -eq 1
expect_match "which names the status" 'warning: .*HTTP 501 NotImplemented' run501.err
check "the 501 was asked once, not retried" test "$(s3_op_count ListMultipartUploads)" -eq 1
# Relative to the same run against a store with the API (no absolute time: the machine
# may be loaded or the build sanitized); 8 retries with backoff would add tens of seconds.
check "and did not slow the run down ($took s against $plain s)" test "$took" -le $((2 * plain + 10))
expect_ok "gc against that store" "$DUCKFLOW" gc --store "$S3"
expect_match "warns once" 'duckflow gc: warning: the store does not implement listing incomplete uploads' "$errout"

s3_reset
s3_test_faults '{"disableOps":["PutObject","CreateMultipartUpload"]}'
expect_code 3 "a store that cannot write fails the run (exit 3)" "$DUCKFLOW" run p.yaml --store "$S3"
cp "$errout" put501.err
expect_match "naming the status and the operation" 'PUT s3://.*/(run.json|_owner-[0-9]+.json): HTTP 501 NotImplemented' put501.err
check "at once: no 'after N attempts'" bash -c "! grep -q 'after [0-9]* attempts' put501.err"
puts=$(s3_op_count PutObject)
check "one PutObject ($puts), not 8" test "$puts" -eq 1

s3_reset
s3_test_faults '{"failPart":1,"failPartTimes":-1,"failPartStatus":403}'
export DUCKFLOW_S3_MULTIPART_THRESHOLD=1 DUCKFLOW_S3_PART_SIZE=5M
expect_code 1 "a 403 on an upload part fails" "$DUCKFLOW" run p.yaml --store "$S3" --no-cache
expect_match "naming the status and the operation" 'part 1: PUT s3://[^ ]*part-00000\.parquet: access denied .*HTTP 403 AccessDenied' "$errout"
check "sent once per attempt, not retried" test "$(s3_op_count UploadPart)" -le 4
unset DUCKFLOW_S3_MULTIPART_THRESHOLD DUCKFLOW_S3_PART_SIZE

s3_test_faults '{"errorRate":0.3}'
expect_ok "503s and 500s are still retried" "$DUCKFLOW" run p.yaml --store "$S3" --no-cache
s3_test_faults '{}'
