-- generate.sql - one chunk of TPC-H-like `orders` and `lineitem`, generated in SQL (no
-- tpch extension needed). Chunk getvariable('item') of getvariable('chunks'); about
-- getvariable('rows') line items per chunk (1..7 lines per order, 4 on average, as in dbgen).
-- Keys are unique across chunks: chunk c owns orders c*O+1 .. c*O+O (O = rows / 4).
-- Every value derives from a hash of the keys, so a chunk is the same whoever generates it.
-- The one line below marked `chunk-source` picks the chunk(s); bench/tpch.sh swaps it to
-- generate every chunk in one process.
CREATE TEMP TABLE chunk_ids AS
SELECT getvariable('item')::BIGINT AS chunk; -- chunk-source

CREATE TEMP TABLE base_orders AS
SELECT
    chunk * (getvariable('rows') // 4) + i + 1 AS o_orderkey,
    1 + hash(chunk * (getvariable('rows') // 4) + i + 1, 'cust') % 150000 AS o_custkey,
    DATE '1992-01-01' + (hash(chunk * (getvariable('rows') // 4) + i + 1, 'date') % 2406)::INTEGER
        AS o_orderdate,
    (1 + hash(chunk * (getvariable('rows') // 4) + i + 1, 'lines') % 7)::INTEGER AS o_lines,
    hash(chunk * (getvariable('rows') // 4) + i + 1, 'prio') % 5 AS prio,
    1 + hash(chunk * (getvariable('rows') // 4) + i + 1, 'clerk') % 1000 AS clerk
FROM chunk_ids, range(getvariable('rows') // 4) r(i);

CREATE TABLE lineitem AS
WITH l AS (
    SELECT o_orderkey AS l_orderkey, o_orderdate, unnest(range(1, o_lines + 1)) AS l_linenumber
    FROM base_orders
), k AS (
    SELECT l_orderkey, l_linenumber, o_orderdate,
        1 + hash(l_orderkey, l_linenumber, 'part') % 200000 AS l_partkey,
        (1 + hash(l_orderkey, l_linenumber, 'qty') % 50)::DECIMAL(15, 2) AS l_quantity,
        ((hash(l_orderkey, l_linenumber, 'disc') % 11)::INTEGER * 0.01)::DECIMAL(15, 2) AS l_discount,
        ((hash(l_orderkey, l_linenumber, 'tax') % 9)::INTEGER * 0.01)::DECIMAL(15, 2) AS l_tax,
        o_orderdate + (1 + hash(l_orderkey, l_linenumber, 'ship') % 121)::INTEGER AS l_shipdate,
        o_orderdate + (30 + hash(l_orderkey, l_linenumber, 'commit') % 61)::INTEGER
            AS l_commitdate,
        (1 + hash(l_orderkey, l_linenumber, 'receipt') % 30)::INTEGER AS receipt_lag,
        hash(l_orderkey, l_linenumber, 'flag') % 2 AS flag_coin,
        hash(l_orderkey, l_linenumber, 'instr') % 4 AS instr,
        hash(l_orderkey, l_linenumber, 'mode') % 7 AS mode
    FROM l
)
SELECT
    l_orderkey::BIGINT AS l_orderkey,
    l_partkey::BIGINT AS l_partkey,
    (1 + (l_partkey + (l_linenumber - 1) * 2500) % 10000)::BIGINT AS l_suppkey,
    l_linenumber::INTEGER AS l_linenumber,
    l_quantity,
    -- dbgen's retail price of a part times the quantity
    (l_quantity * ((90000 + (l_partkey // 10) % 20001 + 100 * (l_partkey % 1000)) / 100.0))
        ::DECIMAL(15, 2) AS l_extendedprice,
    l_discount,
    l_tax,
    CASE WHEN l_shipdate + receipt_lag <= DATE '1995-06-17'
         THEN CASE WHEN flag_coin = 0 THEN 'R' ELSE 'A' END
         ELSE 'N' END AS l_returnflag,
    CASE WHEN l_shipdate > DATE '1995-06-17' THEN 'O' ELSE 'F' END AS l_linestatus,
    l_shipdate,
    l_commitdate,
    l_shipdate + receipt_lag AS l_receiptdate,
    ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'][instr::BIGINT + 1] AS l_shipinstruct,
    ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'][mode::BIGINT + 1] AS l_shipmode,
    'line ' || l_linenumber || ' of order ' || l_orderkey AS l_comment
FROM k;

CREATE TABLE orders AS
SELECT
    o.o_orderkey::BIGINT AS o_orderkey,
    o.o_custkey::BIGINT AS o_custkey,
    CASE WHEN s.n_f = s.n THEN 'F' WHEN s.n_f = 0 THEN 'O' ELSE 'P' END AS o_orderstatus,
    s.totalprice AS o_totalprice,
    o.o_orderdate,
    ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'][o.prio::BIGINT + 1] AS o_orderpriority,
    'Clerk#' || lpad(o.clerk::VARCHAR, 9, '0') AS o_clerk,
    0 AS o_shippriority,
    'order ' || o.o_orderkey || ' of customer ' || o.o_custkey AS o_comment
FROM base_orders o
JOIN (
    SELECT l_orderkey,
        count(*) AS n,
        count(*) FILTER (WHERE l_linestatus = 'F') AS n_f,
        sum(l_extendedprice * (1 + l_tax) * (1 - l_discount))::DECIMAL(15, 2) AS totalprice
    FROM lineitem GROUP BY l_orderkey
) s ON s.l_orderkey = o.o_orderkey;

DROP TABLE base_orders;
DROP TABLE chunk_ids;
