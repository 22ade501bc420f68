#!/usr/bin/env bash
# t3510: a fan-out that finds no items fails its step with class no_items, naming the glob
# or query, unless the step says allow_empty: true; then it succeeds with no tasks and its
# dependents run.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..13"
mkdir -p data

cat >p.yaml <<'YAML'
name: empty-fanout
defaults: {threads: 1, memory_limit: 100MB}
steps:
  c:
    foreach: {files: raw}
    inputs: {raw: data/*.csv}
    sql: CREATE TABLE t AS SELECT count(*) AS n FROM raw;
    outputs: [t]
  after_c:
    inputs: {t: c.t}
    sql: CREATE TABLE u AS SELECT count(*) AS n FROM t;
    outputs: [u]
  src:
    sql: CREATE TABLE s AS SELECT 1 AS k WHERE false;
    outputs: [s]
  per_row:
    foreach: {rows: "SELECT DISTINCT k FROM s"}
    inputs: {s: src.s}
    sql: CREATE TABLE r AS SELECT getvariable('item') AS k;
    outputs: [r]
YAML

expect_code 1 "an empty files fan-out fails the run" "$DUCKFLOW" run p.yaml
cp "$errout" run.err
check "one line while running, naming the glob" \
    grep -qE "^failed +c \(no_items\): foreach files 'raw' found no items" run.err
check "the rows query is named" grep -qE "^failed +per_row \(no_items\): foreach rows 'SELECT DISTINCT k FROM s' found no items" run.err
check "the summary says no_items" grep -qE '^c +- .* no_items$' run.err
check "its dependent is not run" grep -qE '^after_c +- .*upstream_failed' run.err
check "the summary explains" grep -qE "^  c \(no_items\): .*allow_empty: true" run.err
expect_ok "runs --format json" "$DUCKFLOW" runs --format json
check "run.json: failed" test "$(jget "$out" 'm[0].status')" = failed
RUN=$(ls "$DUCKFLOW_STORE/empty-fanout/runs")
check "run.json records the class" \
    test "$(jget "$DUCKFLOW_STORE/empty-fanout/runs/$RUN/run.json" 'm.steps.find(s => s.name == "c").exit_class')" = no_items

sed 's/^    foreach: {files: raw}$/    foreach: {files: raw}\n    allow_empty: true/; s/^    foreach: {rows: \(.*\)}$/    foreach: {rows: \1}\n    allow_empty: true/' p.yaml >ok.yaml
expect_ok "allow_empty: true" "$DUCKFLOW" run ok.yaml
cp "$errout" ok.err
check "the step succeeds with no tasks" grep -qE '^c +0/0 .* ok$' ok.err
check "its dependent runs" grep -qE '^after_c +1/1 .* ok$' ok.err
sed 's/allow_empty: true/allow_empty: maybe/' ok.yaml >bad.yaml
expect_code 2 "allow_empty must be a boolean" "$DUCKFLOW" validate bad.yaml
