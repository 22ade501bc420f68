-- summarize.sql - per chunk: a TPC-H Q1-style pricing summary of the chunk's line items
-- (without Q1's ship-date filter, so the counts add up to the generated line items) and
-- the chunk's orders by priority and status. Sums only, so chunks can be merged exactly.
CREATE TABLE lineitem_summary AS
SELECT
    l_returnflag,
    l_linestatus,
    sum(l_quantity) AS sum_qty,
    sum(l_extendedprice) AS sum_base_price,
    sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
    sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
    sum(l_discount) AS sum_disc,
    count(*) AS count_order
FROM lineitem
GROUP BY l_returnflag, l_linestatus;

CREATE TABLE orders_summary AS
SELECT
    o_orderpriority,
    o_orderstatus,
    count(*) AS order_count,
    sum(o_totalprice) AS sum_totalprice
FROM orders
GROUP BY o_orderpriority, o_orderstatus;
