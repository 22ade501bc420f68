#!/usr/bin/env bash
# t3006: SIGINT to `duckflow run` stops it: the signal reaches every running task, all of
# them are reaped (no process of the run is left), run.json says interrupted, the exit
# code is 130, and nothing half-written is visible; --resume then finishes the run. The
# same with SIGTERM gives 143.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..28"

mkdir -p data
printf 'n\n1000000000\n' >data/cfg.csv
cat >p.yaml <<'YAML'
name: run-int
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  slow:
    foreach: {range: 2}
    inputs: {cfg: data/cfg.csv}
    sql: |
      CREATE TABLE s AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < (SELECT n FROM cfg))
        SELECT count(*) AS n FROM x;
    outputs: [s]
  merge:
    inputs: {s: slow.s}
    sql: CREATE TABLE m AS SELECT sum(n)::BIGINT AS n FROM s;
    outputs: [m]
YAML

for sig in INT TERM; do
    start_run p.yaml -j 2
    kids=$(children_of $rp 2)
    check "SIG$sig: two tasks running" test "$(echo $kids | wc -w)" -eq 2
    kill -$sig $rp
    wait $tp
    rc=$?
    want=$([ $sig = INT ] && echo 130 || echo 143)
    check "SIG$sig: exit $want" test $rc -eq $want
    for k in $kids; do
        check "SIG$sig: task $k is gone (and reaped)" bash -c "! kill -0 $k 2>/dev/null"
    done
    RUN=$(cat run.out)
    check "SIG$sig: no process of the run is left" bash -c "! pgrep -f -- '[s]tep .*--run $RUN'"
    expect_match "SIG$sig: says it stopped the tasks" "^duckflow: SIG$sig: stopping 2 running tasks" run.err
    expect_match "SIG$sig: summary: interrupted" '^slow +0/2 .* interrupted$' run.err
    expect_match "SIG$sig: last line" "^run $RUN interrupted in " run.err
    expect_ok "SIG$sig: run.json" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT status FROM _run.run"
    cp "$out" st.csv
    check "SIG$sig: run.json says interrupted" test "$(tail -n 1 st.csv)" = interrupted
    expect_ok "SIG$sig: query" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT count(*) FROM _run.tasks"
    cp "$out" q.csv
    check "SIG$sig: nothing committed" test "$(tail -n 1 q.csv)" = 0
done

printf 'n\n5\n' >data/cfg.csv
expect_ok "--resume latest finishes the interrupted run" "$DUCKFLOW" run p.yaml --resume latest
check "the latest run is the one resumed" test "$(cat "$out")" = "$RUN"
expect_ok "result" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT n FROM merge.m"
check "2 x 6" test "$(tail -n 1 "$out")" = 12
