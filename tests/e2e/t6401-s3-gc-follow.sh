#!/usr/bin/env bash
# t6401: t3403 and t3404 on an S3 store (the strict test front): a removed run's tombstone
# and its leftovers in the bucket; gc --keep-runs reads the bucket in ONE listing (and one
# GET per run's _manifests.json and cache entry); `logs --follow` streams from the bucket
# (the live log is an object rewritten about once a second, removed after _log.txt); with
# two pipelines in the bucket, query joins their catalogs and views prints one per pipeline.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..28"
s3_setup t6401

cat >p.yaml <<'YAML'
name: rr
params:
  v: 1
defaults:
  threads: 1
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT x + getvariable('v') AS y FROM t;
    outputs: [u]
YAML
expect_ok "run 1" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
expect_ok "run 2 reuses a from run 1" "$DUCKFLOW" run -q p.yaml --param v=2
R2=$(cat "$out")
expect_ok "run 3 recomputes everything" "$DUCKFLOW" run -q p.yaml --param v=3 --no-cache

# One listing for the policy, the removal and gc.
sdk ls t6401/rr/ >keys.txt
# a run's record and manifests are read from its _manifests.json (store/runindex.h)
gets=$(grep -cE '/_manifests\.json |/cache/[^/]+\.json ' keys.txt)
s3_reset
expect_ok "gc --keep-runs 1 --dry-run" "$DUCKFLOW" gc --keep-runs 1 --dry-run
expect_match "would remove runs 1 and 2" "^would remove 2 runs, " "$out"
check "one ListObjects request ($(s3_stat 's.byOp.ListObjects'))" test "$(s3_stat 's.byOp.ListObjects')" -eq 1
n=$(s3_stat 's.byOp.GetObject')
check "one GET per run (_manifests.json) and cache entry, and published.json ($n for $gets + 1)" \
    test "$n" -eq $((gets + 1))

expect_ok "runs rm run 1" "$DUCKFLOW" runs rm "$R1"
expect_ok "list the bucket" sdk ls "t6401/rr/runs/$R1/"
cp "$out" r1.txt
expect_match "the tombstone is in the bucket" "^t6401/rr/runs/$R1/_removed.json " r1.txt
check "run.json is not" bash -c "! grep -q 'run.json' r1.txt"
expect_ok "runs" "$DUCKFLOW" runs
check "does not list the removed run" bash -c "! grep -q '$R1' '$out'"
expect_ok "gc --dry-run says nothing about it" "$DUCKFLOW" gc --dry-run
check "(no skipping line)" bash -c "! grep -q skipping '$errout'"
expect_ok "runs rm run 2, then gc" bash -c "'$DUCKFLOW' runs rm '$R2' >/dev/null && '$DUCKFLOW' gc"
expect_match "gc removes run 1's leftovers" "^removed rr/runs/$R1 \(" "$out"

# logs --follow from the bucket: the task blocks on a FIFO until the test feeds it.
mkfifo feed.csv
cat >f.yaml <<YAML
name: fl
defaults:
  threads: 1
  retries: 0
steps:
  wait:
    sql: |
      SELECT 'before the wait' AS note;
      CREATE TABLE t AS SELECT * FROM read_csv('$SCRATCH/feed.csv', header = false, columns = {'a': 'VARCHAR'});
      SELECT 'after the wait' AS note;
    outputs: [t]
YAML
timeout -s KILL 120 "$DUCKFLOW" run -q f.yaml >run.out 2>run.err &
rp=$!
R=$(first_run_id fl)
follow_log "$R" wait 'before the wait'
check "--follow prints the first line while the attempt runs" grep -qx 'before the wait' follow.out
check "from the live log object" bash -c "node '$DUCKFLOW_TOP/tests/support/s3/sdk.js' ls 't6401/fl/runs/$R/' | grep -q '/_log.live '"
feed_fifo $rp
wait $rp
wait $fp
check "--follow ended with the attempt, exit 0" test $? -eq 0
wait $wp 2>/dev/null
expect_match "and printed the rest" '^after the wait$' follow.out
check "the live log object is gone, _log.txt stays" bash -c "l=\$(node '$DUCKFLOW_TOP/tests/support/s3/sdk.js' ls 't6401/fl/runs/$R/'); ! grep -q '/_log.live ' <<<\"\$l\" && grep -q '/_log.txt ' <<<\"\$l\""

# Two pipelines in the bucket (rr, fl): catalogs of one query, and of views.
expect_ok "query joins both pipelines' published runs" "$DUCKFLOW" query --format csv \
    'SELECT (SELECT y FROM rr.b.u) AS y, (SELECT count(*) FROM fl.wait.t) > 0 AS fed'
expect_match "run 3's y and fl's rows" '^4,true$' "$out"
expect_ok "views without --pipeline" "$DUCKFLOW" views
cp "$out" all.sql
expect_match "a catalog per pipeline" "^ATTACH IF NOT EXISTS ':memory:' AS \"fl\";$" all.sql
expect_match "views over s3:// URIs" "^    's3://$S3_TEST_BUCKET/t6401/rr/runs/" all.sql
expect_code 2 "logs of a task that never ran names its state" "$DUCKFLOW" logs "$R" nosuch
