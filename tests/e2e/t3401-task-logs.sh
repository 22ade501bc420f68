#!/usr/bin/env bash
# t3401: task logs (issue 13 point 5): every attempt, failed or succeeded, keeps what it
# printed as <attempt>/_log.txt (SELECT results: first 100 rows; the failing check);
# `duckflow logs RUN STEP[ITEM] [--attempt N] [--follow]`; a task that never ran is exit 2
# naming its state (a step the run does not have: its steps); a log longer than 1 MiB
# keeps its end.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..34"
S="$DUCKFLOW_STORE"

cat >p.yaml <<'YAML'
name: lg
params:
  bad: 0
defaults:
  threads: 1
  memory_limit: 256MB
  retries: 0
steps:
  gen:
    foreach: {range: 2}
    sql: |
      SELECT 'hello from ' || getvariable('item') AS greeting;
      CREATE TABLE t AS SELECT range AS r FROM range(150);
      FROM t ORDER BY r;
    outputs: [t]
  total:
    inputs: {t: gen.t}
    sql: CREATE TABLE s AS SELECT count(*) AS c FROM t;
    outputs: [s]
    checks:
      - name: not bad
        sql: SELECT 'bad row ' || getvariable('bad') AS why WHERE getvariable('bad') = 1
  after:
    inputs: {s: total.s}
    sql: CREATE TABLE x AS FROM s;
    outputs: [x]
YAML

expect_code 1 "the run fails at its check" "$DUCKFLOW" run -q p.yaml --param bad=1
R=$(cat "$out")
expect_ok "logs of a succeeded task" "$DUCKFLOW" logs "$R" 'gen[1]'
cp "$out" gen1.log
expect_match "its SELECT's row" '^hello from 1$' gen1.log
expect_match "the 150-row result says it shows 100" '^statement 3 returned 150 rows \(the first 100 follow\):$' gen1.log
expect_match "row 99 is there" '^99$' gen1.log
check "row 100 is not" bash -c "! grep -qx 100 gen1.log"
A=$(jget "$S/lg/runs/$R/gen/00001/_manifest.json" m.attempt_dir)
check "the log is in the store, in the committed attempt" cmp gen1.log "$S/lg/runs/$R/gen/00001/$A/_log.txt"
expect_ok "item 0 by default is gen[0]" "$DUCKFLOW" logs "$R" gen
expect_match "hello from 0" '^hello from 0$' "$out"
expect_ok "logs of the failed task" "$DUCKFLOW" logs "$R" total
cp "$out" total.log
expect_match "the failing check" "check 'not bad' failed" total.log
expect_match "and its row" "bad row 1" total.log
expect_code 2 "a task that never ran" "$DUCKFLOW" logs "$R" after
expect_match "names its state" "never ran \(upstream_failed\)" "$errout"
expect_code 2 "an attempt that does not exist" "$DUCKFLOW" logs "$R" total --attempt 4
expect_code 2 "a bad task name" "$DUCKFLOW" logs "$R" 'total[x]'
expect_code 2 "a step the run does not have" "$DUCKFLOW" logs "$R" totl
expect_match "names the run's steps and the likely one" "the run has no step 'totl', its steps: gen, total, after \(did you mean 'total'\?\)" "$errout"
expect_code 3 "an unknown run" "$DUCKFLOW" logs r-nope total

# Two attempts of one task through `duckflow step`: the first fails, the second commits.
expect_ok "gen[0] of r2" "$DUCKFLOW" step p.yaml --run r2 --step gen --item 0
expect_ok "gen[1] of r2" "$DUCKFLOW" step p.yaml --run r2 --step gen --item 1
expect_code 1 "total attempt 1 (bad=1) fails" "$DUCKFLOW" step p.yaml --run r2 --step total --attempt 1 --param bad=1
expect_ok "total attempt 2 (bad=0) commits" "$DUCKFLOW" step p.yaml --run r2 --step total --attempt 2
expect_ok "logs picks the committed attempt" "$DUCKFLOW" logs r2 total
expect_match "stderr says it printed nothing" "attempt 2[^ ]* of total\[0\] printed nothing" "$errout"
check "and stdout is empty" test ! -s "$out"
expect_ok "--attempt 1 shows the failed one" "$DUCKFLOW" logs r2 total --attempt 1
expect_match "with its check" "bad row 1" "$out"

# A log past 1 MiB keeps its last 1 MiB.
{
    echo "name: big"
    echo "steps:"
    echo "  loud:"
    echo "    sql: |"
    for i in $(seq 1 70); do echo "      SELECT $i AS stmt, repeat('x', 180) AS pad FROM range(100);"; done
    echo "      CREATE TABLE t AS SELECT 1 AS one;"
    echo "    outputs: [t]"
} >big.yaml
expect_ok "a task that prints about 1.3 MB" "$DUCKFLOW" run -q big.yaml
expect_ok "its log" "$DUCKFLOW" logs latest loud --pipeline big
cp "$out" big.log
check "bounded to 1 MiB and a note" bash -c "s=\$(wc -c <big.log); [ \$s -le \$((1048576 + 200)) ] && [ \$s -gt 1000000 ] && head -1 big.log | grep -q 'earlier bytes not kept'"

# --follow on a task still running: waits for its attempt to end, then prints its log.
cat >slow.yaml <<'YAML'
name: slowlog
defaults:
  threads: 1
steps:
  slow:
    sql: |
      SELECT 'slow started' AS note;
      CREATE TABLE s AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 100000)
        SELECT count(*) AS n FROM x;
    outputs: [s]
YAML
timeout 120 "$DUCKFLOW" run -q slow.yaml >slow.out 2>slow.err &
sp=$!
# (until its run.json names the task: the run folder comes first, under load well before)
for _ in $(seq 1 600); do
    grep -qs '"slow"' "$S"/slowlog/runs/*/run.json && break
    sleep 0.05
done
SR=$(ls "$S/slowlog/runs/" | head -1)
expect_ok "logs --follow of a run that is going" timeout 100 "$DUCKFLOW" logs "$SR" slow --follow
expect_match "prints the log once the attempt ended" '^slow started$' "$out"
wait $sp
check "the run succeeded" test $? -eq 0
