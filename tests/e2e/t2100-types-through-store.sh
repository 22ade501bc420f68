#!/usr/bin/env bash
# t2100: types survive the store. A step writes one row with a column of every DuckDB type
# (docs/pipeline.md, "Types in the store"); a downstream step reads it and compares it
# column by column, as text and by type, with the same row computed in its own database:
# every value arrives unchanged, each type is the documented reader type, and the
# manifest records exactly the types a Parquet reader sees. sum() of BIGINT (a HUGEINT)
# arrives as an exact integer. UNION, TIME WITH TIME ZONE, a HUGEINT of 39 digits and a
# HUGEINT inside a LIST are refused when written, naming the column and what to cast to.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
source "$DUCKFLOW_TOP/tests/support/types/compare.sh"
echo "1..22"

mkdir -p sql
cat >sql/row.sql <<'SQL'
SELECT
 true::BOOLEAN AS c_boolean, (-7)::TINYINT AS c_tinyint, (-300)::SMALLINT AS c_smallint,
 (-70000)::INTEGER AS c_integer, 9007199254740993::BIGINT AS c_bigint,
 99999999999999999999999999999999999999::HUGEINT AS c_hugeint,
 (-9007199254740993)::HUGEINT AS c_hugeint_neg,
 99999999999999999999999999999999999999::UHUGEINT AS c_uhugeint,
 200::UTINYINT AS c_utinyint, 60000::USMALLINT AS c_usmallint, 4000000000::UINTEGER AS c_uinteger,
 18446744073709551615::UBIGINT AS c_ubigint, 1.5::FLOAT AS c_float, 2.25::DOUBLE AS c_double,
 123.45::DECIMAL(5,2) AS c_dec5, 123456789012.345::DECIMAL(18,3) AS c_dec18,
 12345678901234567890123456789.123456789::DECIMAL(38,9) AS c_dec38,
 'héllo'::VARCHAR AS c_varchar, '\xAA\xBB'::BLOB AS c_blob, '0101'::BIT AS c_bit,
 '123456789012345678901234567890123456789012'::BIGNUM AS c_bignum,
 DATE '2024-02-29' AS c_date, TIME '12:34:56.789' AS c_time,
 TIMESTAMP '2024-02-29 12:34:56.123456' AS c_timestamp, TIMESTAMP_S '2024-02-29 12:34:56' AS c_timestamp_s,
 TIMESTAMP_MS '2024-02-29 12:34:56.123' AS c_timestamp_ms,
 TIMESTAMP_NS '2024-02-29 12:34:56.123456789' AS c_timestamp_ns,
 TIMESTAMPTZ '2024-02-29 12:34:56.123456+00' AS c_timestamptz,
 INTERVAL '1 year 2 months 3 days 04:05:06.789' AS c_interval,
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS c_uuid,
 'happy'::ENUM('sad', 'ok', 'happy') AS c_enum,
 [1, 2, 3]::INTEGER[] AS c_list, [1, 2, 3]::INTEGER[3] AS c_array,
 {'a': 1, 'b': 'x', 'e': 'ok'::ENUM('sad', 'ok')} AS c_struct, MAP {'k': 1} AS c_map,
 '{"a":1}'::JSON AS c_json
SQL
cat >p.yaml <<'YAML'
name: types
defaults:
  memory_limit: 300MB
  threads: 1
  retries: 0
steps:
  make:
    sql: sql/make.sql
    outputs: [t, s]
  compare:
    inputs: {t: make.t, s: make.s}
    sql: sql/compare.sql
    outputs: [cmp, sums]
YAML
{ echo "CREATE TABLE t AS"; cat sql/row.sql; echo ";"
  echo "CREATE TABLE s AS SELECT sum(n) AS total FROM (VALUES (9007199254740993::BIGINT), (0::BIGINT)) v(n);"; } >sql/make.sql
# The same row again in the downstream database, both sides as (column, type, text).
{ types_compare_sql sql/row.sql
  echo "CREATE TABLE sums AS SELECT total, typeof(total) AS type, total = 9007199254740993 AS exact FROM s;"
} >sql/compare.sql

expect_ok "the pipeline runs" "$DUCKFLOW" run p.yaml
types_check_same 36 "36 columns, all equal downstream"
expect_match "HUGEINT arrives as DECIMAL(38,0)" '^c_hugeint HUGEINT -> DECIMAL\(38,0\)$' types.txt
expect_match "UHUGEINT arrives as DECIMAL(38,0)" '^c_uhugeint UHUGEINT -> DECIMAL\(38,0\)$' types.txt
expect_match "ENUM arrives as VARCHAR" "^c_enum ENUM\('sad', 'ok', 'happy'\) -> VARCHAR$" types.txt
expect_match "BIGINT stays BIGINT" '^c_bigint BIGINT -> BIGINT$' types.txt
expect_match "TIMESTAMP_S arrives as TIMESTAMP" '^c_timestamp_s TIMESTAMP_S -> TIMESTAMP$' types.txt
expect_ok "sum() of BIGINT downstream" q 'SELECT total, type, exact FROM compare.sums'
expect_match "exact, an integer" '^9007199254740993,DECIMAL\(38,0\),true$' "$out"
# The manifest's schema is what a reader of the Parquet file sees.
types_check_manifest make t

refused "UNION" "CREATE TABLE x AS SELECT union_value(num := 2)::UNION(num INTEGER, str VARCHAR) AS u" \
    "column 'u' has type UNION\(num INTEGER, str VARCHAR\).*cast it to VARCHAR or a STRUCT"
refused "a 39-digit HUGEINT" "CREATE TABLE x AS SELECT 170141183460469231731687303715884105727::HUGEINT AS h" \
    "column 'h' has type HUGEINT and holds 170141183460469231731687303715884105727, which does not fit DECIMAL\(38,0\).*cast it to DOUBLE or VARCHAR"
refused "TIME WITH TIME ZONE" "CREATE TABLE x AS SELECT TIMETZ '12:34:56+02' AS tz" \
    "column 'tz' has type TIME WITH TIME ZONE.*cast it to TIME \(at UTC\) or VARCHAR"
refused "a HUGEINT in a LIST" "CREATE TABLE x AS SELECT [1::HUGEINT] AS l" \
    "column 'l' has type HUGEINT\[\].*DOUBLE, losing digits.*cast it to"
