#!/usr/bin/env bash
# t3004: a task past its step's timeout is killed (its whole process group) and classed
# timeout; without retries it fails the run (exit 1) while independent work finishes, and
# it commits nothing.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"

cat >p.yaml <<'YAML'
name: run-timeout
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  forever:
    timeout: 1s
    retries: 0
    sql: |
      CREATE TABLE t AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 1000000000)
        SELECT count(*) AS n FROM x;
    outputs: [t]
  after:
    inputs: {t: forever.t}
    sql: CREATE TABLE a AS SELECT * FROM t;
    outputs: [a]
  fine:
    foreach: {range: 2}
    sql: CREATE TABLE f AS SELECT getvariable('item') AS i;
    outputs: [f]
YAML

expect_code 1 "the run fails" timeout -s KILL 120 "$DUCKFLOW" run p.yaml -j 2
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
expect_match "the task is killed for its timeout" '^failed +forever \(timeout, attempt 1\): ran past its timeout' run.err
expect_match "summary: timeout" '^forever +0/1 .* timeout: 1 failed$' run.err
expect_match "summary: its dependent is skipped" '^after +0/1 .* upstream_failed: 1 not run$' run.err
expect_match "summary: independent work finished" '^fine +2/2 .* ok$' run.err
check "no task process is left" bash -c "! pgrep -f -- '[s]tep .*--run $RUN'"
expect_ok "query the run" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT step, count(*) FROM _run.tasks GROUP BY step ORDER BY step"
cp "$out" q.csv
check "only fine committed" test "$(tail -n +2 q.csv | tr '\n' ' ')" = "fine,2 "
expect_ok "run.json has the class" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT t->>'exit_class', t->>'attempts' FROM (SELECT unnest(from_json(record->'tasks', '[\"JSON\"]')) AS t
     FROM _run.run) WHERE t->>'step' = 'forever'"
cp "$out" rec.csv
check "timeout after 1 attempt" test "$(tail -n 1 rec.csv)" = "timeout,1"
if [ -d "$DUCKFLOW_STORE" ]; then
    check "no manifest for the killed task" test ! -e "$DUCKFLOW_STORE/run-timeout/runs/$RUN/forever/00000/_manifest.json"
fi
