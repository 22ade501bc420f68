-- merge.sql - fan-in: every chunk's summaries merged into the final Q1 answer (`totals`,
-- with the averages computed from the merged sums) and the orders by priority and status.
CREATE TABLE totals AS
SELECT
    l_returnflag,
    l_linestatus,
    sum(sum_qty) AS sum_qty,
    sum(sum_base_price) AS sum_base_price,
    sum(sum_disc_price) AS sum_disc_price,
    sum(sum_charge) AS sum_charge,
    round(sum(sum_qty) / sum(count_order), 2) AS avg_qty,
    round(sum(sum_base_price) / sum(count_order), 2) AS avg_price,
    round(sum(sum_disc) / sum(count_order), 4) AS avg_disc,
    sum(count_order)::BIGINT AS count_order
FROM s
GROUP BY l_returnflag, l_linestatus;

CREATE TABLE orders_totals AS
SELECT
    o_orderpriority,
    o_orderstatus,
    sum(order_count)::BIGINT AS order_count,
    sum(sum_totalprice) AS sum_totalprice
FROM os
GROUP BY o_orderpriority, o_orderstatus;
