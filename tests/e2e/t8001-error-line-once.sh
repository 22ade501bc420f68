#!/usr/bin/env bash
# t8001: a task whose _error.json cannot be written (the test S3 front denies the PUT) is
# reported from its own last line of output ("duckflow: MSG"): the failure lines tell MSG
# without a second "duckflow:" in the middle, and the task's line is not echoed as its
# output besides.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..5"
s3_setup
S3="s3://$S3_TEST_BUCKET/t8001"

cat >p.yaml <<'YAML'
name: once
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  b:
    sql: CREATE TABLE u AS SELECT error('boom 1') AS y
    outputs: [u]
YAML

s3_test_faults '{"deny": "/_error\\.json$", "denyOps": ["PutObject"]}'
expect_code 1 "the failing task cannot write its _error.json" "$DUCKFLOW" run p.yaml --store "$S3"
cp "$errout" run.err
s3_test_faults '{}'
expect_match "the failure is told, with the task's own error" \
    "sql_error \(and its _error.json could not be written: .*\).*boom 1" run.err
check "no line says duckflow: in the middle of the failure" bash -c "! grep -q '.duckflow: sql_error' run.err"
n=$(grep -c '_error.json could not be written' run.err)
check "the message is told twice: the attempt line and the summary ($n)" test "$n" -eq 2
check "the task's own error line is not echoed as its output" bash -c "! grep -q '^b: ' run.err"
