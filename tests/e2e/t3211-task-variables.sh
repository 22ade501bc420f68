#!/usr/bin/env bash
# t3211: a task sets as DuckDB variables only the params its SQL reads (each SET VARIABLE
# costs a statement), and every one it may read is there: literal getvariable('p') names
# (in the SQL, the checks and output ORDER BY expressions), and every param when a name
# is computed, hidden behind a comment, or the SQL lists duckdb_variables(). item and
# item_index likewise. A `rows` step's query reads params its tasks' SQL need not.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..9"

cat >p.yaml <<'YAML'
name: vars
params: {a: 3, b: 4, c: 5}
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  literal:
    sql: CREATE TABLE t AS SELECT getvariable('a') AS a, getvariable('b') IS NULL AS b_unset_ok;
    outputs: [t]
  computed:
    sql: CREATE TABLE t AS SELECT getvariable('a' || '') AS a, getvariable('c') AS c, getvariable('item_index') AS i;
    outputs: [t]
  commented:
    sql: CREATE TABLE t AS SELECT getvariable /* the param */ ('b') AS b;
    outputs: [t]
  listed:
    sql: CREATE TABLE t AS SELECT string_agg(name, ' ' ORDER BY name) AS names FROM duckdb_variables();
    outputs: [t]
  planned:
    foreach: {rows: "SELECT range AS k FROM range(getvariable('c'))"}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS k;
    outputs: [t]
  checked:
    foreach: {values: [7]}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS x;
    outputs:
      t: {order_by: ["x * getvariable('c')"]}
    checks:
      - name: b is 4
        sql: SELECT 1 WHERE getvariable('b') <> 4
YAML
expect_ok "the run" "$DUCKFLOW" run p.yaml -j 1
q() { "$DUCKFLOW" query --format csv "$1" 2>q.err | tail -n 1; }
check "a literal name is set" test "$(q 'SELECT a FROM literal.t')" = 3
check "a computed name sees every param" test "$(q 'SELECT a || c || i FROM computed.t')" = 350
check "a comment before the parenthesis: set" test "$(q 'SELECT b FROM commented.t')" = 4
check "duckdb_variables() lists every param, item and item_index" \
    test "$(q 'SELECT names FROM listed.t')" = "a b c item item_index"
check "the rows query read c: 5 tasks" test "$(q 'SELECT count(*) FROM planned.t')" = 5
check "the check read b and passed; the item is set" test "$(q 'SELECT x FROM checked.t')" = 7
sed -i 's/<> 4/<> 5/' p.yaml
expect_code 1 "a check that reads a param fails on its value" "$DUCKFLOW" run p.yaml -j 1 --select checked
expect_match "check_failed" "check_failed" "$errout"
