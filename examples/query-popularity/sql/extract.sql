-- extract.sql - the references of one chunk of the query log, through the SQL functions
-- with the warehouse's catalog (which share one analysis per query through their
-- per-thread cache), pre-aggregated per chunk so the fan-in reads little: per table, user
-- and week; per resolved column and user; per fingerprint; per lineage edge; per
-- column-lineage edge. Table names are normalised to
-- schema.table in lower case (dialects fold and qualify them differently).
-- (names here have at most 3 parts: db.schema.table or project.dataset.table)
CREATE TEMP MACRO norm(t) AS
    lower(CASE WHEN t LIKE '%.%.%' THEN substr(t, instr(t, '.') + 1) ELSE t END);

-- the catalog as the functions take it: table name -> its columns (built once per task;
-- every call gets the same one, so they still share one analysis per query)
SET VARIABLE cat = (SELECT map(list(table_name), list(columns)) FROM catalog);

CREATE TEMP TABLE a AS
SELECT
    query_id,
    user_name,
    start_time,
    date_trunc('week', start_time) AS week,
    sql_tables(query_text, dialect, getvariable('cat')) AS tbls,
    sql_columns(query_text, dialect, getvariable('cat')) AS cols,
    sql_lineage(query_text, dialect, getvariable('cat')) AS edges,
    sql_column_lineage(query_text, dialect, getvariable('cat')) AS col_edges,
    sql_fingerprint_hash(query_text, dialect, getvariable('cat')) AS fp_hash,
    sql_statement_type(query_text, dialect, getvariable('cat')) AS stype,
    strlen(query_text) AS bytes
FROM query_log;

CREATE TABLE table_usage AS
SELECT table_name, user_name, week, count(*) AS queries, max(start_time) AS last_used
FROM (SELECT DISTINCT query_id, norm(unnest(tbls)) AS table_name, user_name, week, start_time
      FROM a)
GROUP BY ALL;

CREATE TABLE column_usage AS
SELECT table_name, column_name, user_name, count(*) AS queries
FROM (SELECT DISTINCT query_id, norm(c."table") AS table_name, lower(c."column") AS column_name,
          user_name
      FROM (SELECT query_id, user_name, unnest(cols) AS c FROM a)
      WHERE c."table" IS NOT NULL AND c."column" <> '*')
GROUP BY ALL;

-- grouped on the 64-bit hash of the fingerprint (cheaper than the text); the text and an
-- example query are looked up once per fingerprint
CREATE TABLE fingerprint_usage AS
WITH g AS (
    SELECT fp_hash, any_value(stype) AS statement_type, count(*) AS queries,
        min(start_time) AS first_seen, max(start_time) AS last_seen,
        arg_min(query_id, start_time) AS example_id
    FROM a WHERE fp_hash IS NOT NULL
    GROUP BY fp_hash)
SELECT sql_fingerprint(l.query_text, l.dialect) AS fingerprint, g.fp_hash, g.statement_type,
    g.queries, g.first_seen, g.last_seen, l.query_text AS example
FROM g JOIN query_log l ON l.query_id = g.example_id;

CREATE TABLE lineage_usage AS
SELECT norm(e.source) AS source, norm(e.target) AS target, count(*) AS queries,
    max(start_time) AS last_seen
FROM (SELECT start_time, unnest(edges) AS e FROM a)
GROUP BY ALL;

-- column-level lineage: per edge (OpenLineage type and subtype) the queries that have it
CREATE TABLE column_lineage_usage AS
SELECT norm(e.source_table) AS source_table, lower(e.source_column) AS source_column,
    norm(e.target_table) AS target_table, lower(e.target_column) AS target_column,
    e.type, e.subtype, count(*) AS queries
FROM (SELECT unnest(col_edges) AS e FROM a)
GROUP BY ALL;

CREATE TABLE extract_stats AS
SELECT count(*) AS queries,
    count(*) FILTER (WHERE tbls IS NULL OR cols IS NULL OR col_edges IS NULL OR fp_hash IS NULL
                     OR stype IS NULL) AS unanalysed,
    count(*) FILTER (WHERE len(tbls) = 0) AS without_tables,
    sum(len(cols)) AS columns,
    sum(len(list_filter(cols, c -> c."table" IS NULL))) AS unresolved_columns,
    sum(bytes) AS bytes
FROM a;
