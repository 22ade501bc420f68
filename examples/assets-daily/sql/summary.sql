-- summary.sql - fan-in: the day's changes over every shard.
CREATE TABLE summary AS
SELECT change, count(*) AS assets FROM c GROUP BY change;

CREATE TABLE totals AS
SELECT
    getvariable('day')::BIGINT AS day,
    sum(old_assets)::BIGINT AS old_assets,
    sum(new_assets)::BIGINT AS new_assets,
    (SELECT count(*) FROM c WHERE change = 'added') AS added,
    (SELECT count(*) FROM c WHERE change = 'deleted') AS deleted,
    (SELECT count(*) FROM c WHERE change = 'changed') AS changed,
    count(*) AS shards
FROM k;
