-- snapshot.sql - one shard of yesterday's (`old`) and today's (`new`) snapshot of the
-- metadata assets, generated in SQL. Asset number a (0 <= a < n, plus n/100 assets new
-- today) belongs to shard a % shards, so each task generates exactly its own slice without
-- looking at the others; in the reference users' job an extractor hash-partitions by guid
-- the same way. Every field is a hash of (asset, field, version): an asset that did not
-- change is identical in both snapshots. Day-to-day churn, as in the reference data:
--   ~1% of yesterday's assets are deleted, n/100 are added, ~5% are changed, and a changed
--   asset changes one to a few of its attributes.
CREATE TEMP TABLE ids AS
SELECT
    a,
    a >= getvariable('n') AS is_added,
    a < getvariable('n') AND hash(a, 'deleted') % 100 = 0 AS is_deleted,
    a < getvariable('n') AND hash(a, 'deleted') % 100 <> 0 AND hash(a, 'changed') % 100 < 5
        AS is_changed,
    hash(a, 'which') % 6 AS primary_change
FROM range(getvariable('item')::BIGINT, getvariable('n') + getvariable('n') // 100,
           getvariable('shards')) r(a);

-- Which fields move today: the primary one always, each other one with 25% odds.
CREATE TEMP TABLE versions AS
SELECT a, is_added, is_deleted, md5('asset-' || a) AS h,
    (is_changed AND (primary_change = 0 OR hash(a, 'c0') % 4 = 0))::INTEGER AS v_owner,
    (is_changed AND (primary_change = 1 OR hash(a, 'c1') % 4 = 0))::INTEGER AS v_tags,
    (is_changed AND (primary_change = 2 OR hash(a, 'c2') % 4 = 0))::INTEGER AS v_description,
    (is_changed AND (primary_change = 3 OR hash(a, 'c3') % 4 = 0))::INTEGER AS v_certificate,
    (is_changed AND (primary_change = 4 OR hash(a, 'c4') % 4 = 0))::INTEGER AS v_popularity,
    (is_changed AND (primary_change = 5 OR hash(a, 'c5') % 4 = 0))::INTEGER AS v_row_count,
    is_changed::INTEGER AS v_any
FROM ids;

CREATE MACRO asset_row(a, h, v_owner, v_tags, v_description, v_certificate, v_popularity,
                       v_row_count, v_any) AS {
    guid: h[1:8] || '-' || h[9:12] || '-' || h[13:16] || '-' || h[17:20] || '-' || h[21:32],
    qualified_name: 'default/snowflake/' || (hash(a, 'acct') % 40) || '/db_'
        || (hash(a, 'db') % 25) || '/schema_' || (hash(a, 'schema') % 60) || '/asset_' || a,
    type: ['Table', 'Column', 'Column', 'Column', 'View', 'Schema', 'Database',
           'Dashboard'][(hash(a, 'type') % 8)::BIGINT + 1],
    owner: 'user' || hash(a, 'owner', v_owner) % 5000,
    tags: list_filter(['PII', 'GDPR', 'finance', 'marketing', 'gold', 'silver', 'bronze',
                       'deprecated', 'verified', 'sensitive'],
                      t -> hash(a, t, v_tags) % 10 < 2),
    attributes: {
        description: CASE WHEN hash(a, 'desc', v_description) % 3 = 0 THEN NULL
            ELSE 'describes asset ' || a || ' revision ' || hash(a, 'desc', v_description) % 1000
            END,
        certificate: ['DRAFT', 'VERIFIED', 'DEPRECATED'][
            (hash(a, 'cert', v_certificate) % 3)::BIGINT + 1],
        popularity: round((hash(a, 'pop', v_popularity) % 100000) / 1000.0, 3),
        row_count: (hash(a, 'rows', v_row_count) % 100000000)::BIGINT
    },
    updated_at: TIMESTAMP '2026-01-01 00:00:00'
        + to_seconds((hash(a, 'updated') % 30000000)::BIGINT)
        + to_days(v_any * 400)
};

CREATE TABLE old AS
SELECT unnest(asset_row(a, h, 0, 0, 0, 0, 0, 0, 0))
FROM versions WHERE NOT is_added;

CREATE TABLE new AS
SELECT unnest(asset_row(a, h, v_owner, v_tags, v_description, v_certificate, v_popularity,
                        v_row_count, v_any))
FROM versions WHERE NOT is_deleted;

DROP TABLE versions;
DROP TABLE ids;
DROP MACRO asset_row;
