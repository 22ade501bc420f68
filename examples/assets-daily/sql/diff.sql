-- diff.sql - one shard (item): what changed between yesterday's and today's snapshot.
CREATE VIEW old AS
SELECT * FROM s WHERE day = getvariable('day') - 1 AND shard = getvariable('item');
CREATE VIEW new AS
SELECT * FROM s WHERE day = getvariable('day') AND shard = getvariable('item');

CREATE TABLE changes AS
SELECT
    coalesce(n.guid, o.guid) AS guid,
    coalesce(n.qualified_name, o.qualified_name) AS qualified_name,
    CASE WHEN o.guid IS NULL THEN 'added' WHEN n.guid IS NULL THEN 'deleted' ELSE 'changed' END
        AS change,
    o.version AS old_version,
    n.version AS new_version
FROM old o
FULL OUTER JOIN new n ON o.guid = n.guid
WHERE o.guid IS NULL OR n.guid IS NULL OR o.version <> n.version;

CREATE TABLE shard_counts AS
SELECT
    getvariable('item')::BIGINT AS shard,
    (SELECT count(*) FROM old) AS old_assets,
    (SELECT count(*) FROM new) AS new_assets;
