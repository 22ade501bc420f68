#!/usr/bin/env bash
# t6304: store failures that were once dropped (issue 12, point 8), made by the test S3
# front denying one kind of request on matching keys (fault "deny"):
#   - a task whose _error.json cannot be written (the record that tells sql_error from
#     check_failed) ends as store_error and says why, with the task's own error kept;
#   - a listing that fails while a resume plans a step (attempt numbers rely on it) stops
#     the resume with exit 3, naming the step, before any task runs;
#   - run.json writes that fail (after the first) while the run itself fails still end the
#     run with exit 3 ("cannot record its state", and the run's own failure after
#     "besides").
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..12"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6304"

cat >p.yaml <<'YAML'
name: drop
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT error('boom ' || x) AS y FROM t
    outputs: [u]
YAML

s3_test_faults '{"deny": "/_error\\.json$", "denyOps": ["PutObject"]}'
expect_code 1 "a run whose failing task cannot write its _error.json" "$DUCKFLOW" run p.yaml --store "$S3"
cp "$errout" run1.out
expect_match "the task ends as store_error" '^failed +b \(store_error, attempt 1\)' run1.out
expect_match "saying why, and its own error" "sql_error \(and its _error.json could not be written: PUT s3://[^ ]*_error.json: access denied .*\).*boom 1" run1.out
check "the front denied it" grep -q '"denied":1' <(s3_test_stats)
s3_test_faults '{}'
R=$(sdk ls t6304/drop/runs/ | sed -n 's|^t6304/drop/runs/\([^/]*\)/run.json .*|\1|p' | head -n 1)
check "the run's id" test -n "$R"

# Resume: the listing of step b's attempts is denied.
sdk ls "t6304/drop/runs/$R/b/" | sort >before.txt
s3_test_faults "{\"deny\": \"/runs/$R/b/\$\", \"denyOps\": [\"ListObjects\", \"ListObjectsV2\"]}"
expect_code 3 "a resume whose listing of a step's attempts fails" "$DUCKFLOW" run p.yaml --store "$S3" --resume "$R"
expect_match "stops, naming the run and the step" "cannot resume run '$R': listing the attempts of step 'b': .*AccessDenied" "$errout"
s3_test_faults '{}'
sdk ls "t6304/drop/runs/$R/b/" | sort >after.txt
check "no attempt of b ran" diff before.txt after.txt

# run.json writes denied once the run has started (the first, creating it, goes through);
# the run fails on its own as well.
s3_test_faults '{"deny": "/run\\.json$", "denyOps": ["PutObject"], "denySkip": 1}'
"$DUCKFLOW" run p.yaml --store "$S3" >run3.out 2>run3.err
rc=$?
s3_test_faults '{}'
check "a failed run whose record cannot be written exits 3 ($rc)" test "$rc" -eq 3
expect_match "it says it cannot record its state" "cannot record its state: .*AccessDenied" run3.err
expect_match "how to repair it" "'duckflow run --resume [0-9TZ-]+[0-9a-f]+' repairs the record" run3.err
expect_match "and that the run failed besides" "; besides, run '[0-9TZ-]+[0-9a-f]+' failed" run3.err
