#!/usr/bin/env bash
# t3008: dynamic fan-out in `duckflow run`: a `rows` step is planned once its source has
# committed, an `each` step follows it item by item, and a step with zero items that says
# allow_empty: true counts as done so its dependents still run (t3510 tests the default:
# no_items); run.json records every step.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"

cat >p.yaml <<'YAML'
name: run-dynamic
params:
  n: 0
defaults:
  threads: 1
  memory_limit: 200MB
steps:
  src:
    sql: CREATE TABLE t AS SELECT * FROM (VALUES ('eu', 1), ('us', 2), ('eu', 3), ('ap', 4)) v(region, x);
    outputs: [t]
  per_region:
    foreach: {rows: "SELECT DISTINCT region FROM t ORDER BY region"}
    inputs: {t: src.t}
    sql: |
      CREATE TABLE r AS
        SELECT getvariable('item') AS region, sum(x)::BIGINT AS s FROM t WHERE region = getvariable('item');
    outputs: [r]
  follow:
    foreach: {each: per_region}
    inputs: {r: per_region.r}
    sql: CREATE TABLE f AS SELECT region, s * 10 AS s10 FROM r;
    outputs: [f]
  nothing:
    foreach: {range: n}
    allow_empty: true
    sql: CREATE TABLE z AS SELECT 1 AS one;
    outputs: [z]
  after_nothing:
    inputs: {z: nothing.z, f: follow.f}
    sql: CREATE TABLE a AS SELECT (SELECT count(*) FROM z) AS z, (SELECT sum(s10)::BIGINT FROM f) AS s;
    outputs: [a]
YAML

expect_ok "run" "$DUCKFLOW" run p.yaml -j 2
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
expect_match "three regions, planned after src" '^per_region +3/3 .* ok$' run.err
expect_match "followed item by item" '^follow +3/3 .* ok$' run.err
expect_match "zero items is done" '^nothing +0/0 .* ok$' run.err
expect_match "and its dependent ran" '^after_nothing +1/1 .* ok$' run.err
expect_ok "follow" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM follow.f ORDER BY region"
cp "$out" f.csv
check "each region once, from its own chunk" test "$(tail -n +2 f.csv | tr '\n' ' ')" = "ap,40 eu,40 us,20 "
expect_ok "fan-in" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM after_nothing.a"
check "no rows from the empty step, 100 in all" test "$(tail -n 1 "$out")" = "0,100"
expect_ok "run.json steps" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT s->>'name', s->>'status', s->'tasks'->>'total' FROM
       (SELECT unnest(from_json(record->'steps', '[\"JSON\"]')) AS s FROM _run.run)"
cp "$out" steps.csv
check "every step succeeded" test "$(tail -n +2 steps.csv | tr '\n' ' ')" = \
    "src,succeeded,1 per_region,succeeded,3 follow,succeeded,3 nothing,succeeded,0 after_nothing,succeeded,1 "

# A run with a step that cannot be planned: its rows query fails.
sed 's/SELECT DISTINCT region FROM t ORDER BY region/SELECT DISTINCT nope FROM t/' p.yaml >bad.yaml
expect_code 1 "a rows query that fails fails the run" "$DUCKFLOW" run bad.yaml
cp "$errout" bad.err
expect_match "the planning error is reported" "step 'per_region': cannot plan its items" bad.err
expect_match "the step fails" '^per_region +- .* sql_error$' bad.err
expect_match "its followers do not run" '^follow +- .* upstream_failed: not run$' bad.err
expect_match "independent steps run" '^nothing +0/0 .* ok$' bad.err
