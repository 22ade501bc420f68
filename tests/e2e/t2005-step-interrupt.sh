#!/usr/bin/env bash
# t2005: SIGTERM (or SIGINT) stops a running task cleanly: DuckDB's query is interrupted,
# the task exits 19 (interrupted) with one line on stderr, leaves _error.json and no
# manifest, and removes its scratch folder.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

cat >pipeline.yaml <<'YAML'
name: intr
defaults:
  memory_limit: 128MB
  threads: 1
steps:
  forever:
    sql: |
      CREATE TABLE c AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 1000000000)
        SELECT count(*) AS n FROM x;
    outputs: [c]
  quick:
    sql: CREATE TABLE q AS SELECT 1 AS x
    outputs: [q]
YAML

for sig in TERM INT; do
    mkdir -p "scratch-$sig"
    timeout -s KILL 120 "$DUCKFLOW" step pipeline.yaml --run "r-$sig" --step forever \
        --scratch "$SCRATCH/scratch-$sig" >"$sig.out" 2>"$sig.err" &
    tp=$!
    # The task's own scratch folder appears once it is set up (signals handled by then).
    for _ in $(seq 1 600); do
        [ -n "$(ls -A "scratch-$sig")" ] && break
        sleep 0.05
    done
    sleep 0.3
    pkill -"$sig" -P $tp -f -- "--run r-$sig" || kill -"$sig" $tp
    wait $tp
    rc=$?
    check "SIG$sig: exit status 19 (interrupted)" test $rc -eq 19
    expect_match "SIG$sig: one line naming the step" "^duckflow: step 'forever' item 0: .*[Ii]nterrupt" "$sig.err"
    check "SIG$sig: nothing on stdout" test ! -s "$sig.out"
    check "SIG$sig: no manifest" test ! -e "$S/intr/runs/r-$sig/forever/00000/_manifest.json"
    check "SIG$sig: _error.json says interrupted" \
        grep -q '"class":"interrupted"' "$S"/intr/runs/r-$sig/forever/00000/*/_error.json
    check "SIG$sig: scratch folder removed" test -z "$(ls -A "scratch-$sig")"
done


# SIGKILL leaves the scratch folder behind; the next task on this machine removes it, but
# never the folder of a task that still runs.
owner_of() { # PID -> the scratch folder whose .owner names it
    grep -l " $1 " scratch-K/*/.owner 2>/dev/null | xargs -r -n 1 dirname
}
start_forever() { # RUN -> tp, kid, dir
    timeout -s KILL 120 "$DUCKFLOW" step pipeline.yaml --run "$1" --step forever \
        --scratch "$SCRATCH/scratch-K" >/dev/null 2>&1 &
    tp=$!
    kid= dir=
    for _ in $(seq 1 600); do
        kid=$(pgrep -P $tp)
        [ -n "$kid" ] && dir=$(owner_of "$kid") && [ -n "$dir" ] && break
        sleep 0.05
    done
}
mkdir -p scratch-K
start_forever r-kill
dead=$dir
kill -KILL "$kid"
wait $tp
check "a killed task leaves its scratch folder, with its owner" test -f "$dead/.owner"
start_forever r-live
live=$dir
check "the next task removed the dead task's folder" test ! -e "$dead"
check "and has its own" test -d "$live"
expect_ok "a quick task beside the running one" \
    "$DUCKFLOW" step pipeline.yaml --run r-quick --step quick --scratch "$SCRATCH/scratch-K"
check "the running task's folder is kept" test -f "$live/.owner"
kill -TERM "$kid"
wait $tp
check "which removes it itself when stopped" test -z "$(ls -A scratch-K)"
