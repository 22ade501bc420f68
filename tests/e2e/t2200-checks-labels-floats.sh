#!/usr/bin/env bash
# t2200: checks say what failed (how many rows, the first 5 as a table), severity: warn
# records and prints without failing, every result is in _run.checks; items are named by
# label (orders[apac]) in messages, _run.tasks.item_label and `step --item apac`; floats
# read back in their shortest form (0.3, not 0.29999999999999999).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..21"

cat >p.yaml <<'YAML'
name: checks-labels
params:
  regions: [eu, us, apac]
  max_discount: 0.3
defaults: {threads: 1, memory_limit: 100MB, retries: 0}
steps:
  orders:
    foreach: {values: regions}
    sql: |
      CREATE TABLE o AS
        SELECT getvariable('item') AS region, range AS id, (range / 10)::DOUBLE AS discount
        FROM range(10);
    outputs: [o]
    checks:
      - name: discounts within bounds
        severity: warn
        sql: SELECT id, discount FROM o WHERE discount > getvariable('max_discount')
      - name: ids unique
        sql: SELECT id FROM o GROUP BY id HAVING count(*) > 1
  strict:
    inputs: {o: orders.o}
    sql: CREATE TABLE s AS SELECT * FROM o;
    outputs: [s]
    checks:
      - name: no big ids
        sql: SELECT region, id FROM s WHERE id > 2 ORDER BY region, id
YAML

expect_ok "plan" "$DUCKFLOW" plan p.yaml --format json
cp "$out" plan.json
check "plan: the float reads back as written" grep -qE '"max_discount": 0.3$' plan.json
check "plan: never 17 digits" bash -c "! grep -q '0.29999' plan.json"

expect_code 1 "a failing check fails the run" "$DUCKFLOW" run p.yaml -j 1
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
check "warn: printed, labelled, with its count" \
    grep -qE "^orders\[apac\]: duckflow: step 'orders' item 2: warning: check 'discounts within bounds' failed: 6 rows; the first 5:" run.err
check "warn: the rows as a small table" grep -qE '^orders\[eu\]:   id \| discount$' run.err
check "warn: shortest floats in the table" grep -qE '^orders\[eu\]:   4  \| 0.4$' run.err
check "warn does not fail the step" grep -qE '^orders +3/3 .* ok' run.err
check "error: the count and the first 5" \
    grep -qE "^failed +strict \(check_failed, attempt 1\): check 'no big ids' failed: 21 rows; the first 5 \(log: duckflow logs $RUN strict\)$" run.err
check "error: the table in the summary" grep -qE '^        apac +\| 3$' run.err

expect_ok "_run.checks" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT step, item_label, name, severity, rows, passed FROM _run.checks ORDER BY step, item_index, name"
cp "$out" checks.csv
check "every result, by label, the failed task's too" test "$(tail -n +2 checks.csv | tr '\n' ' ')" = \
    "orders,eu,discounts within bounds,warn,6,false orders,eu,ids unique,error,0,true orders,us,discounts within bounds,warn,6,false orders,us,ids unique,error,0,true orders,apac,discounts within bounds,warn,6,false orders,apac,ids unique,error,0,true strict,,no big ids,error,21,false "
expect_ok "_run.tasks.item_label" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT item_index, item_label FROM _run.tasks WHERE step = 'orders' ORDER BY item_index"
check "labels are the values" test "$(tail -n +2 "$out" | tr '\n' ' ')" = "0,eu 1,us 2,apac "
expect_ok "query prints floats short" "$DUCKFLOW" query --run "$RUN" --format csv \
    "SELECT discount FROM orders.o WHERE region = 'eu' AND id = 3"
check "0.3 from SQL too" test "$(tail -n 1 "$out")" = "0.3"

expect_ok "step --item by label" "$DUCKFLOW" step p.yaml --run byhand --step orders --item apac
check "it ran item 2" test -f "$DUCKFLOW_STORE/checks-labels/runs/byhand/orders/00002/_manifest.json"
expect_ok "step --item by index still" "$DUCKFLOW" step p.yaml --run byhand --step orders --item 0
expect_code 2 "an unknown label" "$DUCKFLOW" step p.yaml --run byhand --step orders --item mars
cp "$errout" mars.err
check "it lists the labels" grep -q "has no item 'mars' (its items: eu, us, apac)" mars.err
