#!/usr/bin/env bash
# t3003: retries. A task killed by SIGKILL (what the kernel's OOM killer does) is classed
# killed_for_memory and retried with half its threads; here the step's SQL only finishes
# with fewer than 2 threads, so attempt 1 can only end by the kill and attempt 2 succeeds.
# gc leaves the winner alone.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..15"

# One task's record in run.json, through `duckflow query` (any store): state,class,attempts
task_rec() { # RUN STEP ITEM
    "$DUCKFLOW" query --run "$1" --format csv "SELECT t->>'state', t->>'exit_class', t->>'attempts'
        FROM (SELECT unnest(from_json(record->'tasks', '[\"JSON\"]')) AS t FROM _run.run)
        WHERE t->>'step' = '$2' AND (t->>'item_index')::INT = $3" | tail -n 1
}
# Waits (up to 60 s) for a child of process $1 whose command line has $2; prints its pid.
child_of() {
    local i
    for i in $(seq 1 600); do
        pgrep -P "$1" -f -- "$2" | head -n 1 | grep . && return 0
        sleep 0.1
    done
    return 1
}

cat >p.yaml <<'YAML'
name: run-retry
defaults:
  memory_limit: 200MB
steps:
  quick:
    foreach: {range: 2}
    threads: 1
    sql: CREATE TABLE q AS SELECT getvariable('item') AS i;
    outputs: [q]
  slow:
    threads: 2
    retries: 1
    sql: |
      -- with 2 threads this counts to 10^9 (far longer than the test); with 1, to 10
      CREATE TABLE t AS
        WITH RECURSIVE x(i) AS (
          SELECT 0 UNION ALL
          SELECT i + 1 FROM x
          WHERE i < (CASE WHEN current_setting('threads')::INT > 1 THEN 1000000000 ELSE 10 END))
        SELECT count(*) AS n, current_setting('threads')::INT AS threads FROM x;
    outputs: [t]
  after:
    inputs: {t: slow.t, q: quick.q}
    sql: CREATE TABLE a AS SELECT (SELECT n FROM t) AS n, (SELECT count(*) FROM q) AS q;
    outputs: [a]
YAML

start_run p.yaml -j 2
kid=$(child_of $rp "--step slow")
check "the slow task starts as a child of the run" test -n "$kid"
check "with --attempt 1 and no --threads" bash -c "tr '\\0' ' ' </proc/$kid/cmdline | grep -q -- '--attempt 1 ' &&
    ! tr '\\0' ' ' </proc/$kid/cmdline | grep -q -- '--threads'"
kill -KILL "$kid"
wait $tp
check "the run succeeds after the retry" test $? -eq 0
RUN=$(cat run.out)
expect_match "the retry is reported with its class" \
    '^retry +slow \(killed_for_memory, attempt 1 of [0-9]+\): killed by SIGKILL' run.err
expect_match "summary: slow ok" '^slow +1/1 +1 .* ok$' run.err
expect_match "summary: after ok" '^after +1/1 +1 .* ok$' run.err
check "run.json: done after 2 attempts" test "$(task_rec "$RUN" slow 0)" = "done,ok,2"
expect_ok "the manifest names attempt 2, which ran with 1 thread" "$DUCKFLOW" query --run "$RUN" \
    --format csv "SELECT attempt, threads, (SELECT n FROM slow.t), (SELECT threads FROM slow.t)
                  FROM _run.tasks WHERE step = 'slow'"
cp "$out" q.csv
check "attempt 2, 1 thread, counted to 10" grep -qx '2,1,11,1' q.csv
expect_ok "downstream saw it" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM after.a"
cp "$out" a.csv
check "n = 11, both quick chunks" grep -qx '11,2' a.csv

# The killed attempt wrote nothing (it died inside its query), so gc has nothing of this
# run to collect and must keep the winner.
expect_ok "gc" "$DUCKFLOW" gc
cp "$out" gc.out
check "gc keeps the winning attempt" bash -c "! grep -q 'slow/00000' gc.out"
expect_ok "the run is still whole" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM after.a"
cp "$out" a2.csv
check "same result" cmp a.csv a2.csv
