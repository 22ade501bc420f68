#!/usr/bin/env bash
# t4004: `duckflow query` over a real run whose output is Hive-partitioned (partition_by):
# the view has the partition column and every row once; an output with no rows still has
# its columns.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"
cat >p.yaml <<'EOF'
name: parts
steps:
  gen:
    foreach: {range: 2}
    sql: |
      CREATE TABLE t AS
        SELECT range AS id, ['a', 'b', 'c'][range % 3 + 1] AS k
        FROM range(getvariable('item') * 10, getvariable('item') * 10 + 10);
    outputs:
      t: {partition_by: [k]}
  empty:
    sql: CREATE TABLE e AS SELECT 1::INTEGER AS x, 'y' AS y WHERE false;
    outputs: [e]
EOF
expect_ok "run" "$DUCKFLOW" run p.yaml -j 2
expect_ok "the partitioned view" "$DUCKFLOW" query --format csv \
    "SELECT k, count(*), sum(id) FROM gen.t GROUP BY k ORDER BY k"
expect_match "partition a" '^a,7,63$' "$out"
expect_match "partition b" '^b,7,70$' "$out"
expect_match "partition c" '^c,6,57$' "$out"
expect_ok "files carry their partition" "$DUCKFLOW" query --format csv \
    "SELECT count(*) FROM _run.files WHERE step = 'gen' AND \"partition\" LIKE '{\"k\":%'"
expect_match "six partition files" '^6$' "$out"
expect_ok "an empty output keeps its columns" "$DUCKFLOW" query --format csv \
    "SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE empty.e)"
expect_match "x and y" '^"x INTEGER, y VARCHAR"$' "$out"
expect_ok "and has no rows" "$DUCKFLOW" query --format csv "SELECT count(*) FROM empty.e"
expect_match "zero" '^0$' "$out"
