#!/usr/bin/env bash
# t2007: `foreach: {rows: ...}` over the values of a Hive-partitioned table. When the item
# is a struct (a query with several columns, or one struct column), an input partitioned on
# the item's fields reads only the item's partition: its view, and the files the manifest
# records, are that partition's files from every upstream task. A scalar item narrows
# nothing (the input sees every file), and files without that partition column stay.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

cat >pipeline.yaml <<'YAML'
name: parts
defaults:
  memory_limit: 128MB
  threads: 1
steps:
  make:
    foreach: {range: 3}
    sql: |
      CREATE TABLE p AS
        SELECT range AS i, range % 4 AS k, 'r/' || (range // 4 % 2) AS region
        FROM range(getvariable('item') * 100, getvariable('item') * 100 + 100);
    outputs:
      p: {partition_by: [k, region]}
  two:
    foreach: {rows: "SELECT DISTINCT k, region FROM p ORDER BY k, region"}
    inputs:
      p: make.p
    sql: |
      CREATE TABLE c AS
        SELECT count(*) AS n, count(DISTINCT k) AS nk, count(DISTINCT region) AS nr,
               min(k) = getvariable('item').k AS same_k FROM p;
    outputs: [c]
  one:
    foreach: {rows: "SELECT DISTINCT {k: k} AS part FROM p ORDER BY part"}
    inputs:
      p: make.p
    sql: CREATE TABLE c AS SELECT count(*) AS n, count(DISTINCT k) AS nk FROM p;
    outputs: [c]
  scalar:
    foreach: {rows: "SELECT DISTINCT k FROM p ORDER BY k"}
    inputs:
      p: make.p
    sql: |
      CREATE TABLE c AS
        SELECT count(*) AS n, count(*) FILTER (WHERE k = getvariable('item')) AS mine FROM p;
    outputs: [c]
YAML

expect_ok "run" "$DUCKFLOW" run pipeline.yaml -j 2 --quiet
run=$(tail -n 1 "$out")
R="$S/parts/runs/$run"
M="$R/make/00000/_manifest.json"
check "each make task wrote 8 partitions" test "$(jget "$M" m.tables.p.files.length)" = 8

expect_ok "items of two" "$DUCKFLOW" items pipeline.yaml --run "$run" --step two
check "8 struct items" test "$(jget "$out" m.length)" = 8

# items in order: (0, r/0), (0, r/1), (1, r/0), (1, r/1), ...
T2="$R/two/00003/_manifest.json"
check "item 3 is k=1, region r/1" test "$(jget "$T2" 'JSON.stringify(m.item)')" = '{"k":1,"region":"r/1"}'
check "its input lists 3 files, one per make task" test "$(jget "$T2" 'm.inputs[0].files.length')" = 3
check "every listed file is in k=1/region=r%2F1" test "$(jget "$T2" 'm.inputs[0].files.every(f => f.key.includes("/k=1/region=r%2F1/"))')" = true
expect_ok "what two's tasks saw" "$DUCKFLOW" query --run "$run" --format csv \
    "SELECT sum(n), bool_and(nk = 1 AND nr = 1 AND same_k), count(*) FROM two.c"
expect_match "each task saw only its partition, all rows once" '^300,true,8$' "$out"

T1="$R/one/00003/_manifest.json"
check "struct of one field narrows on that field" test "$(jget "$T1" 'm.inputs[0].files.every(f => f.key.includes("/k=3/"))')" = true
check "both regions of k=3 from three tasks: 6 files" test "$(jget "$T1" 'm.inputs[0].files.length')" = 6
expect_ok "what one's tasks saw" "$DUCKFLOW" query --run "$run" --format csv \
    "SELECT sum(n), bool_and(nk = 1), count(*) FROM one.c"
expect_match "four tasks, 75 rows each" '^300,true,4$' "$out"

TS="$R/scalar/00000/_manifest.json"
check "a scalar item narrows nothing: 24 files" test "$(jget "$TS" 'm.inputs[0].files.length')" = 24
expect_ok "what scalar's tasks saw" "$DUCKFLOW" query --run "$run" --format csv \
    "SELECT min(n), max(n), sum(mine) FROM scalar.c"
expect_match "every task saw all 300 rows" '^300,300,300$' "$out"
