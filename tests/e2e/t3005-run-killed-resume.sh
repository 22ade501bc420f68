#!/usr/bin/env bash
# t3005: a task killed with SIGKILL mid-run (no retries) leaves nothing visible: no
# manifest, nothing for readers; the run fails (exit 1). `--resume RUN` keeps the committed
# tasks, reruns the killed one with a new attempt number, and succeeds; gc keeps what the
# run committed.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..22"

child_of() {
    local i
    for i in $(seq 1 600); do
        pgrep -P "$1" -f -- "$2" | head -n 1 | grep . && return 0
        sleep 0.1
    done
    return 1
}

mkdir -p data
echo 'n' >data/cfg.csv
echo '1000000000' >>data/cfg.csv # counts for far longer than the test: the task gets killed
cat >p.yaml <<'YAML'
name: run-killed
defaults:
  memory_limit: 200MB
  threads: 1
  retries: 0
steps:
  gen:
    foreach: {range: 3}
    sql: CREATE TABLE g AS SELECT getvariable('item') AS i, range AS r FROM range(100);
    outputs: [g]
  count:
    inputs: {cfg: data/cfg.csv, g: gen.g}
    sql: |
      CREATE TABLE c AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < (SELECT n FROM cfg))
        SELECT count(*) AS n, (SELECT count(*) FROM g) AS g FROM x;
    outputs: [c]
  last:
    inputs: {c: count.c}
    sql: CREATE TABLE l AS SELECT n + g AS total FROM c;
    outputs: [l]
YAML

start_run p.yaml -j 2
kid=$(child_of $rp "--step count")
check "the count task starts" test -n "$kid"
sleep 0.5 # let it get well into its query (writing nothing visible yet)
kill -KILL "$kid"
wait $tp
check "the run fails with exit 1" test $? -eq 1
RUN=$(cat run.out)
expect_match "classed killed_for_memory" '^failed +count \(killed_for_memory, attempt 1\): killed by SIGKILL' run.err
expect_match "its dependent did not run" '^last +0/1 .* upstream_failed: 1 not run$' run.err
expect_ok "query the failed run" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT count(*) FILTER (step = 'gen'), count(*) FILTER (step = 'count') FROM _run.tasks"
cp "$out" q.csv
check "gen committed, count did not" test "$(tail -n 1 q.csv)" = "3,0"
if [ -d "$DUCKFLOW_STORE" ]; then
    T="$DUCKFLOW_STORE/run-killed/runs/$RUN/count/00000"
    check "no _manifest.json for the killed task" test ! -e "$T/_manifest.json"
    check "nor a temporary manifest" bash -c "! ls -a '$T' 2>/dev/null | grep -q manifest"
fi

printf 'n\n10\n' >data/cfg.csv
expect_ok "--resume succeeds" "$DUCKFLOW" run p.yaml --resume "$RUN"
cp "$out" resume.out
cp "$errout" resume.err
check "same run id" test "$(cat resume.out)" = "$RUN"
check "committed tasks are not rerun" bash -c "! grep -qE '^ok +gen' resume.err"
expect_match "the killed task reruns" '^ok +count in ' resume.err
expect_match "summary: gen kept" '^gen +3/3 .* ok \(kept\)$' resume.err
expect_match "summary: last ran" '^last +1/1 .* ok$' resume.err
expect_ok "the result" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT (SELECT total FROM last.l), (SELECT attempt FROM _run.tasks WHERE step = 'count')"
cp "$out" r.csv
check "11 + 300 rows; attempt 2 (numbered after the killed one)" test "$(tail -n 1 r.csv)" = "311,2"
expect_ok "runs: succeeded" "$DUCKFLOW" runs
expect_match "5/5" "^run-killed +$RUN +succeeded .* 5/5$" "$out"

expect_ok "gc" "$DUCKFLOW" gc
cp "$out" gc.out
check "gc keeps every winner" bash -c "! grep -q '^removed run-killed/' gc.out"
expect_ok "the result after gc" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT total FROM last.l"
check "311" test "$(tail -n 1 "$out")" = 311
