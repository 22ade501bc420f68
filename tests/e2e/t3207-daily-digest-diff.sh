#!/usr/bin/env bash
# t3207: examples/assets-daily's diff compares content digests. Each snapshot row carries
# `digest`, a hash of its columns but the key; the diff of a shard reads only that shard's
# two files (the struct item narrows the Hive-partitioned input) and two columns of them,
# and `changes` holds guid and change kind. What it finds must equal a diff of the columns
# themselves, computed here independently from the snapshots.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"
P="$DUCKFLOW_TOP/examples/assets-daily/pipeline.yaml"
q() { "$DUCKFLOW" query --run "$R" --format csv "$1" | tail -n +2; }

expect_ok "day 1" "$DUCKFLOW" run "$P" --param day=1 --param n=6000 --param shards=3 -j 2
expect_ok "day 2" "$DUCKFLOW" run "$P" --param day=2 --param n=6000 --param shards=3 -j 2
R=$(cat "$out")

check "changes holds guid and change" test "$(q "SELECT string_agg(column_name, ' ' ORDER BY column_index) FROM duckdb_columns() WHERE table_name = 'changes'")" = "guid change"
check "the digest is the hash of the columns but the key" test "$(q "SELECT count(*) FROM snapshot.assets WHERE digest <> hash(qualified_name, owner, popularity, row_count, version)")" = 0
check "snapshots are in Hive folders by shard" test "$(find . -path '*snapshot/*/assets/shard=*/part-00000.parquet' | wc -l)" -ge 6
# Every diff task read its own shard's files only: yesterday's and today's.
diff_inputs=$(find . -path "*/runs/$R/diff/*/_manifest.json")
check "three diff tasks" test "$(echo "$diff_inputs" | wc -l)" -eq 3
check "each read two files of its shard" python3 -c '
import json, sys
for p in sys.argv[1:]:
    m = json.load(open(p))
    files = [f["key"] for i in m["inputs"] for f in i["files"]]
    k = m["item"]["shard"]
    assert len(files) == 2 and all("/shard=%d/" % k in f for f in files), (p, files)
' $diff_inputs

# The same diff from the columns themselves.
cat >want.sql <<'SQL'
WITH o AS (FROM snapshot.assets WHERE day = 1), n AS (FROM snapshot.assets WHERE day = 2)
SELECT
    count(*) FILTER (WHERE o.guid IS NULL) AS added,
    count(*) FILTER (WHERE n.guid IS NULL) AS deleted,
    count(*) FILTER (WHERE o.guid IS NOT NULL AND n.guid IS NOT NULL
        AND (o.qualified_name, o.owner, o.popularity, o.row_count, o.version)
            IS DISTINCT FROM (n.qualified_name, n.owner, n.popularity, n.row_count, n.version))
        AS changed
FROM o FULL OUTER JOIN n ON o.guid = n.guid
SQL
want=$(q "$(cat want.sql)")
check "some of each kind" bash -c "echo '$want' | grep -qE '^[1-9][0-9]*,[1-9][0-9]*,[1-9][0-9]*$'"
check "the totals equal a diff of the columns" test "$(q 'SELECT added, deleted, changed FROM summary.totals')" = "$want"
check "so do the rows of changes" test "$(q "SELECT count(*) FILTER (WHERE change = 'added'), count(*) FILTER (WHERE change = 'deleted'), count(*) FILTER (WHERE change = 'changed') FROM diff.changes")" = "$want"
