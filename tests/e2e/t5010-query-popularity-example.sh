#!/usr/bin/env bash
# t5010: examples/query-popularity end to end at a small size: the run succeeds (its checks:
# every query analysed, every query names a table), the fan-in's totals equal the same
# counts computed directly over the generated log with the SQL functions (with the
# generated catalog for columns and column lineage), every column resolves to its table,
# and lineage edges come from the INSERT, CTAS and MERGE templates only.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..22"
P="$DUCKFLOW_TOP/examples/query-popularity/pipeline.yaml"

expect_ok "the example validates" "$DUCKFLOW" validate "$P"
expect_ok "run with 3 chunks of 700 queries" \
    "$DUCKFLOW" run "$P" --param chunks=3 --param queries=700 --param users=50 -j 2

expect_ok "log summary" "$DUCKFLOW" query --format csv \
    "SELECT queries, unanalysed, without_tables, unresolved_columns, columns > 4000 FROM popularity.log_summary"
expect_match "2100 queries, all analysed, every column resolved by the catalog" '^2100,0,0,0,true$' "$out"

expect_ok "query ids unique, four dialects, 50 users" "$DUCKFLOW" query --format csv \
    "SELECT count(DISTINCT query_id), count(DISTINCT dialect), count(DISTINCT user_name) FROM generate.query_log"
expect_match "unique ids" '^2100,4,50$' "$out"

expect_ok "table popularity equals a direct count over the log" "$DUCKFLOW" query --format csv "
    CREATE TEMP MACRO norm(t) AS
        lower(CASE WHEN t LIKE '%.%.%' THEN substr(t, instr(t, '.') + 1) ELSE t END);
    WITH direct AS (
        SELECT table_name, count(DISTINCT query_id) AS queries, count(DISTINCT user_name) AS users
        FROM (SELECT query_id, user_name, norm(unnest(sql_tables(query_text, dialect))) AS table_name
              FROM generate.query_log)
        GROUP BY ALL)
    SELECT count(*) FILTER (WHERE p.queries = d.queries AND p.distinct_users = d.users), count(*)
    FROM popularity.table_popularity p FULL JOIN direct d USING (table_name)"
expect_match "every table agrees" '^([0-9]+),\1$' "$out"

expect_ok "weekly counts add up to the total" "$DUCKFLOW" query --format csv \
    "SELECT count(*) FILTER (WHERE list_sum(weekly_queries) = queries) = count(*) FROM popularity.table_popularity"
expect_match "weekly sums" '^true$' "$out"

expect_ok "lineage edges equal a direct count over the log" "$DUCKFLOW" query --format csv "
    CREATE TEMP MACRO norm(t) AS
        lower(CASE WHEN t LIKE '%.%.%' THEN substr(t, instr(t, '.') + 1) ELSE t END);
    WITH direct AS (
        SELECT norm(e.source) AS source, norm(e.target) AS target, count(*) AS queries
        FROM (SELECT unnest(sql_lineage(query_text, dialect)) AS e FROM generate.query_log)
        GROUP BY ALL)
    SELECT count(*) FILTER (WHERE p.queries = d.queries) = count(*) AND count(*) > 10
    FROM popularity.lineage_edges p FULL JOIN direct d
        ON p.source IS NOT DISTINCT FROM d.source AND p.target = d.target"
expect_match "every edge agrees" '^true$' "$out"
expect_ok "no edge into a table only read" "$DUCKFLOW" query --format csv \
    "SELECT count(*) FROM popularity.lineage_edges WHERE NOT (target LIKE 'scratch.%' OR target LIKE '%.payments' OR target IN (SELECT table_name FROM popularity.table_popularity))"
expect_match "none" '^0$' "$out"

expect_ok "top fingerprints group queries that differ only in literals" "$DUCKFLOW" query --format csv \
    "SELECT count(*) = 100 AND sum(queries) > 100 AND bool_and(fingerprint NOT SIMILAR TO '.*[0-9]{3,}.*') FROM popularity.top_fingerprints"
expect_match "no literals left" '^true$' "$out"

# the catalog as extract.sql builds it, for the direct counts below
cat="(SELECT map(list(table_name), list(columns)) FROM catalog.catalog)"
expect_ok "column popularity equals a direct count with the catalog" "$DUCKFLOW" query --format csv "
    CREATE TEMP MACRO norm(t) AS
        lower(CASE WHEN t LIKE '%.%.%' THEN substr(t, instr(t, '.') + 1) ELSE t END);
    WITH direct AS (
        SELECT norm(c.\"table\") AS table_name, lower(c.\"column\") AS column_name,
            count(DISTINCT query_id) AS queries
        FROM (SELECT query_id, unnest(sql_columns(query_text, dialect, $cat)) AS c
              FROM generate.query_log)
        WHERE c.\"column\" <> '*'
        GROUP BY ALL)
    SELECT count(*) FILTER (WHERE p.queries = d.queries) = count(*) AND count(*) > 50
    FROM popularity.column_popularity p FULL JOIN direct d USING (table_name, column_name)"
expect_match "every column agrees" '^true$' "$out"

expect_ok "column lineage edges equal a direct count with the catalog" "$DUCKFLOW" query --format csv "
    CREATE TEMP MACRO norm(t) AS
        lower(CASE WHEN t LIKE '%.%.%' THEN substr(t, instr(t, '.') + 1) ELSE t END);
    WITH direct AS (
        SELECT norm(e.source_table) AS st, lower(e.source_column) AS sc,
            norm(e.target_table) AS tt, lower(e.target_column) AS tc, e.type, e.subtype,
            count(*) AS queries
        FROM (SELECT unnest(sql_column_lineage(query_text, dialect, $cat)) AS e
              FROM generate.query_log)
        GROUP BY ALL)
    SELECT count(*) FILTER (WHERE p.queries = d.queries) = count(*) AND count(*) > 20
    FROM popularity.column_lineage_edges p FULL JOIN direct d
        ON p.source_table IS NOT DISTINCT FROM d.st AND p.source_column = d.sc
        AND p.target_table = d.tt AND p.target_column IS NOT DISTINCT FROM d.tc
        AND p.type = d.type AND p.subtype = d.subtype"
expect_match "every column edge agrees" '^true$' "$out"

expect_ok "column lineage: INSERT and MERGE columns, DIRECT and INDIRECT" "$DUCKFLOW" query --format csv "
    SELECT count(*) FILTER (WHERE type = 'DIRECT' AND subtype = 'IDENTITY' AND target_column = 'id' AND source_column = 'id') > 0,
        count(*) FILTER (WHERE type = 'DIRECT' AND subtype = 'TRANSFORMATION' AND target_column = 'amount') > 0,
        count(*) FILTER (WHERE type = 'INDIRECT' AND subtype = 'JOIN' AND target_column IS NULL) > 0,
        count(*) FILTER (WHERE source_table IS NULL) = 0
    FROM popularity.column_lineage_edges WHERE target_table NOT LIKE 'scratch.%'"
expect_match "id copied (IDENTITY), amount cast (TRANSFORMATION), MERGE joins, every source known" '^true,true,true,true$' "$out"
