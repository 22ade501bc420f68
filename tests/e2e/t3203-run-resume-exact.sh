#!/usr/bin/env bash
# t3203: --resume is exact. A run made 50 rows and a downstream check failed; after the
# SQL is edited to make 60, the resume reruns the stale step ("rerun: sql changed") and
# what its new output reaches, and its results equal a clean run's. A resume takes the
# params run.json recorded; a --param that differs is refused (exit 2, naming both
# values); the same value is accepted.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..21"

mkdir -p sql
cat >p.yaml <<'YAML'
name: exact
params:
  rows: 50
  limit: 55
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  customers:
    sql: sql/customers.sql
    outputs:
      c: {order_by: [id]}
  other:
    sql: CREATE TABLE o AS SELECT 7 AS v;
    outputs: [o]
  counted:
    inputs: {c: customers.c}
    sql: CREATE TABLE k AS SELECT count(*) AS n FROM c;
    outputs: [k]
    checks:
      - name: at least limit rows
        sql: SELECT 1 FROM k WHERE n < getvariable('limit')
YAML
echo "CREATE TABLE c AS SELECT range AS id FROM range(getvariable('rows'));" >sql/customers.sql

expect_code 1 "the check fails on 50 rows" "$DUCKFLOW" run p.yaml
RUN=$(cat "$out")
expect_match "check_failed" 'check_failed' "$errout"

echo "CREATE TABLE c AS SELECT range AS id FROM range(getvariable('rows') + 10);" >sql/customers.sql
expect_ok "resume after the edit" "$DUCKFLOW" run p.yaml --resume "$RUN"
cp "$errout" r.err
expect_match "the stale step reruns, saying why" '^rerun +customers: sql changed' r.err
expect_match "the summary says why" '^customers +1/1 .* ok \(rerun: sql changed\)' r.err
expect_match "the unchanged step is kept" '^other +1/1 .* ok \(kept\)' r.err
expect_match "the check passes now" '^ok +counted in ' r.err
expect_ok "the resumed result" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT n FROM counted.k"
check "60 rows" test "$(tail -n 1 "$out")" = 60
expect_ok "a clean run" "$DUCKFLOW" run p.yaml --no-cache
CLEAN=$(cat "$out")
for t in customers.c counted.k; do
    "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM $t ORDER BY ALL" >a.csv
    "$DUCKFLOW" query --run "$CLEAN" --format csv "SELECT * FROM $t ORDER BY ALL" >b.csv
    check "$t equals the clean run's" cmp a.csv b.csv
done

# Params come from run.json.
echo "CREATE TABLE c AS SELECT range AS id FROM range(getvariable('rows'));" >sql/customers.sql
expect_code 1 "a run with rows=20 fails its check" "$DUCKFLOW" run p.yaml --param rows=20
RUN2=$(cat "$out")
expect_code 2 "resume with another --param is refused" "$DUCKFLOW" run p.yaml --resume "$RUN2" --param rows=30
expect_match "naming both values" "--param rows=30: run '$RUN2' was started with rows=20" "$errout"
expect_match "suggesting a new run" "start a new run instead" "$errout"
expect_code 1 "resume with the same --param is accepted (the check still fails)" \
    "$DUCKFLOW" run p.yaml --resume "$RUN2" --param rows=20
expect_match "on the same 20 rows" 'check_failed' "$errout"
expect_code 1 "resume without --param keeps rows=20 (not the default 50)" "$DUCKFLOW" run p.yaml --resume "$RUN2"
check "run.json still says rows=20" test "$(jget "$DUCKFLOW_STORE/exact/runs/$RUN2/run.json" m.params.rows)" = 20
check "customers kept its 20 rows" test "$("$DUCKFLOW" query --run "$RUN2" --format csv "SELECT count(*) FROM customers.c" | tail -n 1)" = 20
