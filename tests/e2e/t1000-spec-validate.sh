#!/usr/bin/env bash
# t1000: `duckflow validate` on a good pipeline (inline and file SQL, every foreach kind,
# params, defaults): "ok" on stdout, exit 0, --param overrides, --help, bad usage, and no
# store folder created.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..17"

mkdir -p sql data
echo "SELECT range AS o FROM range(10);" >sql/generate.sql
cat >pipeline.yaml <<'YAML'
name: demo-1
description: a bit of everything
params:
  chunks: 4
  regions: [eu, us]
  ratio: 0.5
  strict: true
defaults:
  memory_limit: 256MB
  threads: 1
  retries: 1
  timeout: 5m
steps:
  generate:
    foreach: {range: chunks}
    sql: sql/generate.sql
    outputs: [orders]
  summary:
    foreach: {each: generate}
    inputs: {orders: generate.orders}
    sql: |
      CREATE TABLE s AS SELECT count(*) AS n FROM orders;
    outputs: [s]
  by_region:
    foreach: {values: regions}
    sql: CREATE TABLE r AS SELECT getvariable('item') AS region
    outputs:
      r: {partition_by: [region], order_by: [region], file_size: 64MB, compression: snappy}
  per_file:
    foreach: {files: generate.orders, per_task: 2}
    sql: CREATE TABLE c AS SELECT 1 AS x
    outputs: [c]
  per_row:
    inputs: {s: summary.s, regions: data/regions.csv}
    foreach: {rows: SELECT DISTINCT n FROM s}
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
  merge:
    after: [by_region, per_file]
    inputs: {t: per_row.t}
    sql: CREATE TABLE m AS SELECT * FROM t
    outputs: [m]
    checks:
      - name: m has rows
        sql: SELECT 1 WHERE (SELECT count(*) FROM m) = 0
    memory_limit: 1GiB
    threads: 2
YAML

expect_ok "a good pipeline validates" "$DUCKFLOW" validate pipeline.yaml
expect_match "ok line on stdout" "^ok: pipeline 'demo-1': 6 steps$" "$out"
check "nothing on stderr" test ! -s "$errout"
expect_ok "overrides of each type" "$DUCKFLOW" validate pipeline.yaml --param chunks=9 \
    --param 'regions=["a","b","c"]' --param ratio=2.5 --param strict=false
expect_ok "the pipeline may come after the options" "$DUCKFLOW" validate -p chunks=2 pipeline.yaml
expect_ok "validate from another folder" bash -c "cd / && '$DUCKFLOW' validate '$SCRATCH/pipeline.yaml'"
check "no store folder was created" test ! -e "$SCRATCH/.duckflow"

expect_ok "--help" "$DUCKFLOW" validate --help
expect_match "usage on stdout" '^usage: duckflow validate' "$out"
expect_code 2 "no pipeline" "$DUCKFLOW" validate
expect_code 2 "two pipelines" "$DUCKFLOW" validate pipeline.yaml pipeline.yaml
expect_code 2 "an unknown option" "$DUCKFLOW" validate --frobnicate pipeline.yaml
expect_code 2 "--param without =" "$DUCKFLOW" validate pipeline.yaml --param chunks
expect_match "says key=value" 'key=value' "$errout"
expect_code 2 "a missing pipeline file" "$DUCKFLOW" validate nope.yaml
expect_match "names the file" "'nope.yaml': no such pipeline file" "$errout"
check "one line" test "$(wc -l <"$errout")" -eq 1
