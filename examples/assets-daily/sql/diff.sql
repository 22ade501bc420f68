-- diff.sql - one shard (item.shard): what changed between yesterday's and today's snapshot.
-- The way change-data-capture diffs work: a row changed when its content digest (a hash of
-- every column but the key, computed once when the snapshot was written) differs, so the
-- diff reads two narrow columns of each date (guid, digest), never the wide ones. The
-- input holds this shard's files only (the item narrows it); the shard filter is a
-- safeguard.
CREATE VIEW old AS
SELECT guid, digest FROM s
WHERE day = getvariable('day') - 1 AND shard = getvariable('item').shard;
CREATE VIEW new AS
SELECT guid, digest FROM s
WHERE day = getvariable('day') AND shard = getvariable('item').shard;

-- One row per asset added, deleted or changed; what changed is one join away (the
-- snapshots by guid).
CREATE TABLE changes AS
SELECT
    coalesce(n.guid, o.guid) AS guid,
    CASE WHEN o.guid IS NULL THEN 'added' WHEN n.guid IS NULL THEN 'deleted' ELSE 'changed' END
        AS change
FROM old o
FULL OUTER JOIN new n ON o.guid = n.guid
WHERE o.guid IS NULL OR n.guid IS NULL OR o.digest <> n.digest;

CREATE TABLE shard_counts AS
SELECT
    getvariable('item').shard::BIGINT AS shard,
    (SELECT count(*) FROM old) AS old_assets,
    (SELECT count(*) FROM new) AS new_assets;
