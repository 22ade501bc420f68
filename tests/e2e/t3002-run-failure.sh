#!/usr/bin/env bash
# t3002: a failing task fails its dependents (upstream_failed) while independent work
# finishes; a failed check is check_failed; neither is retried; exit 1; the summary, the
# task's prefixed output, run.json and `duckflow runs` all say what happened.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..23"
js() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
  const v=eval(process.argv[1]);console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }

cat >p.yaml <<'YAML'
name: run-failure
defaults:
  threads: 1
  memory_limit: 200MB
  retries: 2
steps:
  gen:
    foreach: {range: 3}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i;
    outputs: [t]
  bad:
    foreach: {each: gen}
    inputs: {t: gen.t}
    sql: |
      CREATE TABLE b AS
        SELECT i, CASE WHEN i = 1 THEN error('chunk one is broken') ELSE i END AS v FROM t;
    outputs: [b]
  after_bad:
    foreach: {each: bad}
    inputs: {b: bad.b}
    sql: CREATE TABLE c AS SELECT * FROM b;
    outputs: [c]
  merge:
    inputs: {c: after_bad.c}
    sql: CREATE TABLE m AS SELECT count(*) AS n FROM c;
    outputs: [m]
  checked:
    sql: CREATE TABLE k AS SELECT 42 AS answer;
    outputs: [k]
    checks:
      - name: the answer is 41
        sql: SELECT * FROM k WHERE answer <> 41
  independent:
    foreach: {range: 2}
    sql: CREATE TABLE x AS SELECT getvariable('item') AS i;
    outputs: [x]
  after_independent:
    inputs: {x: independent.x}
    sql: CREATE TABLE y AS SELECT count(*) AS n FROM x;
    outputs: [y]
YAML

expect_code 1 "a failing run exits 1" "$DUCKFLOW" run p.yaml -j 2
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
check "the run id is still printed" grep -qxE '[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}' run.out
check "the task's own error line is not repeated as output" bash -c "! grep -q '^bad\[1\]: ' run.err"
expect_match "a failure line with its class" '^failed +bad\[1\] \(sql_error, attempt 1\): .*chunk one is broken' run.err
expect_match "checks fail as check_failed" '^failed +checked \(check_failed, attempt 1\)' run.err
check "no retry of sql_error or check_failed" bash -c "! grep -q '^retry' run.err"
expect_match "summary: gen ok" '^gen +3/3 .* ok$' run.err
expect_match "summary: bad failed with sql_error" '^bad +2/3 .* sql_error: 1 failed$' run.err
expect_match "summary: only the broken chunk's follower is skipped" '^after_bad +2/3 .* upstream_failed: 1 not run$' run.err
expect_match "summary: the fan-in is skipped" '^merge +0/1 .* upstream_failed: 1 not run$' run.err
expect_match "summary: checked" '^checked +0/1 .* check_failed: 1 failed$' run.err
expect_match "summary: independent work finished" '^independent +2/2 .* ok$' run.err
expect_match "summary: and its fan-in too" '^after_independent +1/1 .* ok$' run.err
expect_match "the run's line says failed" "^run $RUN failed in .*: 10 of 14 tasks done, 2 failed, 2 not run" run.err
check "the last line is the command that resumes it" test "$(tail -n 1 run.err)" = "duckflow run p.yaml --resume $RUN"

expect_ok "runs --format json" "$DUCKFLOW" runs --format json
cp "$out" runs.json
check "run.json: failed, 10 of 14 tasks done" \
    test "$(js 'j[0].status+" "+j[0].tasks_done+"/"+j[0].tasks_total' <runs.json)" = "failed 10/14"
expect_ok "the committed outputs are queryable" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT (SELECT count(*) FROM bad.b), (SELECT n FROM after_independent.y)"
cp "$out" q1.csv
check "two chunks of bad, two of independent" grep -qx '2,2' q1.csv
expect_ok "_run.tasks lists only committed tasks" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT count(*) FROM _run.tasks WHERE step IN ('bad', 'merge', 'checked')"
cp "$out" q2.csv
check "bad[0], bad[2]" grep -qx '2' q2.csv
expect_ok "runs (text)" "$DUCKFLOW" runs
cp "$out" runs.txt
expect_match "runs shows the failure" "^run-failure +$RUN +failed .* 10/14 \(2 failed, 2 not run\)$" runs.txt
