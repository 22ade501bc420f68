#!/usr/bin/env bash
# t6305: store errors met while deciding whether to reuse a task are said, not dropped
# (issue 12, point 8). On S3, with the test front denying (403) reads of the cache
# entries, a run still succeeds (a miss costs time, not correctness) but warns that it
# could not look up the cache, naming the operation and the status (so does a task run
# alone by `duckflow step`, as an Argo pod runs it); a resume that must
# remove a stale manifest which the store refuses to delete warns that readers still see
# it until the task commits again.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6305"
cat >p.yaml <<'YAML'
name: ce
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS x
    outputs: [t]
  agg:
    inputs: {t: gen.t}
    sql: CREATE TABLE u AS SELECT sum(x) AS s FROM t
    outputs: [u]
YAML
expect_ok "a first run" "$DUCKFLOW" run p.yaml --store "$S3"
R1=$(tail -n 1 "$out")

s3_test_faults '{"deny":"/cache/","denyOps":["GetObject"]}'
expect_ok "a second run while cache entries cannot be read" "$DUCKFLOW" run p.yaml --store "$S3"
cp "$errout" denied.err
expect_match "warns that it cannot look up the cache, naming operation and status" \
    "warning: cannot look up the cache: .*GET s3://.*/cache/[0-9a-f]+\.json: access denied .*HTTP 403.*: running the task" denied.err
expect_match "and runs the tasks" '^gen +2/2 .* ok$' denied.err
expect_ok "a task run alone (as an Argo pod runs it)" \
    "$DUCKFLOW" step p.yaml --store "$S3" --run 20991231T000000Z-0001 --step gen --item 0
expect_match "warns the same way" \
    "warning: cannot look up the cache: .*GET s3://.*/cache/[0-9a-f]+\.json: access denied .*HTTP 403.*: running the task" "$errout"
s3_test_faults '{}'

# The first run is not the published one: resume it, running gen again, while the
# store refuses to delete gen[0]'s manifest.
s3_test_faults '{"deny":"/runs/'"$R1"'/gen/00000/_manifest\\.json$","denyOps":["DeleteObject"]}'
expect_ok "a resume with --rerun gen" "$DUCKFLOW" run p.yaml --store "$S3" --resume "$R1" --rerun gen
cp "$errout" resume.err
expect_match "warns that the stale manifest could not be removed" \
    "warning: cannot remove the stale manifest 'ce/runs/$R1/gen/00000/_manifest.json' before its task runs again \(.*HTTP 403.*\): until the task commits, readers of the run still see it" resume.err
expect_match "the task ran again and committed" '^gen +2/2 ' resume.err
s3_test_faults '{}'
expect_ok "the run reads" "$DUCKFLOW" query --store "$S3" --run "$R1" --format csv 'SELECT s FROM agg.u'
expect_match "with the right sum" '^1$' "$out"
