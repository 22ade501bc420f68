-- catalog.sql - the synthetic warehouse's catalog, as an information schema gives it: one
-- row per table (schema.table, as generate.sql names them) with its columns in order.
-- extract.sql hands it to the SQL functions as a MAP(VARCHAR, VARCHAR[]), so that they
-- resolve unqualified columns to their tables and expand stars; a query's 3-part or
-- quoted names (ANALYTICS.SALES.ORDERS, `acme-prod.sales.orders`) find their entry by
-- suffix and case-insensitively. scratch.* tables (CTAS targets) are not in it.
CREATE TABLE catalog AS
SELECT s || '.' || t AS table_name,
    ['id', 'created_at', 'amount', 'status', 'user_id', 'region', 'category', 'updated_at']
        AS columns
FROM unnest(['sales', 'marketing', 'finance', 'ops', 'product', 'hr']) a(s),
    unnest(['orders', 'customers', 'events', 'invoices', 'sessions', 'accounts', 'items',
            'payments']) b(t)
ORDER BY table_name;
