#!/usr/bin/env bash
# t6306: a run whose owner record cannot be renewed says so (issue 12, point 8): the
# executor rewrites its owner record every 10 s (the heartbeat other commands read to
# tell a live run from an abandoned one); when the store refuses that write, the run goes
# on and succeeds, and one warning (not one per heartbeat) names the record and the
# error. The test front lets the record's creation through and denies the rewrites; the
# task blocks on a FIFO until the test feeds it, after more than one heartbeat.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..4"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6306"
mkfifo feed.csv
cat >p.yaml <<YAML
name: hb
defaults: {threads: 1, retries: 0}
steps:
  wait:
    sql: |
      CREATE TABLE t AS SELECT * FROM read_csv('$SCRATCH/feed.csv', header = false, columns = {'a': 'VARCHAR'});
    outputs: [t]
YAML
s3_test_faults '{"deny":"/_owner-","denyOps":["PutObject"],"denySkip":1}'
timeout -s KILL 120 "$DUCKFLOW" run -q p.yaml --store "$S3" >run.out 2>run.err &
rp=$!
sleep 23 # two heartbeats (every 10 s) are due meanwhile
feed_fifo $rp
wait $rp
check "the run succeeded" test $? -eq 0
wait $wp 2>/dev/null
s3_test_faults '{}'
expect_match "a warning names the owner record and the error" \
    "^duckflow: warning: cannot renew the run's owner record 'hb/runs/[^']+/_owner-0*1\.json': .*HTTP 403.*other commands may take the run for abandoned" run.err
check "once, though two heartbeats failed" test "$(grep -c 'cannot renew the run' run.err)" -eq 1
check "the task committed" test "$("$DUCKFLOW" runs --store "$S3" | grep -c ' succeeded')" -eq 1
