-- final.sql - one table from every branch, so a replay and a local run can be compared.
CREATE TABLE final AS
SELECT 'y' AS kind, w AS key, 1::BIGINT AS value FROM y
UNION ALL
SELECT 'f', 'files', sum(n)::BIGINT FROM f
UNION ALL
SELECT 'f', 'total', sum(total)::BIGINT FROM f
UNION ALL
SELECT 'r2', region, n::BIGINT FROM r2
UNION ALL
SELECT 'lookup', kind, length(label)::BIGINT FROM lookup;
