-- diff.sql - one shard: what changed between yesterday's and today's snapshot. An asset
-- only in `new` was added, only in `old` deleted; one in both whose fields differ was
-- changed, and `changed_attributes` names which fields moved.
CREATE TABLE changes AS
SELECT
    coalesce(n.guid, o.guid) AS guid,
    coalesce(n.qualified_name, o.qualified_name) AS qualified_name,
    coalesce(n.type, o.type) AS type,
    CASE WHEN o.guid IS NULL THEN 'added' WHEN n.guid IS NULL THEN 'deleted' ELSE 'changed' END
        AS change,
    CASE WHEN o.guid IS NOT NULL AND n.guid IS NOT NULL THEN list_filter([
        CASE WHEN o.qualified_name IS DISTINCT FROM n.qualified_name THEN 'qualified_name' END,
        CASE WHEN o.type IS DISTINCT FROM n.type THEN 'type' END,
        CASE WHEN o.owner IS DISTINCT FROM n.owner THEN 'owner' END,
        CASE WHEN o.tags IS DISTINCT FROM n.tags THEN 'tags' END,
        CASE WHEN o.attributes.description IS DISTINCT FROM n.attributes.description
             THEN 'description' END,
        CASE WHEN o.attributes.certificate IS DISTINCT FROM n.attributes.certificate
             THEN 'certificate' END,
        CASE WHEN o.attributes.popularity IS DISTINCT FROM n.attributes.popularity
             THEN 'popularity' END,
        CASE WHEN o.attributes.row_count IS DISTINCT FROM n.attributes.row_count
             THEN 'row_count' END
    ], x -> x IS NOT NULL) END AS changed_attributes,
    o.updated_at AS old_updated_at,
    n.updated_at AS new_updated_at
FROM old o
FULL OUTER JOIN new n ON o.guid = n.guid
WHERE o.guid IS NULL OR n.guid IS NULL
   OR o.updated_at IS DISTINCT FROM n.updated_at
   OR o.qualified_name IS DISTINCT FROM n.qualified_name
   OR o.type IS DISTINCT FROM n.type
   OR o.owner IS DISTINCT FROM n.owner
   OR o.tags IS DISTINCT FROM n.tags
   OR o.attributes IS DISTINCT FROM n.attributes;

-- The shard's own counts, so the summary can reconcile without re-reading the snapshots.
CREATE TABLE shard_counts AS
SELECT
    getvariable('item')::BIGINT AS shard,
    (SELECT count(*) FROM old) AS old_assets,
    (SELECT count(*) FROM new) AS new_assets;
