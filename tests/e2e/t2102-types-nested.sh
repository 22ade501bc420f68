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
{ echo "CREATE TABLE want AS"; cat sql/row.sql; echo ";"
  cat <<'SQL'
CREATE TABLE got_t AS SELECT * FROM (UNPIVOT (SELECT typeof(COLUMNS(*)) FROM t LIMIT 1) ON COLUMNS(*) INTO NAME col VALUE type);
CREATE TABLE got_v AS SELECT * FROM (UNPIVOT (SELECT coalesce(COLUMNS(*)::VARCHAR, '<null>') FROM t) ON COLUMNS(*) INTO NAME col VALUE v);
CREATE TABLE want_v AS SELECT * FROM (UNPIVOT (SELECT coalesce(COLUMNS(*)::VARCHAR, '<null>') FROM want) ON COLUMNS(*) INTO NAME col VALUE v);
CREATE TABLE want_t AS SELECT * FROM (UNPIVOT (SELECT typeof(COLUMNS(*)) FROM want LIMIT 1) ON COLUMNS(*) INTO NAME col VALUE type);
CREATE TABLE cmp AS
  SELECT w.col, wt.type AS made_as, gt.type AS read_as, w.v AS made, g.v AS read, w.v = g.v AS same
  FROM want_v w JOIN got_v g USING (col) JOIN got_t gt USING (col) JOIN want_t wt USING (col);
SQL
} >sql/compare.sql

expect_ok "the pipeline runs" "$DUCKFLOW" run p.yaml
q() { # csv without quotes
    set -o pipefail
    "$DUCKFLOW" query --format csv "$@" | tr -d '"'
}
expect_ok "query the comparison" q 'SELECT count(*), count(*) FILTER (WHERE same) FROM compare.cmp'
expect_match "16 nested columns, all equal downstream" '^16,16$' "$out"
expect_ok "no value changed" q "SELECT col, made, read FROM compare.cmp WHERE NOT same"
check "(none listed)" test "$(wc -l <"$out")" -eq 1
expect_ok "types as read downstream" q "SELECT col || ' ' || made_as || ' -> ' || read_as FROM compare.cmp ORDER BY col"
cp "$out" types.txt
expect_match "a LIST of LIST stays" '^c_list_list INTEGER\[\]\[\] -> INTEGER\[\]\[\]$' types.txt
expect_match "a STRUCT of LIST and STRUCT stays" '^c_struct_list STRUCT\(l INTEGER\[\], s STRUCT\(t VARCHAR\[\], n BIGINT\), e VARCHAR\[\]\) -> STRUCT\(l INTEGER\[\], s STRUCT\(t VARCHAR\[\], n BIGINT\), e VARCHAR\[\]\)$' types.txt
expect_match "a MAP of STRUCT stays" '^c_map_struct MAP\(INTEGER, STRUCT\(x DOUBLE\)\) -> MAP\(INTEGER, STRUCT\(x DOUBLE\)\)$' types.txt
expect_match "an ARRAY of ARRAY arrives as a LIST of LIST" '^c_array_array INTEGER\[2\]\[2\] -> INTEGER\[\]\[\]$' types.txt
expect_match "ENUM, BIT, TIMESTAMP_S inside a STRUCT are converted" \
    "^c_struct_conv STRUCT\(e ENUM\('sad', 'ok'\), b BIT, ts TIMESTAMP_S\) -> STRUCT\(e VARCHAR, b VARCHAR, ts TIMESTAMP\)$" types.txt
expect_match "field names that are type names are kept" \
    "^c_type_names STRUCT\(HUGEINT INTEGER, union VARCHAR, BIT INTEGER, TIMESTAMP_S INTEGER, it's ENUM\('ok', 'it''s'\)\) -> STRUCT\(HUGEINT INTEGER, union VARCHAR, BIT INTEGER, TIMESTAMP_S INTEGER, it's VARCHAR\)$" types.txt
# The manifest's schema is what a reader of the Parquet file sees.
M=$(find .duckflow -path '*/make/00000/_manifest.json')
F=$(dirname "$M")/$(jget "$M" 'm.tables.t.files[0].path')
jget "$M" 'm.tables.t.schema.map(c => c.name + " " + c.type).join("\n")' >manifest.txt
"$DUCKFLOW" query --format csv "SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM read_parquet('$F'))" |
    python3 -c 'import csv, sys; [print(r[0]) for r in list(csv.reader(sys.stdin))[1:]]' >parquet.txt
check "the manifest records the reader's types" diff manifest.txt parquet.txt

refused() { # WHAT SQL REGEX
    printf 'name: bad\ndefaults: {retries: 0, threads: 1, memory_limit: 200MB}\nsteps:\n  w:\n    sql: "%s"\n    outputs: [x]\n' "$2" >bad.yaml
    expect_code 1 "$1 is refused" "$DUCKFLOW" run bad.yaml
    expect_match "$1: the column, its type and a cast are named" "$3" "$errout"
}
refused "a LIST of UNION" "CREATE TABLE x AS SELECT [union_value(num := 2)::UNION(num INTEGER, str VARCHAR)] AS u" \
    "column 'u' has type UNION\(num INTEGER, str VARCHAR\)\[\].*cast it to VARCHAR or a STRUCT"
refused "TIME WITH TIME ZONE in a STRUCT" "CREATE TABLE x AS SELECT {'t': TIMETZ '12:34:56+02'} AS tz" \
    "column 'tz' has type STRUCT\(t TIME WITH TIME ZONE\).*cast it to TIME \(at UTC\) or VARCHAR"
refused "UHUGEINT as a MAP value" "CREATE TABLE x AS SELECT MAP {'a': 1::UHUGEINT} AS m" \
    "column 'm' has type MAP\(VARCHAR, UHUGEINT\).*DOUBLE, losing digits.*cast it to"
refused "an ARRAY of HUGEINT" "CREATE TABLE x AS SELECT [1, 2]::HUGEINT[2] AS a" \
    "column 'a' has type HUGEINT\[2\].*DOUBLE, losing digits.*cast it to"
