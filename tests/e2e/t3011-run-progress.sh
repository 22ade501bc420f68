#!/usr/bin/env bash
# t3011: progress. On a terminal (script(1) gives the run a pseudo-terminal) stderr
# carries a view redrawn in place: a headline (tasks done/total, elapsed, ETA once a task
# finished) and one line per step (done/total, state, running tasks by label), coloured
# unless NO_COLOR is set or --color never; no per-task lines. Elsewhere a plain line per
# finished task and no escape sequences; --quiet leaves only the final line.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..19"

cat >p.yaml <<'YAML'
name: run-progress
params:
  regions: [eu, us, apac, latam, africa, antarctica]
defaults:
  threads: 1
  memory_limit: 200MB
steps:
  a:
    foreach: {values: regions}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS r, (SELECT count(*) FROM range(20000000)) AS n;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT count(*) AS n FROM t;
    outputs: [u]
YAML

check "on a terminal" script -qec "'$DUCKFLOW' run p.yaml -j 1" /dev/null
cp "$out" tty.out
check "the view is redrawn in place" grep -q $'\r\033\\[J' tty.out
check "a headline with done/total" grep -qE '\[[0-7]/7\]' tty.out
check "one line per step: a" grep -qE '^  a +[0-6]/6 ' tty.out
check "one line per step: b" grep -qE '^  b +[0-1]/1 ' tty.out
check "a running task is named by its label" grep -qE 'running.*: a\[(eu|us|apac|latam|africa|antarctica)\]' tty.out
check "an ETA once tasks finished" grep -qE 'ETA [0-9.]+(ms|s)' tty.out
check "colours on a terminal" grep -q $'\033\\[3[1-6]m' tty.out
check "no per-task lines" bash -c "! grep -qE '^ok +a\\[' tty.out"
check "the summary follows" grep -qE '^b +1/1 ' tty.out

check "NO_COLOR" script -qec "NO_COLOR=1 '$DUCKFLOW' run p.yaml -j 2 --no-cache" /dev/null
cp "$out" nocolor.out
check "NO_COLOR: still redrawn, but no colours" \
    bash -c "grep -q $'\\r\\033\\\\[J' nocolor.out && ! grep -q $'\\033\\\\[3[1-6]m' nocolor.out"
check "--color never" script -qec "'$DUCKFLOW' run p.yaml -j 2 --no-cache --color never" /dev/null
check "--color never: no colours" bash -c "! grep -q $'\\033\\\\[3[1-6]m' '$out'"

expect_ok "not on a terminal" "$DUCKFLOW" run p.yaml -j 2 --no-cache
cp "$errout" plain.err
check "no escape sequences" bash -c "! grep -q $'\\033' plain.err"
check "a line per task, by label" test "$(grep -cE '^ok +(a\[[a-z]+\]|b) in ' plain.err)" -eq 7

expect_ok "--quiet" "$DUCKFLOW" run p.yaml --quiet
check "--quiet: one line" test "$(wc -l <"$errout")" -eq 1
