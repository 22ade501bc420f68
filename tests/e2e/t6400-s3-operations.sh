#!/usr/bin/env bash
# t6400: issue 13 on an S3 store (the strict test front): published.json and published.sql
# in the bucket, query/report read the published run, views print s3:// URIs of exactly the
# committed files, runs rm and gc --keep-runs delete with DeleteObjects in batches of at
# most 1,000 keys (the front refuses more, and requires Content-MD5), logs and lineage
# events are in the bucket.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..31"
s3_setup t6400

cat >p.yaml <<'YAML'
name: ops
params:
  n: 2
  bad: 0
defaults:
  threads: 1
  memory_limit: 256MB
  retries: 0
steps:
  gen:
    foreach: {range: n}
    sql: |
      SELECT 'gen says ' || getvariable('item') AS hello;
      CREATE TABLE t AS SELECT getvariable('item') AS i, range AS r FROM range(10);
    outputs: [t]
  total:
    inputs: {t: gen.t}
    sql: CREATE TABLE s AS SELECT count(*) AS c FROM t;
    outputs: [s]
    checks:
      - name: not bad
        sql: SELECT 1 WHERE getvariable('bad') = 1
YAML

expect_ok "run 1 (n=2)" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
expect_ok "run 2 (n=3)" "$DUCKFLOW" run -q p.yaml --param n=3
R2=$(cat "$out")
expect_code 1 "run 3 fails" "$DUCKFLOW" run -q p.yaml --param n=4 --param bad=1
R3=$(cat "$out")
expect_ok "list the bucket" sdk ls t6400/ops/
cp "$out" ls.txt
expect_match "published.json" '^t6400/ops/published.json ' ls.txt
expect_match "published.sql" '^t6400/ops/published.sql ' ls.txt
expect_match "each run's views.sql" "^t6400/ops/runs/$R3/views.sql " ls.txt
expect_match "lineage events" "^t6400/ops/runs/$R3/lineage.jsonl " ls.txt
expect_match "task logs" "^t6400/ops/runs/$R1/gen/00001/[0-9]+-[0-9a-f]+/_log.txt " ls.txt
expect_ok "query reads the published run" "$DUCKFLOW" query --format csv 'SELECT c FROM total.s'
expect_match "run 2: 30 rows" '^30$' "$out"
expect_ok "views of the published run" "$DUCKFLOW" views
cp "$out" views.sql
# (gen[0] and gen[1] of run 2 are reused from run 1 through the cache: their URIs are run 1's)
check "s3:// URIs of the 4 committed files" test "$(grep -c "'s3://$S3_TEST_BUCKET/t6400/ops/runs/" views.sql)" -eq 4
expect_ok "logs from the bucket" "$DUCKFLOW" logs "$R1" 'gen[1]'
expect_match "what the SELECT returned" '^gen says 1$' "$out"
expect_code 2 "publish of the failed run" "$DUCKFLOW" publish "$R3"
expect_ok "publish run 1" "$DUCKFLOW" publish "$R1"
expect_ok "query follows" "$DUCKFLOW" query --format csv 'SELECT c FROM total.s'
expect_match "run 1: 20 rows" '^20$' "$out"

# 1,200 stray keys in a dead attempt of run 2: removing it takes two DeleteObjects.
expect_ok "1,200 stray objects" sdk put-many "t6400/ops/runs/$R2/gen/00000/9-junk/x/part-" 1200
s3_reset
expect_ok "runs rm --dry-run" "$DUCKFLOW" runs rm "$R2" --dry-run
expect_match "counts them" "^would remove run ops/$R2 \(12[0-9][0-9] files" "$out"
check "a dry run deletes nothing" test "$(s3_stat 's.deleteBatches || 0')" -eq 0
expect_ok "runs rm" "$DUCKFLOW" runs rm "$R2"
n=$(s3_stat "s.deleteBatches"); check "in DeleteObjects requests: at least 2 ($n; s3rver sometimes answers 500 and the client retries)" test "$n" -ge 2
check "of at most 1,000 keys" test "$(s3_stat 's.deleteBatchMax')" -eq 1000
check "the stray objects and run.json are gone from the bucket" \
    test -z "$(sdk ls "t6400/ops/runs/$R2/" | grep -E '9-junk|run.json')"
expect_ok "gc --keep-runs 1" "$DUCKFLOW" gc --keep-runs 1
check "run 3 (newest) stays, run 1 (published) stays" \
    bash -c "sdk() { node '$DUCKFLOW_TOP/tests/support/s3/sdk.js' \"\$@\"; }; sdk ls t6400/ops/runs/ | grep -q '$R3/run.json' && sdk ls t6400/ops/runs/ | grep -q '$R1/run.json'"
expect_ok "the published run still reads" "$DUCKFLOW" query --format csv 'SELECT c FROM total.s'
expect_match "20 rows" '^20$' "$out"
