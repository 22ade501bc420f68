-- popularity.sql - the fan-in: table popularity (queries, distinct users, last use, weekly
-- counts and their trend), column popularity (columns resolved with the catalog), the top
-- query fingerprints, the table lineage edges and the column lineage edges over every
-- chunk of the log.
CREATE TABLE table_popularity AS
WITH weekly AS (
    SELECT table_name, week, sum(queries)::BIGINT AS queries FROM table_usage GROUP BY ALL
), trend AS (
    SELECT table_name,
        list(queries ORDER BY week) AS weekly_queries,
        -- least-squares slope of queries per week, per week
        regr_slope(queries, epoch(week) / 604800.0) AS weekly_trend
    FROM weekly GROUP BY table_name
)
SELECT u.table_name, sum(u.queries)::BIGINT AS queries, count(DISTINCT u.user_name) AS distinct_users,
    max(u.last_used) AS last_used, any_value(t.weekly_queries) AS weekly_queries,
    round(any_value(t.weekly_trend), 2) AS weekly_trend
FROM table_usage u JOIN trend t USING (table_name)
GROUP BY u.table_name;

CREATE TABLE column_popularity AS
SELECT table_name, column_name, sum(queries)::BIGINT AS queries, count(DISTINCT user_name) AS distinct_users
FROM column_usage
GROUP BY ALL;

CREATE TABLE top_fingerprints AS
SELECT any_value(fingerprint) AS fingerprint, any_value(statement_type) AS statement_type,
    sum(queries)::BIGINT AS queries, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
    arg_min(example, first_seen) AS example
FROM fingerprint_usage
GROUP BY fp_hash
ORDER BY queries DESC, fingerprint
LIMIT 100;

CREATE TABLE lineage_edges AS
SELECT source, target, sum(queries)::BIGINT AS queries, max(last_seen) AS last_seen
FROM lineage_usage
GROUP BY ALL;

CREATE TABLE column_lineage_edges AS
SELECT source_table, source_column, target_table, target_column, type, subtype,
    sum(queries)::BIGINT AS queries
FROM column_lineage_usage
GROUP BY ALL;

CREATE TABLE log_summary AS
SELECT sum(queries)::BIGINT AS queries, sum(unanalysed)::BIGINT AS unanalysed,
    sum(without_tables)::BIGINT AS without_tables, sum(columns)::BIGINT AS columns,
    sum(unresolved_columns)::BIGINT AS unresolved_columns, sum(bytes)::BIGINT AS bytes
FROM extract_stats;
