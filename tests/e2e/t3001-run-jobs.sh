#!/usr/bin/env bash
# t3001: the same pipeline run with -j 1 and with -j 4 produces identical outputs, and the
# run records say how many tasks ran at a time.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"

cat >p.yaml <<'YAML'
name: run-jobs
defaults:
  threads: 1
  memory_limit: 200MB
steps:
  gen:
    foreach: {range: 6}
    sql: |
      CREATE TABLE t AS
        SELECT getvariable('item') AS chunk, range AS k, hash(range, getvariable('item')) % 1000 AS v
        FROM range(0, 500);
    outputs: [t]
  agg:
    foreach: {each: gen}
    inputs: {t: gen.t}
    sql: CREATE TABLE a AS SELECT chunk, k % 10 AS bucket, sum(v) AS s, count(*) AS c FROM t GROUP BY ALL;
    outputs: [a]
  side:
    foreach: {values: [x, y, z]}
    sql: CREATE TABLE v AS SELECT getvariable('item') AS name, length(getvariable('item')) AS len;
    outputs: [v]
  total:
    inputs: {a: agg.a, v: side.v}
    sql: |
      CREATE TABLE r AS
        SELECT bucket, sum(s) AS s, sum(c) AS c, (SELECT string_agg(name, '' ORDER BY name) FROM v) AS names
        FROM a GROUP BY bucket;
    outputs:
      r: {order_by: [bucket]}
YAML

Q="SELECT * FROM total.r ORDER BY bucket"
expect_ok "run with -j 1" "$DUCKFLOW" run p.yaml -j 1
R1=$(cat "$out")
expect_ok "run with -j 4" "$DUCKFLOW" run p.yaml -j 4 --no-cache
R4=$(cat "$out")
expect_ok "outputs of -j 1" "$DUCKFLOW" query --run "$R1" --format csv "$Q"
cp "$out" j1.csv
expect_ok "outputs of -j 4" "$DUCKFLOW" query --run "$R4" --format csv "$Q"
cp "$out" j4.csv
check "ten buckets" test "$(wc -l <j1.csv)" -eq 11
check "identical results" cmp j1.csv j4.csv
for t in gen.t agg.a side.v; do
    expect_ok "$t of -j 1" "$DUCKFLOW" query --run "$R1" --format csv "SELECT * FROM $t ORDER BY ALL"
    cp "$out" a.csv
    expect_ok "$t of -j 4" "$DUCKFLOW" query --run "$R4" --format csv "SELECT * FROM $t ORDER BY ALL"
    cp "$out" b.csv
    check "$t identical and not empty" bash -c "cmp a.csv b.csv && test \$(wc -l <a.csv) -gt 2"
done
expect_ok "runs" "$DUCKFLOW" runs --pipeline run-jobs
cp "$out" runs.txt
expect_match "the -j 1 run, 16 tasks" "^run-jobs +$R1 +succeeded .* 16/16$" runs.txt
expect_match "the -j 4 run, 16 tasks" "^run-jobs +$R4 +succeeded .* 16/16$" runs.txt
