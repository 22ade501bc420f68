#!/usr/bin/env bash
# t3530: where a person is sent after a failure, and what is repeated once. Every failed
# attempt's line (a retry too) ends with the `duckflow logs RUN 'task[label]'` command,
# and so does each failure group of the summary; `logs` takes that label (and the index)
# for runs made by `duckflow run` and by `duckflow step`. Failed warn checks are repeated
# once in the summary. Every check runs even after one failed, and a failed task's
# checks are in _run.checks. `runs` tells a task interrupted while running from one the
# interrupt kept from starting (not run).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..26"

cat >p.yaml <<'YAML'
name: logs-warnings
params:
  names: [alpha, beta, gamma]
defaults: {threads: 1, memory_limit: 100MB, retries: 0}
steps:
  clean:
    sql: CREATE TABLE c AS SELECT range AS id FROM range(5);
    outputs: [c]
    checks:
      - name: few ids
        severity: warn
        sql: SELECT id FROM c WHERE id >= 2
  gen:
    foreach: {values: names}
    sql: CREATE TABLE g AS SELECT getvariable('item') AS name, range AS v FROM range(4);
    outputs: [g]
    checks:
      - name: soft
        severity: warn
        sql: SELECT v FROM g WHERE v = 3
      - name: no beta
        sql: SELECT name FROM g WHERE name = 'beta' AND v < 2
      - name: never beta at all
        sql: SELECT name FROM g WHERE name = 'beta'
      - name: passes
        sql: SELECT v FROM g WHERE v > 100
  flaky:
    retries: 1
    timeout: 1s
    sql: |
      CREATE TABLE f AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 1000000000)
        SELECT count(*) AS n FROM x;
    outputs: [f]
YAML

expect_code 1 "the run fails" "$DUCKFLOW" run p.yaml -j 1
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
check "a failed attempt's line names its log, by label" \
    grep -qxF "failed  gen[beta] (check_failed, attempt 1): check 'no beta' failed: 2 rows (log: duckflow logs $RUN 'gen[beta]')" run.err
check "a retried attempt's line too" \
    grep -qE "^retry +flaky \(timeout, attempt 1 of 2\): ran past its timeout.*; next attempt in .* \(log: duckflow logs $RUN flaky\)$" run.err
check "the summary group names the log" grep -qxF "    log: duckflow logs $RUN 'gen[beta]'" run.err
check "the later failed error check is named" grep -qF "also failed: 'never beta at all' (4 rows)" run.err
check "warnings are repeated once: an unfanned step" \
    grep -qxF "  clean: check 'few ids' failed: 3 rows" run.err
check "warnings: a fan-out, tasks named by label" \
    grep -qxF "  2 tasks of gen: check 'soft' failed: 2 rows in all" run.err
check "warnings: the tasks" grep -qxF "    gen[alpha], gen[gamma]" run.err
check "the summary's warnings come once" test "$(grep -c "^  clean: check 'few ids'" run.err)" -eq 1

expect_ok "logs by label" "$DUCKFLOW" logs "$RUN" 'gen[beta]'
cp "$out" label.log
check "it is gen[beta]'s log" grep -q "check 'no beta' failed: 2 rows" label.log
expect_ok "logs by index" "$DUCKFLOW" logs "$RUN" 'gen[1]'
cp "$out" index.log
check "the same log" cmp -s index.log label.log
expect_code 2 "an unknown label" "$DUCKFLOW" logs "$RUN" 'gen[delta]'
cp "$errout" delta.err
check "it lists the labels" grep -qF "step 'gen' has no item 'delta' in run '$RUN' (its items: alpha, beta, gamma)" delta.err

expect_ok "_run.checks" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT item_label, name, severity, rows, passed FROM _run.checks WHERE step = 'gen' AND item_label = 'beta' ORDER BY name"
cp "$out" checks.csv
check "the failed task's every check, the passing ones after the failure too" \
    test "$(tail -n +2 checks.csv | tr '\n' ' ')" = \
    "beta,never beta at all,error,4,false beta,no beta,error,2,false beta,passes,error,0,true beta,soft,warn,1,false "

# A run made task by task: no run record, the labels come from what the tasks recorded.
"$DUCKFLOW" step p.yaml --run byhand --step gen --item alpha >/dev/null 2>&1
"$DUCKFLOW" step p.yaml --run byhand --step gen --item beta >/dev/null 2>&1
expect_ok "logs by label in a step-made run" "$DUCKFLOW" logs byhand 'gen[beta]'
cp "$out" byhand.log
check "it is the failed task's log" grep -q "check 'no beta' failed" byhand.log
expect_ok "its checks in _run.checks" "$DUCKFLOW" query --run byhand --format csv \
    "SELECT item_label, name, passed FROM _run.checks WHERE name = 'no beta' ORDER BY item_label"
cp "$out" byhand.csv
check "the failed one and the committed one" test "$(tail -n +2 byhand.csv | tr '\n' ' ')" = \
    "alpha,no beta,true beta,no beta,false "

# Interrupted: the running task is interrupted, the ones never started are not run.
cat >slow.yaml <<'YAML'
name: slow
defaults: {threads: 1, memory_limit: 100MB, retries: 0}
steps:
  s:
    foreach: {range: 3}
    sql: CREATE TABLE t AS SELECT count(*) AS n FROM range(100000000000);
    outputs: [t]
  after:
    inputs: {t: s.t}
    sql: CREATE TABLE u AS FROM t;
    outputs: [u]
YAML
"$DUCKFLOW" run slow.yaml -j 1 >slow.out 2>slow.err &
pid=$!
for _ in $(seq 1 200); do
    grep -qs '"state":"running"' "$DUCKFLOW_STORE"/slow/runs/*/run.json && break
    sleep 0.1
done
kill -INT $pid
wait $pid
echo "# exit $?"
check "the run line: interrupted and not run apart" \
    grep -qE '^run [^ ]+ interrupted in .*: 0 of 4 tasks done, 3 not run, 1 interrupted' slow.err
check "the step line too" grep -qE '^s +0/3 .*interrupted, 2 not run' slow.err
check "the step never started is not run" grep -qE '^after +0/1 .*interrupted: 1 not run' slow.err
expect_ok "runs" "$DUCKFLOW" runs
cp "$out" runs.txt
check "runs: 1 interrupted, 3 not run" grep -qE '^slow .* interrupted .* 0/4 \(3 not run, 1 interrupted\)$' runs.txt
