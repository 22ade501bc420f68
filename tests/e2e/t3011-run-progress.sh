#!/usr/bin/env bash
# t3011: progress. On a terminal (script(1) gives the run one) stderr carries one line
# rewritten in place (tasks done/total, elapsed, running tasks) and no per-task lines;
# elsewhere a plain line per finished task; --quiet leaves only the final line.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"

cat >p.yaml <<'YAML'
name: run-progress
defaults:
  threads: 1
  memory_limit: 200MB
steps:
  a:
    foreach: {range: 3}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT count(*) AS n FROM t;
    outputs: [u]
YAML

check "on a terminal" script -qec "'$DUCKFLOW' run p.yaml -j 1" /dev/null
cp "$out" tty.out
check "the progress line is rewritten in place" grep -q $'\r\033\\[K\\[[0-9]/4\\] ' tty.out
check "it names a running task" grep -qE $'\\[[0-3]/4\\] [0-9.]+s running: a\\[[0-2]\\]' tty.out
check "no per-task lines" bash -c "! grep -qE '^ok +a\\[' tty.out"
check "the summary follows" grep -qE '^b +1/1 ' tty.out

expect_ok "not on a terminal" "$DUCKFLOW" run p.yaml -j 1
cp "$errout" plain.err
check "no escape sequences" bash -c "! grep -q $'\\033' plain.err"
check "a line per task" test "$(grep -cE '^ok +(a\[[0-2]\]|b) in ' plain.err)" -eq 4

expect_ok "--quiet" "$DUCKFLOW" run p.yaml --quiet
check "one line" test "$(wc -l <"$errout")" -eq 1
