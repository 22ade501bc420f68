#!/usr/bin/env bash
# t3100: 1 -> 200 -> 1. One task writes 20,000 rows Hive-partitioned into 200 shards; a
# `files` fan-out runs one task per shard file, each seeing only its own file; one task
# fans back in. Rows are conserved at every stage, each middle task saw exactly one
# shard, and the query view over the middle step covers all 200 tasks.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"

cat >p.yaml <<'YAML'
name: fan-200
defaults:
  threads: 1
  memory_limit: 128MB
  retries: 0
steps:
  source:
    sql: |
      CREATE TABLE t AS
        SELECT range AS id, range % 200 AS shard, hash(range) % 1000 AS v FROM range(20000);
    outputs:
      t: {partition_by: [shard]}
  shard:
    foreach: {files: source.t, per_task: 1}
    inputs: {t: source.t}
    sql: |
      CREATE TABLE s AS
        SELECT count(*) AS n, count(DISTINCT shard) AS shards, min(shard) AS shard,
               sum(v) AS total, getvariable('item_index') AS task
        FROM t;
    outputs: [s]
  merge:
    inputs: {s: shard.s, t: source.t}
    sql: |
      CREATE TABLE m AS
        SELECT count(*) AS tasks, sum(n)::BIGINT AS n, sum(total)::BIGINT AS total,
               count(DISTINCT shard) AS shards,
               (SELECT sum(v)::BIGINT FROM t) AS source_total
        FROM s;
    outputs: [m]
    checks:
      - name: every middle task saw exactly one shard
        sql: SELECT * FROM s WHERE shards <> 1 OR n <> 100
      - name: rows and sums are conserved
        sql: SELECT * FROM m WHERE n <> 20000 OR total <> source_total OR tasks <> 200
YAML

expect_ok "the 1 -> 200 -> 1 run succeeds" "$DUCKFLOW" run p.yaml -j 2 --quiet
run=$(cat "$out")
expect_ok "plan of the middle step is known after the run" \
    "$DUCKFLOW" items p.yaml --run "$run" --step shard
check "200 items" test "$(jget "$out" m.length)" = 200

expect_ok "query the merge" "$DUCKFLOW" query --format csv \
    "SELECT tasks, n, total = source_total AS same, shards FROM merge.m"
expect_match "200 tasks, 20000 rows, sums equal, 200 shards" '^200,20000,true,200$' "$out"

expect_ok "query across the middle step" "$DUCKFLOW" query --format csv \
    "SELECT count(*), count(DISTINCT task), sum(n) FROM shard.s"
expect_match "the view covers all 200 tasks" '^200,200,20000$' "$out"

expect_ok "run records" "$DUCKFLOW" query --format csv \
    "SELECT step, count(*) FROM _run.tasks GROUP BY step ORDER BY step"
expect_match "200 committed middle tasks" '^shard,200$' "$out"
expect_match "one source task" '^source,1$' "$out"
