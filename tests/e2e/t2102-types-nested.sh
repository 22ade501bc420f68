#!/usr/bin/env bash
# t2102: nested types survive the store (docs/pipeline.md, "Types in the store"), as t2100
# does for the flat ones: LIST of LIST, LIST of STRUCT, STRUCT of LIST and STRUCT, MAP of
# LIST and STRUCT, LIST of MAP, ARRAY of ARRAY, NULLs and empty lists at every level, and
# the rules inside nesting (ENUM, BIT -> VARCHAR, TIMESTAMP_S/_MS -> TIMESTAMP, T[n] -> T[]).
# A downstream step compares each value as text with the same row made in its own
# database; the manifest records what a Parquet reader sees. Field names that are type
# names (HUGEINT, BIT, "UNION") are names: kept, not refused. UNION, TIME WITH TIME ZONE,
# UHUGEINT and HUGEINT inside a LIST, STRUCT, MAP or ARRAY are refused naming the column.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
source "$DUCKFLOW_TOP/tests/support/types/compare.sh"
echo "1..21"

mkdir -p sql
cat >sql/row.sql <<'SQL'
SELECT
 [[1, 2], [], NULL, [3]]::INTEGER[][] AS c_list_list,
 [{'a': 1, 'b': 'x'}, NULL, {'a': NULL, 'b': 'y'}] AS c_list_struct,
 {'l': [1, 2, NULL], 's': {'t': ['a', 'b'], 'n': 9007199254740993::BIGINT}, 'e': []::VARCHAR[]} AS c_struct_list,
 MAP {'k': [1, 2], 'z': NULL} AS c_map_list,
 MAP {1: {'x': 1.5::DOUBLE}, 2: NULL} AS c_map_struct,
 [MAP {'a': 1}, MAP {}] AS c_list_map,
 [[1, 2], [3, 4]]::INTEGER[2][2] AS c_array_array,
 [[1, 2, 3]]::INTEGER[3][] AS c_list_array,
 {'a': [1, 2]::INTEGER[2]} AS c_struct_array,
 ['ok'::ENUM('sad', 'ok'), NULL] AS c_list_enum,
 {'e': 'sad'::ENUM('sad', 'ok'), 'b': '101'::BIT, 'ts': TIMESTAMP_S '2024-02-29 12:34:56'} AS c_struct_conv,
 MAP {'ms': [TIMESTAMP_MS '2024-02-29 12:34:56.123']} AS c_map_conv,
 [DECIMAL '12.34', NULL]::DECIMAL(10,2)[] AS c_list_dec,
 [{'u': 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, 'i': INTERVAL '1 day', 'd': DATE '2024-02-29'}] AS c_list_struct_misc,
 NULL::STRUCT(a INTEGER[], m MAP(VARCHAR, DOUBLE)) AS c_null_nested,
 {'HUGEINT': 1, 'union': 'x', 'BIT': 2, 'TIMESTAMP_S': 3, 'it''s': 'ok'::ENUM('ok', 'it''s')} AS c_type_names
SQL
cat >p.yaml <<'YAML'
name: nested
defaults: {memory_limit: 300MB, threads: 1, retries: 0}
steps:
  make:
    sql: sql/make.sql
    outputs: [t]
  compare:
    inputs: {t: make.t}
    sql: sql/compare.sql
    outputs: [cmp]
YAML
{ echo "CREATE TABLE t AS"; cat sql/row.sql; echo ";"; } >sql/make.sql
types_compare_sql sql/row.sql >sql/compare.sql

expect_ok "the pipeline runs" "$DUCKFLOW" run p.yaml
types_check_same 16 "16 nested columns, all equal downstream"
expect_match "a LIST of LIST stays" '^c_list_list INTEGER\[\]\[\] -> INTEGER\[\]\[\]$' types.txt
expect_match "a STRUCT of LIST and STRUCT stays" '^c_struct_list STRUCT\(l INTEGER\[\], s STRUCT\(t VARCHAR\[\], n BIGINT\), e VARCHAR\[\]\) -> STRUCT\(l INTEGER\[\], s STRUCT\(t VARCHAR\[\], n BIGINT\), e VARCHAR\[\]\)$' types.txt
expect_match "a MAP of STRUCT stays" '^c_map_struct MAP\(INTEGER, STRUCT\(x DOUBLE\)\) -> MAP\(INTEGER, STRUCT\(x DOUBLE\)\)$' types.txt
expect_match "an ARRAY of ARRAY arrives as a LIST of LIST" '^c_array_array INTEGER\[2\]\[2\] -> INTEGER\[\]\[\]$' types.txt
expect_match "ENUM, BIT, TIMESTAMP_S inside a STRUCT are converted" \
    "^c_struct_conv STRUCT\(e ENUM\('sad', 'ok'\), b BIT, ts TIMESTAMP_S\) -> STRUCT\(e VARCHAR, b VARCHAR, ts TIMESTAMP\)$" types.txt
expect_match "field names that are type names are kept" \
    "^c_type_names STRUCT\(HUGEINT INTEGER, union VARCHAR, BIT INTEGER, TIMESTAMP_S INTEGER, it's ENUM\('ok', 'it''s'\)\) -> STRUCT\(HUGEINT INTEGER, union VARCHAR, BIT INTEGER, TIMESTAMP_S INTEGER, it's VARCHAR\)$" types.txt
# The manifest's schema is what a reader of the Parquet file sees.
types_check_manifest make t

refused "a LIST of UNION" "CREATE TABLE x AS SELECT [union_value(num := 2)::UNION(num INTEGER, str VARCHAR)] AS u" \
    "column 'u' has type UNION\(num INTEGER, str VARCHAR\)\[\].*cast it to VARCHAR or a STRUCT"
refused "TIME WITH TIME ZONE in a STRUCT" "CREATE TABLE x AS SELECT {'t': TIMETZ '12:34:56+02'} AS tz" \
    "column 'tz' has type STRUCT\(t TIME WITH TIME ZONE\).*cast it to TIME \(at UTC\) or VARCHAR"
refused "UHUGEINT as a MAP value" "CREATE TABLE x AS SELECT MAP {'a': 1::UHUGEINT} AS m" \
    "column 'm' has type MAP\(VARCHAR, UHUGEINT\).*DOUBLE, losing digits.*cast it to"
refused "an ARRAY of HUGEINT" "CREATE TABLE x AS SELECT [1, 2]::HUGEINT[2] AS a" \
    "column 'a' has type HUGEINT\[2\].*DOUBLE, losing digits.*cast it to"
