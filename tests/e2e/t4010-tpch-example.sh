#!/usr/bin/env bash
# t4010: examples/tpch end to end at a small size: `duckflow run` succeeds (the merge checks
# pass), keys are unique across chunks, the merged summary equals a summary computed
# directly over every generated line item, and query reads the run as latest and by id.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..17"
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"

expect_ok "the example validates" "$DUCKFLOW" validate "$P"
expect_ok "run with 3 chunks of 4000 line items" \
    "$DUCKFLOW" run "$P" --param chunks=3 --param rows=4000 -j 2
run=$(ls "$DUCKFLOW_STORE/tpch/runs")
check "one run in the store" test "$(echo "$run" | wc -w)" -eq 1

expect_ok "three generate and summary tasks, one merge" "$DUCKFLOW" query --format csv \
    "SELECT string_agg(step || ':' || n, ' ' ORDER BY step) FROM (SELECT step, count(*) AS n FROM _run.tasks GROUP BY step)"
expect_match "task counts" '^generate:3 merge:1 summary:3$' "$out"

expect_ok "order keys unique across chunks" "$DUCKFLOW" query --format csv \
    "SELECT count(*) = count(DISTINCT o_orderkey) AND count(*) = 3 * 1000 FROM generate.orders"
expect_match "unique" '^true$' "$out"
expect_ok "line keys unique, lines 1..7, quantities 1..50, discounts 0..0.10, tax 0..0.08" \
    "$DUCKFLOW" query --format csv \
    "SELECT count(*) = count(DISTINCT (l_orderkey, l_linenumber))
        AND min(l_linenumber) = 1 AND max(l_linenumber) = 7
        AND min(l_quantity) = 1 AND max(l_quantity) = 50
        AND min(l_discount) = 0 AND max(l_discount) = 0.10
        AND min(l_tax) = 0 AND max(l_tax) = 0.08
        AND bool_and(l_receiptdate > l_shipdate)
        AND bool_and((l_returnflag = 'N') = (l_receiptdate > DATE '1995-06-17'))
     FROM generate.lineitem"
expect_match "plausible line items" '^true$' "$out"

expect_ok "merged totals equal a direct summary of every line item" "$DUCKFLOW" query --format csv "
    WITH direct AS (
        SELECT l_returnflag, l_linestatus, sum(l_quantity) AS q,
               sum(l_extendedprice * (1 - l_discount)) AS dp, count(*) AS n
        FROM generate.lineitem GROUP BY ALL)
    SELECT count(*) FILTER (WHERE t.sum_qty = d.q AND t.sum_disc_price = d.dp
                            AND t.count_order = d.n), count(*)
    FROM merge.totals t FULL JOIN direct d USING (l_returnflag, l_linestatus)"
expect_match "every group agrees" '^4,4$' "$out"
expect_ok "orders by priority and status add up" "$DUCKFLOW" query --format csv \
    "SELECT (SELECT sum(order_count) FROM merge.orders_totals) = (SELECT count(*) FROM generate.orders)"
expect_match "orders agree" '^true$' "$out"

expect_ok "the run by id" "$DUCKFLOW" query --run "$run" --format csv "SELECT run FROM _run.run"
expect_match "its id" "^$run\$" "$out"
expect_ok "report of the run" "$DUCKFLOW" report "$run"
expect_match "merge in the report" '^ merge +\| +1 \|' "$out"
