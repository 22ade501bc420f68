#!/usr/bin/env bash
# t3010: the memory budget: tasks start only while the running tasks' memory limits fit
# `--memory`, so 300 MB tasks under a 500 MB budget never overlap even with -j 3; a task
# whose own limit exceeds the budget still runs (alone).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..6"

cat >p.yaml <<'YAML'
name: run-memory
defaults:
  threads: 1
steps:
  part:
    foreach: {range: 3}
    memory_limit: 300MB
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i, count(*) AS n FROM range(200000);
    outputs: [t]
  big:
    memory_limit: 1GB
    sql: CREATE TABLE b AS SELECT 1 AS one;
    outputs: [b]
YAML

overlaps="SELECT count(*) FROM _run.tasks a, _run.tasks b
          WHERE a.step = 'part' AND b.step = 'part' AND a.item_index < b.item_index
            AND a.started_at < b.finished_at AND b.started_at < a.finished_at"
expect_ok "run under a 500 MB budget" "$DUCKFLOW" run p.yaml -j 3 --memory 500MB
RUN=$(cat "$out")
expect_ok "task times" "$DUCKFLOW" query --run "$RUN" --format csv "$overlaps"
check "no two 300 MB tasks ran at once" test "$(tail -n 1 "$out")" = 0
expect_ok "the 1 GB task ran" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM big.b"
check "one row" test "$(tail -n 1 "$out")" = 1
expect_code 2 "--memory 0 is refused" "$DUCKFLOW" run p.yaml --memory 0
