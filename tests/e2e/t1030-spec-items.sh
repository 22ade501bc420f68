#!/usr/bin/env bash
# t1030: `duckflow items` prints a step's items as one JSON list: static kinds without
# touching the store, dynamic kinds from <run>/<step>/_items.json in the store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..29"

cat >pipeline.yaml <<'YAML'
name: itemized
params:
  n: 3
  regions: [eu, "us west"]
steps:
  one:
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
  ranged:
    foreach: {range: n}
    sql: SELECT 1
  valued:
    foreach: {values: regions}
    sql: SELECT 1
  literal:
    foreach: {values: [1, 2.5, true, {k: v}]}
    sql: SELECT 1
  mapped:
    foreach: {each: ranged}
    sql: SELECT 1
  files:
    foreach: {files: one.t}
    sql: SELECT 1
  mapped_files:
    foreach: {each: files}
    sql: SELECT 1
YAML

expect_ok "no foreach" "$DUCKFLOW" items pipeline.yaml --run r1 --step one
check "is [null]" test "$(cat "$out")" = '[null]'
expect_ok "range" "$DUCKFLOW" items pipeline.yaml --run r1 --step ranged
check "is 0..n-1" test "$(cat "$out")" = '[0,1,2]'
expect_ok "range with an override" "$DUCKFLOW" items pipeline.yaml --run r1 --step ranged --param n=5
check "follows the override" test "$(cat "$out")" = '[0,1,2,3,4]'
expect_ok "values from a param" "$DUCKFLOW" items pipeline.yaml --run r1 --step valued
check "are the list" test "$(cat "$out")" = '["eu","us west"]'
expect_ok "literal values" "$DUCKFLOW" items pipeline.yaml --run r1 --step literal
check "keep their types" test "$(cat "$out")" = '[1,2.5,true,{"k":"v"}]'
expect_ok "each" "$DUCKFLOW" items pipeline.yaml --run r1 --step mapped
check "has the mapped step's items" test "$(cat "$out")" = '[0,1,2]'
check "static items touch no store" test ! -e "$SCRATCH/.duckflow"

# A dynamic step's list, once stored for the run, is what everyone gets.
mkdir -p "$SCRATCH/st/itemized/runs/r1/files"
echo '[{"files":["a.parquet","b.parquet"]},{"files":["c.parquet"]}]' \
    >"$SCRATCH/st/itemized/runs/r1/files/_items.json"
expect_ok "files from the stored list" "$DUCKFLOW" items pipeline.yaml --run r1 --step files --store "$SCRATCH/st"
check "is the stored list" test "$(cat "$out")" = '[{"files":["a.parquet","b.parquet"]},{"files":["c.parquet"]}]'
expect_ok "each over a dynamic step" "$DUCKFLOW" items pipeline.yaml --run r1 --step mapped_files --store "$SCRATCH/st"
check "has the same list" test "$(cat "$out")" = '[{"files":["a.parquet","b.parquet"]},{"files":["c.parquet"]}]'
expect_ok "DUCKFLOW_STORE is the default store" env DUCKFLOW_STORE="$SCRATCH/st" "$DUCKFLOW" items pipeline.yaml --run r1 --step files
echo '{"not": "a list"}' >"$SCRATCH/st/itemized/runs/r1/files/_items.json"
expect_code 3 "a stored file that is not a list" "$DUCKFLOW" items pipeline.yaml --run r1 --step files --store "$SCRATCH/st"
expect_match "says so" 'not a json list' "$errout"

expect_ok "--help" "$DUCKFLOW" items --help
expect_match "usage on stdout" '^usage: duckflow items' "$out"
expect_code 2 "no --run" "$DUCKFLOW" items pipeline.yaml --step one
expect_code 2 "no --step" "$DUCKFLOW" items pipeline.yaml --run r1
expect_code 2 "an unknown step" "$DUCKFLOW" items pipeline.yaml --run r1 --step nope
expect_match "names it" "no step 'nope'" "$errout"
expect_code 2 "a bad run id" "$DUCKFLOW" items pipeline.yaml --run ../x --step one
expect_code 2 "an invalid pipeline" "$DUCKFLOW" items /dev/null --run r1 --step one
check "still no default store folder" test ! -e "$SCRATCH/.duckflow"
