-- generate.sql - one chunk of a synthetic warehouse query log. Chunk getvariable('item')
-- holds queries item*Q .. item*Q+Q-1 (Q = getvariable('queries')). Every value is a hash
-- of the query id, so a chunk is the same whoever generates it.
-- Catalog: schemas sales, marketing, finance, ops, product, hr; tables orders, customers,
-- events, invoices, sessions, accounts, items, payments in each; columns id, created_at,
-- amount, status, user_id, region, category, updated_at in each. Table choice is skewed
-- (a power of a uniform draw), so some tables are far more popular than others.
CREATE TEMP MACRO sch(t) AS
    ['sales', 'marketing', 'finance', 'ops', 'product', 'hr'][1 + (t // 8)::INTEGER];
CREATE TEMP MACRO tbl(t) AS
    ['orders', 'customers', 'events', 'invoices', 'sessions', 'accounts', 'items', 'payments']
    [1 + (t % 8)::INTEGER];
CREATE TEMP MACRO col(c) AS
    ['id', 'created_at', 'amount', 'status', 'user_id', 'region', 'category', 'updated_at']
    [1 + (c % 8)::INTEGER];
-- every table's name as each dialect's users write it (variant w: Snowflake users sometimes
-- add the database), computed once instead of per query; a query picks its names from the
-- list of them by position (t * 12 + dialect * 3 + w), cheaper than three joins
CREATE TEMP TABLE names AS
SELECT t, di, d, w, CASE
    WHEN d = 'bigquery' THEN '`acme-prod.' || sch(t) || '.' || tbl(t) || '`'
    WHEN d = 'snowflake' AND w = 0 THEN 'ANALYTICS.' || upper(sch(t) || '.' || tbl(t))
    WHEN d = 'snowflake' THEN upper(sch(t)) || '.' || tbl(t)
    WHEN d = 'databricks' THEN '`' || sch(t) || '`.`' || tbl(t) || '`'
    ELSE sch(t) || '.' || tbl(t) END AS name
FROM range(48) a(t),
    (VALUES (0, 'snowflake'), (1, 'bigquery'), (2, 'postgres'), (3, 'databricks')) b(di, d),
    range(3) c(w);

-- q and query_log are views: the log is computed once, while it is written as the output
-- (materialising it as a table first cost about 15% more)
CREATE TEMP VIEW q AS
SELECT
    qid,
    -- params are cast to UBIGINT like hash(): UBIGINT % INTEGER would compute in HUGEINT
    hash(qid, 'user') % getvariable('users')::UBIGINT AS u,
    hash(qid, 'template') % 100 AS tpl,
    least(47, floor(pow((hash(qid, 't1') % 1000003) / 1000003.0, 2) * 48))::BIGINT AS t1,
    least(47, floor(pow((hash(qid, 't2') % 1000003) / 1000003.0, 1.5) * 48))::BIGINT AS t2,
    hash(qid, 'c1') % 8 AS c1,
    hash(qid, 'c2') % 8 AS c2,
    hash(qid, 'c3') % 8 AS c3,
    hash(qid, 'literal') % 100000 AS lit,
    hash(qid, 'n') % 12 AS n,
    hash(qid, 'variant') % 7 AS v,
    (hash(qid, 'dialect') % 4)::INTEGER AS di,
    TIMESTAMP '2026-09-07 00:00:00'
        + to_seconds((hash(qid, 'time') % (getvariable('weeks') * 7 * 86400)::UBIGINT)::BIGINT)
        AS start_time
FROM (SELECT getvariable('item')::BIGINT * getvariable('queries') + i AS qid
      FROM range(getvariable('queries')) r(i));

CREATE VIEW query_log AS
SELECT
    qid AS query_id,
    'user_' || u AS user_name,
    ['analyst', 'engineer', 'bi_service', 'data_scientist', 'etl'][1 + (u % 5)::INTEGER]
        AS role_name,
    ['WH_XS', 'WH_S', 'WH_M', 'WH_L'][1 + (hash(u, 'warehouse') % 4)::INTEGER] AS warehouse,
    start_time,
    dialect,
    -- one concat() per text rather than a chain of ||, which copies every partial string
    concat(
        CASE WHEN v = 0 THEN concat('-- dashboard ', u % 40, E'\n')
             WHEN v = 1 THEN concat('/* scheduled by user_', u, ' */ ')
             ELSE '' END,
        CASE
        WHEN tpl < 35 THEN concat(
            'SELECT ', col(c1), ', ', col(c2), ' FROM ', n1, ' WHERE ', col(c3), ' = ', lit,
            ' LIMIT ', 10 * (n + 1))
        WHEN tpl < 55 THEN concat(
            'SELECT a.', col(c1), ', b.', col(c2), ', count(*) AS n FROM ', n1, ' a JOIN ', n2,
            ' b ON a.id = b.user_id WHERE a.created_at >= ''',
            strftime(DATE '2026-01-01' + (lit % 300)::INTEGER, '%Y-%m-%d'),
            ''' GROUP BY 1, 2 ORDER BY n DESC')
        WHEN tpl < 70 THEN concat(
            'WITH recent AS (SELECT id, ', col(c1), ' FROM ', n1, ' WHERE status IN (',
            -- (x is cast: UBIGINT + BIGINT would compute in HUGEINT, slowly, per element)
            array_to_string(list_transform(range((n + 1)::BIGINT),
                x -> concat('''s', (lit + x::UBIGINT) % 50, '''')), ', '),
            ')) SELECT r.', col(c1), ', sum(p.amount) AS total FROM recent r JOIN ', n2,
            ' p ON r.id = p.id GROUP BY 1',
            CASE WHEN dialect = 'snowflake'
                 THEN ' QUALIFY row_number() OVER (ORDER BY total DESC) <= '
                 ELSE ' ORDER BY total DESC LIMIT ' END,
            n + 1)
        WHEN tpl < 80 THEN concat(
            'INSERT INTO ', n3, ' (id, amount, created_at) SELECT id, ',
            CASE WHEN dialect = 'snowflake' THEN 'amount::number(18, 2)'
                 ELSE 'CAST(amount AS DECIMAL(18, 2))' END,
            ', created_at FROM ', n1, ' WHERE id > ', lit)
        WHEN tpl < 88 THEN concat(
            'CREATE TABLE ',
            CASE WHEN dialect = 'bigquery' THEN concat('`acme-prod.scratch.t_', u, '`')
                 ELSE concat('scratch.t_', u) END,
            ' AS SELECT ', col(c1), ', ', col(c2), ' FROM ', n1,
            ' WHERE region = ''r', lit % 9, '''')
        WHEN tpl < 95 THEN concat(
            'MERGE INTO ', n1, ' t USING ', n2,
            ' s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ', col(c1), ' = s.', col(c1),
            ' WHEN NOT MATCHED THEN INSERT (id, ', col(c2), ') VALUES (s.id, s.', col(c2), ')')
        ELSE concat(
            'UPDATE ', n1, ' SET status = ''closed'', updated_at = ',
            CASE WHEN dialect = 'bigquery' THEN 'CURRENT_TIMESTAMP()' ELSE 'now()' END,
            ' WHERE id = ', lit)
        END) AS query_text
FROM (SELECT q.*,
          ['snowflake', 'bigquery', 'postgres', 'databricks'][1 + di] AS dialect,
          nl[1 + t1 * 12 + di * 3 + (v % 3)::INTEGER] AS n1,
          nl[1 + t2 * 12 + di * 3 + ((v + 1) % 3)::INTEGER] AS n2,
          nl[1 + (t1 // 8 * 8 + 7) * 12 + di * 3 + 1] AS n3
      FROM q, (SELECT list(name ORDER BY t, di, w) AS nl FROM names));
