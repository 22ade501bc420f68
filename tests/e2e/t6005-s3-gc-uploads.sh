#!/usr/bin/env bash
# t6005: `duckflow gc` on S3 aborts the incomplete multipart uploads that killed attempts
# of finished runs left (invisible to listings, billed until aborted): --dry-run only
# reports them, gc aborts them, and uploads of a run it cannot judge (no run.json) stay.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6005"

cat >pipeline.yaml <<'YAML'
name: gcup
steps:
  one:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS x;
    outputs: [t]
YAML
expect_ok "a run on S3" "$DUCKFLOW" run pipeline.yaml --store "$S3" --quiet
run=$(tail -n 1 "$out")
stale="t6005/gcup/runs/$run/one/00001/7-dead/t/part-00000.parquet"
orphan="t6005/gcup/runs/20990101T000000Z-0000/one/00000/1-beef/t/part-00000.parquet"
expect_ok "an upload a killed attempt left" sdk start-upload "$stale"
expect_ok "an upload under a run without run.json" sdk start-upload "$orphan"
check "two incomplete uploads" test "$(sdk uploads t6005/)" -eq 2

expect_ok "gc --dry-run" "$DUCKFLOW" gc --store "$S3" --dry-run
expect_match "dry run names the folder" "^would abort 1 incomplete upload under gcup/runs/$run/one/00001/7-dead\$" "$out"
expect_match "and the total" '; would abort 1 incomplete upload$' "$out"
check "dry run aborts nothing" test "$(sdk uploads t6005/)" -eq 2

expect_ok "gc" "$DUCKFLOW" gc --store "$S3"
expect_match "gc says what it aborted" "^aborted 1 incomplete upload under gcup/runs/$run/one/00001/7-dead\$" "$out"
check "the finished run's upload is gone" test "$(sdk uploads "t6005/gcup/runs/$run/")" -eq 0
check "the unjudgeable run's upload stays" test "$(sdk uploads t6005/gcup/runs/20990101T000000Z-0000/)" -eq 1
expect_ok "a second gc" "$DUCKFLOW" gc --store "$S3"
check "has nothing left to abort" bash -c "! grep -q 'aborted' '$out'"
expect_ok "the run's outputs are intact" "$DUCKFLOW" query --store "$S3" --run "$run" --format csv \
    "SELECT sum(x) FROM one.t"
expect_match "both tasks' rows" '^1$' "$out"
