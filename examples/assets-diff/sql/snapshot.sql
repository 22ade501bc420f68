-- snapshot.sql - one shard of yesterday's (`old`) and today's (`new`) snapshot of the
-- metadata assets, generated in SQL. Asset number a (0 <= a < n, plus n/100 assets new
-- today) belongs to shard a % shards, so each task generates exactly its own slice without
-- looking at the others; in the reference users' job an extractor hash-partitions by guid
-- the same way. Every field is a hash of (asset, field, version): an asset that did not
-- change is identical in both snapshots. Day-to-day churn, as in the reference data:
--   ~1% of yesterday's assets are deleted, n/100 are added, ~5% are changed, and a changed
--   asset changes one to a few of its attributes.
--
-- Yesterday's version of every asset is generated once into `base`; `old` and `new` are
-- views over it that the task streams straight into Parquet, `new` recomputing only the
-- fields that moved (CASE evaluates a branch only for the rows that take it).

-- Which fields move today (bit i: field i below): the primary one always, each other one
-- with 25% odds; 0 for an asset that did not change.
CREATE MACRO moved_fields(a) AS
    (1 << (hash(a, 'which') % 6)::INTEGER)
    | (CASE WHEN hash(a, 'c0') % 4 = 0 THEN 1 ELSE 0 END)
    | (CASE WHEN hash(a, 'c1') % 4 = 0 THEN 2 ELSE 0 END)
    | (CASE WHEN hash(a, 'c2') % 4 = 0 THEN 4 ELSE 0 END)
    | (CASE WHEN hash(a, 'c3') % 4 = 0 THEN 8 ELSE 0 END)
    | (CASE WHEN hash(a, 'c4') % 4 = 0 THEN 16 ELSE 0 END)
    | (CASE WHEN hash(a, 'c5') % 4 = 0 THEN 32 ELSE 0 END);

-- The version-dependent fields, for version v (0 yesterday, 1 after a change).
CREATE MACRO owner_of(a, v) AS 'user' || hash(a, 'owner', v) % 5000;
-- Tags: one of 1,024 tag sets in which each of ten tags appears with 20% odds, picked by
-- hash (about half the cost of filtering ten tags per asset).
SET VARIABLE tag_sets = (
    SELECT list(list_filter(['PII', 'GDPR', 'finance', 'marketing', 'gold', 'silver', 'bronze',
                             'deprecated', 'verified', 'sensitive'], t -> hash(s, t) % 10 < 2)
                ORDER BY s)
    FROM range(1024) r(s));
CREATE MACRO tags_of(a, v) AS getvariable('tag_sets')[(hash(a, 'tags', v) % 1024)::BIGINT + 1];
CREATE MACRO description_of(a, v) AS
    CASE WHEN hash(a, 'desc', v) % 3 = 0 THEN NULL
         ELSE 'describes asset ' || a || ' revision ' || hash(a, 'desc', v) % 1000 END;
CREATE MACRO certificate_of(a, v) AS
    ['DRAFT', 'VERIFIED', 'DEPRECATED'][(hash(a, 'cert', v) % 3)::BIGINT + 1];
CREATE MACRO popularity_of(a, v) AS round((hash(a, 'pop', v) % 100000) / 1000.0, 3);
CREATE MACRO row_count_of(a, v) AS (hash(a, 'rows', v) % 100000000)::BIGINT;

CREATE TEMP TABLE base AS
WITH ids AS (
    SELECT a, hash(a, 'place') AS place,
        a >= getvariable('n') AS is_added,
        a < getvariable('n') AND hash(a, 'deleted') % 100 = 0 AS is_deleted,
        a < getvariable('n') AND hash(a, 'deleted') % 100 <> 0
            AND hash(a, 'changed') % 100 < 5 AS is_changed
    FROM range(getvariable('item')::BIGINT, getvariable('n') + getvariable('n') // 100,
               getvariable('shards')) r(a))
SELECT
    a, is_added, is_deleted,
    CASE WHEN is_changed THEN moved_fields(a) ELSE 0 END AS moved,
    md5('asset-' || a)::UUID AS guid,
    concat('default/snowflake/', place % 40, '/db_', (place >> 8) % 25,
           '/schema_', (place >> 16) % 60, '/asset_', a) AS qualified_name,
    ['Table', 'Column', 'Column', 'Column', 'View', 'Schema', 'Database',
     'Dashboard'][((place >> 24) % 8)::BIGINT + 1] AS type,
    owner_of(a, 0) AS owner,
    tags_of(a, 0) AS tags,
    description_of(a, 0) AS description,
    certificate_of(a, 0) AS certificate,
    popularity_of(a, 0) AS popularity,
    row_count_of(a, 0) AS row_count,
    TIMESTAMP '2026-01-01 00:00:00' + to_seconds((hash(a, 'updated') % 30000000)::BIGINT)
        AS updated_at
FROM ids;

CREATE VIEW old AS
SELECT guid, qualified_name, type, owner, tags,
    {description: description, certificate: certificate, popularity: popularity,
     row_count: row_count} AS attributes,
    updated_at
FROM base
WHERE NOT is_added;

CREATE VIEW new AS
SELECT guid, qualified_name, type,
    CASE WHEN moved & 1 <> 0 THEN owner_of(a, 1) ELSE owner END AS owner,
    CASE WHEN moved & 2 <> 0 THEN tags_of(a, 1) ELSE tags END AS tags,
    {description: CASE WHEN moved & 4 <> 0 THEN description_of(a, 1) ELSE description END,
     certificate: CASE WHEN moved & 8 <> 0 THEN certificate_of(a, 1) ELSE certificate END,
     popularity: CASE WHEN moved & 16 <> 0 THEN popularity_of(a, 1) ELSE popularity END,
     row_count: CASE WHEN moved & 32 <> 0 THEN row_count_of(a, 1) ELSE row_count END}
        AS attributes,
    CASE WHEN moved <> 0 THEN updated_at + INTERVAL 400 DAY ELSE updated_at END AS updated_at
FROM base
WHERE NOT is_deleted;
