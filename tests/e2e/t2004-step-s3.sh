#!/usr/bin/env bash
# t2004: `duckflow step` against an S3 store (the loopback test server): outputs are
# written in scratch and uploaded under the attempt folder, inputs are downloaded from the
# upstream manifests (with Hive partition folders kept), an s3:// external input (a glob)
# is staged, and every manifest's files exist with the listed size and sha256.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"
s3_setup store

printf 'region,w\nEU,1\nUS,2\n' >r1.csv
printf 'region,w\nEU,3\nAPAC,4\n' >r2.csv
check "upload external input 1" sdk put ext/regions-1.csv r1.csv
check "upload external input 2" sdk put ext/regions-2.csv r2.csv
check "upload a file the glob must skip" sdk put ext/other.txt r2.csv

cat >pipeline.yaml <<YAML
name: s3step
defaults:
  memory_limit: 128MB
  threads: 1
steps:
  gen:
    foreach: {range: 2}
    sql: |
      CREATE TABLE nums AS
        SELECT range AS x, range % 2 AS k FROM range(getvariable('item') * 10, getvariable('item') * 10 + 10);
    outputs:
      nums: {partition_by: [k]}
  sum:
    foreach: {each: gen}
    inputs: {n: gen.nums}
    sql: CREATE TABLE s AS SELECT count(*) AS c, sum(x) AS total, count(DISTINCT k) AS nk FROM n
    outputs: [s]
  merge:
    inputs:
      s: sum.s
      r: {uri: "s3://$S3_TEST_BUCKET/ext/regions-*.csv", format: csv, options: {header: true}}
    sql: |
      CREATE TABLE m AS
        SELECT sum(c) AS c, sum(total) AS total, (SELECT sum(w) FROM r) AS w FROM s;
    outputs: [m]
    checks:
      - name: each sum saw its chunk with both partitions
        sql: SELECT * FROM s WHERE c <> 10 OR nk <> 2
      - name: totals
        sql: SELECT * FROM m WHERE c <> 20 OR total <> 190 OR w <> 10
  bad:
    sql: CREATE TABLE x AS SELECT * FROM nowhere
    outputs: [x]
YAML

for i in 0 1; do
    expect_ok "gen item $i on s3" "$DUCKFLOW" step pipeline.yaml --run r1 --step gen --item $i
done
for i in 0 1; do
    expect_ok "sum item $i reads its chunk from s3" "$DUCKFLOW" step pipeline.yaml --run r1 --step sum --item $i
done
expect_ok "merge: fan-in and an s3 glob input, checks pass" "$DUCKFLOW" step pipeline.yaml --run r1 --step merge
expect_ok "every manifest's files exist with size and sha256" sdk verify-manifests store/s3step/runs/r1/
expect_match "five manifests" "^manifests 5 " "$out"
expect_ok "list the store" sdk ls store/s3step/runs/r1/gen/00001/
expect_match "partitioned output uploaded under the attempt folder" \
    "^store/s3step/runs/r1/gen/00001/1-[0-9a-f]{4}/nums/k=1/part-00000.parquet " "$out"
expect_ok "get merge's manifest" sdk get store/s3step/runs/r1/merge/00000/_manifest.json m.json
check "the external input lists the two matching objects" \
    test "$(node -e 'const m=require("./m.json");console.log(m.inputs[1].files.map(f=>f.key.split("/").pop()).join(","))')" = "regions-1.csv,regions-2.csv"

expect_code 1 "a failing task on s3 exits 1" "$DUCKFLOW" step pipeline.yaml --run r2 --step bad
expect_ok "list its attempt" sdk ls store/s3step/runs/r2/bad/00000/
expect_match "it left _error.json" "/_error.json " "$out"
check "and no manifest" bash -c "! grep -q _manifest.json '$out'"
