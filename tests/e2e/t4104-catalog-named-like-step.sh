#!/usr/bin/env bash
# t4104: several pipelines in one store whose names are also step names (issue 13 point 2,
# its own example): `tpch.merge.totals JOIN popularity.popularity.table_popularity`, and
# `orders` beside `orders-qa`, both with a step `orders`. DuckDB finds a two-part name
# `popularity.x` ambiguous once a catalog is called `popularity`, so each pipeline's views
# and `_run` must land in its own catalog; `views` runs the same join in a stock DuckDB;
# errors list the pipelines sorted by name.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"
local_store=
case "$DUCKFLOW_STORE" in *://*) ;; *) local_store=1 ;; esac

cat >tpch.yaml <<'YAML'
name: tpch
steps:
  merge:
    sql: CREATE TABLE totals AS SELECT * FROM (VALUES ('A', 10), ('R', 20), ('N', 30)) v(l_returnflag, count_order);
    outputs: [totals]
YAML
cat >popularity.yaml <<'YAML'
name: popularity
steps:
  popularity:
    sql: CREATE TABLE table_popularity AS SELECT * FROM (VALUES ('A', 7), ('R', 42)) v(l_returnflag, queries);
    outputs: [table_popularity]
YAML
cat >orders.yaml <<'YAML'
name: orders
steps:
  orders:
    sql: CREATE TABLE t AS SELECT 1 AS x;
    outputs: [t]
YAML
sed 's/^name: orders$/name: orders-qa/; s/SELECT 1 AS x/SELECT 2 AS x/' orders.yaml >orders-qa.yaml
for p in tpch popularity orders orders-qa; do
    expect_ok "run $p" "$DUCKFLOW" run -q $p.yaml
done

q='SELECT t.l_returnflag, t.count_order, p.queries FROM tpch.merge.totals t JOIN popularity.popularity.table_popularity p USING (l_returnflag) ORDER BY 1'
expect_ok "the issue's join of tpch and popularity" "$DUCKFLOW" query --format csv "$q"
tail -n +2 "$out" >df.csv
check "two rows, each pipeline's values" test "$(tr '\n' ' ' <df.csv)" = "A,10,7 R,20,42 "
expect_ok "orders.orders.t beside \"orders-qa\".orders.t" "$DUCKFLOW" query --format csv \
    'SELECT a.x, b.x FROM orders.orders.t a, "orders-qa".orders.t b'
expect_match "1 and 2" '^1,2$' "$out"
expect_ok "each catalog has its own _run" "$DUCKFLOW" query --format csv \
    'SELECT a.pipeline, b.pipeline, c.pipeline FROM orders._run.run a, "orders-qa"._run.run b, popularity._run.run c'
expect_match "orders, orders-qa, popularity" '^orders,orders-qa,popularity$' "$out"
expect_ok "--pipeline popularity keeps two-part names" "$DUCKFLOW" query --pipeline popularity \
    --format csv 'SELECT sum(queries) FROM popularity.table_popularity'
expect_match "49" '^49$' "$out"
expect_code 2 "report without --pipeline" "$DUCKFLOW" report
expect_match "names every pipeline, sorted by name" "several pipelines \('orders', 'orders-qa', 'popularity', 'tpch'\)" "$errout"

"$DUCKFLOW" views >all.sql 2>views.err
if [ -n "$local_store" ] && cc -std=c11 -O0 -o duckrun "$DUCKFLOW_TOP/tests/support/duckrun/duckrun.c" \
    -I"$DUCKFLOW_TOP/deps/duckdb/include" -L"$DUCKFLOW_TOP/deps/duckdb/lib" -lduckdb \
    -Wl,-rpath,"$(readlink -f "$DUCKFLOW_TOP/deps/duckdb/lib")" 2>cc.err; then
    expect_ok "a stock DuckDB runs views and the same join" ./duckrun all.sql "$q"
    cp "$out" plain.csv
    check "same rows as duckflow query" cmp plain.csv df.csv
else
    echo "ok 15 - # SKIP the stock DuckDB check needs cc and a local store"
    echo "ok 16 - # SKIP the stock DuckDB check needs cc and a local store"
    _n=$((_n + 2))
fi
