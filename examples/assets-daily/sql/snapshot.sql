-- snapshot.sql - the metadata assets of one date (item.day) in one shard (item.shard).
-- Everything here depends on the item, `n` and `shards` only (never on the run's `day`),
-- so the task's cache key depends on its date: later runs reuse it.
--
-- Asset a (0 <= a < n + date * n/100: n/100 are added each day) belongs to shard
-- a % shards. It is gone from the date hash(a, 'deleted') % 100 on (~1% a day); it changes
-- on a day d with 5% odds, and its fields are hashes of (asset, field, version), the
-- version being the last day it changed. `digest` is a hash of every column but the key
-- (guid) and the place (day, shard): the diff compares digests, not the columns.
CREATE TABLE assets AS
WITH ids AS (
    SELECT a
    FROM range(getvariable('item').shard::BIGINT,
               getvariable('n') + getvariable('item').day * (getvariable('n') // 100),
               getvariable('shards')) r(a)
    WHERE hash(a, 'deleted') % 100 >= getvariable('item').day
), versioned AS (
    SELECT a,
        list_max([CASE WHEN hash(a, 'changed', d) % 100 < 5 THEN d ELSE 0 END
                  FOR d IN range(0, getvariable('item').day::BIGINT + 1)]) AS version
    FROM ids
), fields AS (
    SELECT
        getvariable('item').day::BIGINT AS day,
        getvariable('item').shard::BIGINT AS shard,
        md5('asset-' || a)::UUID AS guid,
        concat('default/snowflake/db_', hash(a, 'place') % 25, '/schema_',
               (hash(a, 'place') >> 8) % 60, '/asset_', a) AS qualified_name,
        'user' || hash(a, 'owner', version) % 5000 AS owner,
        round((hash(a, 'pop', version) % 100000) / 1000.0, 3) AS popularity,
        (hash(a, 'rows', version) % 100000000)::BIGINT AS row_count,
        version
    FROM versioned
)
SELECT *, hash(qualified_name, owner, popularity, row_count, version) AS digest
FROM fields;
