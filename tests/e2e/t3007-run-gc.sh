#!/usr/bin/env bash
# t3007: gc removes attempt folders no manifest names (a failed task's attempts, a stopped
# run's), keeps the winners, leaves a run that is still running alone, and reports what it
# removed; --dry-run removes nothing.
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
printf 'n\n1000000000\n' >data/cfg.csv
cat >p.yaml <<'YAML'
name: run-gc
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  good:
    foreach: {range: 2}
    sql: CREATE TABLE g AS SELECT getvariable('item') AS i;
    outputs: [g]
  broken:
    retries: 0
    sql: CREATE TABLE b AS SELECT * FROM no_such_table;
    outputs: [b]
YAML
cat >slow.yaml <<'YAML'
name: run-gc-slow
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  oops:
    retries: 0
    sql: CREATE TABLE o AS SELECT * FROM still_no_such_table;
    outputs: [o]
  slow:
    inputs: {cfg: data/cfg.csv}
    sql: |
      CREATE TABLE s AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < (SELECT n FROM cfg))
        SELECT count(*) AS n FROM x;
    outputs: [s]
YAML

expect_code 1 "a run with a broken step" "$DUCKFLOW" run p.yaml
R1=$(cat "$out")

# A run in progress: its failed task's attempt folder has no manifest, but the run may
# still --resume or report it: gc must leave the whole run alone while it runs.
start_run slow.yaml -j 2
child_of $rp "--step slow" >/dev/null
for _ in $(seq 1 600); do
    grep -qE '^failed +oops' run.err && break
    sleep 0.1
done
check "the slow run has a failed task and a running one" bash -c "grep -qE '^failed +oops' run.err && kill -0 $rp"
expect_ok "gc --dry-run" "$DUCKFLOW" gc --dry-run
cp "$out" dry.out
cp "$errout" dry.err
expect_match "would remove the broken attempt" "^would remove run-gc/runs/$R1/broken/00000/1-[0-9a-f]+ \(2 files," dry.out
expect_match "total (_error.json and _log.txt)" '^would remove 1 attempt folder, 2 files' dry.out
expect_match "the running run is skipped" "^duckflow gc: skipping run 'run-gc-slow/runs/[^']+': still running" dry.err
expect_ok "dry run removed nothing" "$DUCKFLOW" gc --dry-run --pipeline run-gc
expect_match "still 1" '^would remove 1 attempt folder' "$out"

expect_ok "gc" "$DUCKFLOW" gc
cp "$out" gc.out
expect_match "removes the broken attempt" "^removed run-gc/runs/$R1/broken/00000/1-[0-9a-f]+ \(2 files," gc.out
expect_match "total 1" '^removed 1 attempt folder, 2 files' gc.out
check "the running task is untouched" kill -0 $rp

kill -TERM $rp
wait $tp
check "the slow run was stopped" test $? -eq 143
expect_ok "gc after the slow run stopped" "$DUCKFLOW" gc --pipeline run-gc-slow
cp "$out" gc2.out
expect_match "the failed attempt is garbage now" '^removed run-gc-slow/runs/[^/]+/oops/00000/1-[0-9a-f]+ \(2 files' gc2.out
expect_ok "gc again" "$DUCKFLOW" gc
expect_match "nothing left" '^removed 0 attempt folders, 0 files' "$out"
expect_ok "the committed outputs survive" "$DUCKFLOW" query --run "$R1" --format csv "SELECT count(*) FROM good.g"
check "2 rows" test "$(tail -n 1 "$out")" = 2
if [ -d "$DUCKFLOW_STORE" ]; then
    check "winners stay on disk" test "$(ls -d "$DUCKFLOW_STORE"/run-gc/runs/$R1/good/*/1-* | wc -l)" -eq 2
    check "run.json stays" test -f "$DUCKFLOW_STORE/run-gc/runs/$R1/run.json"
fi
expect_code 2 "gc: bad option" "$DUCKFLOW" gc --frobnicate
