#!/usr/bin/env bash
# t4011: examples/assets-diff at a tiny size: the run succeeds (its checks pass), the
# change counts are consistent (added - deleted = new - old), the sharded diff equals a
# diff computed directly over the snapshots, and the churn is near the designed rates.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..13"
P="$DUCKFLOW_TOP/examples/assets-diff/pipeline.yaml"

expect_ok "run n=3000 in 3 shards" "$DUCKFLOW" run "$P" --param n=3000 --param shards=3 -j 2
expect_ok "totals" "$DUCKFLOW" query --format csv \
    "SELECT old_assets, added - deleted = new_assets - old_assets, shards FROM summary.totals"
expect_match "consistent counts" '^3000,true,3$' "$out"
expect_ok "snapshots are what the totals say" "$DUCKFLOW" query --format csv \
    "SELECT (SELECT count(*) FROM snapshot.old) = old_assets AND (SELECT count(*) FROM snapshot.new) = new_assets FROM summary.totals"
expect_match "snapshot counts" '^true$' "$out"
expect_ok "each asset in exactly one shard" "$DUCKFLOW" query --format csv \
    "SELECT count(*) = count(DISTINCT guid) FROM snapshot.new"
expect_match "guids unique" '^true$' "$out"
expect_ok "sharded diff equals a direct diff" "$DUCKFLOW" query --format csv "
    WITH direct AS (
        SELECT CASE WHEN o.guid IS NULL THEN 'added' WHEN n.guid IS NULL THEN 'deleted'
                    ELSE 'changed' END AS change, count(*) AS assets
        FROM snapshot.old o FULL JOIN snapshot.new n USING (guid)
        WHERE o.guid IS NULL OR n.guid IS NULL OR to_json(o) <> to_json(n)
        GROUP BY ALL)
    SELECT count(*) FILTER (WHERE s.assets = d.assets), count(*)
    FROM summary.summary s FULL JOIN direct d USING (change)"
expect_match "added, deleted and changed agree" '^3,3$' "$out"
expect_ok "churn near 1% / 1% / 5%" "$DUCKFLOW" query --format csv \
    "SELECT added = 30 AND deleted BETWEEN 10 AND 60 AND changed BETWEEN 90 AND 210 FROM summary.totals"
expect_match "plausible churn" '^true$' "$out"
expect_ok "changed assets name what changed" "$DUCKFLOW" query --format csv \
    "SELECT count(*) FILTER (WHERE len(changed_attributes) = 0), count(DISTINCT a) FROM diff.changes, unnest(changed_attributes) u(a) WHERE change = 'changed'"
expect_match "attributes listed" '^0,[4-6]$' "$out"
