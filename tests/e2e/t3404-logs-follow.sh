#!/usr/bin/env bash
# t3404: `duckflow logs --follow` streams (issue 13 point 5): while an attempt runs, its
# text so far is in <attempt>/_log.live (rewritten at most once a second); `logs` prints
# it as it stands, `logs --follow` prints what is new as it comes and ends when the
# attempt stores _log.txt (then _log.live is gone). The task here blocks on a FIFO, so the
# test decides when it ends: no timing guesses.
# Also: DUCKFLOW_STORE=s3://... reruns it on S3 (t6401).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..13"
S="$DUCKFLOW_STORE"

mkfifo feed.csv
cat >p.yaml <<YAML
name: fl
defaults:
  threads: 1
  retries: 0
steps:
  wait:
    sql: |
      SELECT 'before the wait' AS note;
      CREATE TABLE t AS SELECT * FROM read_csv('$SCRATCH/feed.csv', header = false, columns = {'a': 'VARCHAR'});
      SELECT 'after the wait: ' || (count(*) > 0) AS note FROM t;
    outputs: [t]
YAML

timeout -s KILL 120 "$DUCKFLOW" run -q p.yaml >run.out 2>run.err &
rp=$!
# the run's id, once its run.json exists
R=$(first_run_id fl)
check "the run started" test -n "$R"
# The first line arrives while the task is still blocked on the FIFO.
follow_log "$R" wait 'before the wait'
check "--follow prints the first line while the attempt runs" grep -qx 'before the wait' follow.out
check "and has not ended" kill -0 $fp
check "nor printed what comes later" bash -c "! grep -q 'after the wait' follow.out"
expect_ok "logs without --follow: the log so far" "$DUCKFLOW" logs "$R" wait
expect_match "has the first line" '^before the wait$' "$out"
expect_match "and says the attempt is still running" 'still running: its log so far' "$errout"
# Feed the FIFO until the run ends.
feed_fifo $rp
wait $rp
check "the run succeeded" test $? -eq 0
wait $fp
check "--follow ended with the attempt, exit 0" test $? -eq 0
wait $wp 2>/dev/null
expect_match "and printed the rest" '^after the wait: true$' follow.out
check "every line once, in order" bash -c "grep -c 'before the wait' follow.out | grep -qx 1 && grep -n '' follow.out | grep -A100 'before the wait' | grep -q 'after the wait'"
A=$(jget "$S/fl/runs/$R/wait/00000/_manifest.json" m.attempt_dir)
check "the live log is gone, the final one stays" bash -c "test ! -e '$S/fl/runs/$R/wait/00000/$A/_log.live' && test -s '$S/fl/runs/$R/wait/00000/$A/_log.txt'"
expect_ok "--follow of an attempt that ended prints its log and returns" \
    timeout 20 "$DUCKFLOW" logs "$R" wait --follow
