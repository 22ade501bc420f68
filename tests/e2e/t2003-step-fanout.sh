#!/usr/bin/env bash
# t2003: the task side of fan-out: `files` over an external glob (K per task) and over a
# step's partitioned output (a task per partition, its view over only that partition),
# `rows` (one task per row of a query over the inputs), Hive partition values in the
# manifest, file_size splitting into part-NNNNN files, and a fan-in over an empty table
# that still sees its columns.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..33"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

mkdir -p ext
printf 'region,w\nEU,1\nUS,2\nEU,3\nAPAC,4\n' >ext/regions.csv
cat >pipeline.yaml <<'YAML'
name: fan
defaults:
  memory_limit: 128MB
  threads: 1
steps:
  make:
    sql: |
      CREATE TABLE p AS SELECT range AS i, range % 3 AS k, 'v/' || (range % 2) AS s FROM range(30);
      CREATE TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS h FROM range(300000);
      COPY (SELECT range AS v FROM range(5)) TO 'ext/a.parquet';
      COPY (SELECT range AS v FROM range(7)) TO 'ext/b.parquet';
      COPY (SELECT range AS v FROM range(9)) TO 'ext/c.parquet';
    outputs:
      p: {partition_by: [k, s]}
      big: {file_size: 1MB}
  byfile:
    foreach: {files: ext, per_task: 2}
    inputs:
      ext: ext/*.parquet
    sql: CREATE TABLE c AS SELECT count(*) AS n, len(getvariable('item').files) AS nf FROM ext
    outputs: [c]
  bypart:
    foreach: {files: make.p, per_task: 2}
    inputs:
      p: make.p
    sql: |
      CREATE TABLE c AS
        SELECT count(*) AS n, count(DISTINCT k) AS nk, min(k) AS k,
               getvariable('item').partition.k AS pk FROM p;
    outputs: [c]
  byrow:
    foreach: {rows: "SELECT DISTINCT region FROM r ORDER BY region"}
    inputs:
      r: ext/regions.csv
    sql: |
      CREATE TABLE c AS
        SELECT getvariable('item') AS region, sum(w) AS w FROM r
        WHERE region = getvariable('item');
    outputs: [c]
  empty:
    inputs:
      c: byrow.c
    sql: CREATE TABLE e AS SELECT * FROM c WHERE false
    outputs:
      e: {partition_by: [region]}
  after_empty:
    inputs:
      e: empty.e
    sql: CREATE TABLE z AS SELECT count(*) AS n, max(w) AS w, max(region) AS r FROM e
    outputs: [z]
    checks:
      - name: empty but typed
        sql: SELECT * FROM z WHERE n <> 0 OR typeof(w) NOT LIKE 'DECIMAL(38,0)' AND typeof(w) NOT LIKE 'DOUBLE%' AND typeof(w) NOT LIKE 'BIGINT%'
YAML
run() { "$DUCKFLOW" step pipeline.yaml --run r1 "$@"; }

expect_ok "make commits" run --step make
M="$S/fan/runs/r1/make/00000/_manifest.json"
check "partitioned table: one file per partition" test "$(jget "$M" m.tables.p.files.length)" = 6
check "partition values decoded in the manifest" test "$(jget "$M" 'm.tables.p.files[1].partition')" = '{"k":"0","s":"v/1"}'
check "partition files live in Hive folders" test "$(jget "$M" 'm.tables.p.files[1].path.split("/").slice(1).join("/")')" = "p/k=0/s=v%2F1/part-00000.parquet"
check "partition rows add up" test "$(jget "$M" 'm.tables.p.files.reduce((a, f) => a + f.rows, 0) + ":" + m.tables.p.rows')" = "30:30"
check "file_size splits into numbered parts" test "$(jget "$M" 'm.tables.big.files.map(f => f.path.split("/").pop()).join(",")')" = "part-00000.parquet,part-00001.parquet,part-00002.parquet"
check "split parts add up" test "$(jget "$M" 'm.tables.big.files.reduce((a, f) => a + f.rows, 0)')" = 300000
for f in $(jget "$M" 'm.tables.big.files.map(f => f.path + "=" + f.sha256).join(" ")'); do
    check "sha256 of ${f%%=*}" test "$(sha256sum "$S/fan/runs/r1/make/00000/${f%%=*}" | cut -d' ' -f1)" = "${f#*=}"
done

# files over an external glob: 3 files, 2 per task -> 2 tasks
expect_ok "byfile item 0" run --step byfile --item 0
expect_ok "byfile item 1" run --step byfile --item 1
expect_code 2 "byfile has no item 2" run --step byfile --item 2
check "items list kept in the store" test "$(jget "$S/fan/runs/r1/byfile/_items.json" 'm.map(i => i.files.map(f => f.split("/").pop()).join("+")).join(",")')" = "a.parquet+b.parquet,c.parquet"
check "task 0 read only its two files" test "$(jget "$S/fan/runs/r1/byfile/00000/_manifest.json" 'm.inputs[0].files.length')" = 2
check "task 1 read only its file" test "$(jget "$S/fan/runs/r1/byfile/00001/_manifest.json" 'm.inputs[0].files.length')" = 1

# files over a partitioned step output: 6 files, 2 per task, groups share k
for i in 0 1 2; do
    expect_ok "bypart item $i" run --step bypart --item $i
    BP="$S/fan/runs/r1/bypart/0000$i/_manifest.json"
    check "bypart item $i: partition k=$i in the item" test "$(jget "$BP" 'm.item.partition.k')" = $i
    check "bypart item $i read its 2 files only" test "$(jget "$BP" 'm.inputs[0].files.length')" = 2
done

# rows: one task per distinct region
for i in 0 1 2; do
    expect_ok "byrow item $i" run --step byrow --item $i
done
check "rows items" test "$(jget "$S/fan/runs/r1/byrow/_items.json" 'm.join(",")')" = "APAC,EU,US"
check "byrow item 1 is EU" test "$(jget "$S/fan/runs/r1/byrow/00001/_manifest.json" 'm.item')" = EU

expect_ok "a partitioned table with no rows commits" run --step empty
check "no files, schema kept" test "$(jget "$S/fan/runs/r1/empty/00000/_manifest.json" 'm.tables.e.files.length + ":" + m.tables.e.schema.map(c => c.name).join(",")')" = "0:region,w"
expect_ok "downstream of an empty table runs on a typed empty view" run --step after_empty
