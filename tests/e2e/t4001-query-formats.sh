#!/usr/bin/env bash
# t4001: `duckflow query` output: the aligned table, CSV quoting, JSON lines with nested
# values, Parquet through --output (read back by query), --output for text formats,
# several statements (the last one's result), SQL on stdin.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..27"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"
mkdir -p "$S/p/runs/r1"
echo '{"status":"succeeded","started_at":"2026-11-27T10:00:00.000Z"}' >"$S/p/runs/r1/run.json"

expect_ok "table is the default" "$DUCKFLOW" query "SELECT 'x' AS name, 1.5 AS v, NULL AS n"
expect_match "header" '^ name \| +v \| +n$' "$out"
expect_match "numbers right-aligned, NULL shown" '^ x +\| 1\.5 \| NULL$' "$out"
expect_match "row count" '^\(1 row\)$' "$out"

expect_ok "wide cells are cut" "$DUCKFLOW" query --max-width 10 "SELECT repeat('a', 50) AS w"
expect_match "cut with ..." '^ aaaaaaa\.\.\.$' "$out"

expect_ok "csv quotes what needs it" "$DUCKFLOW" query --format csv \
    "SELECT 'a,b' AS x, 'say \"hi\"' AS y, NULL AS z, 3 AS n"
expect_match "csv header" '^x,y,z,n$' "$out"
expect_match "csv row" '^"a,b","say ""hi""",,3$' "$out"

expect_ok "json lines with nested values" "$DUCKFLOW" query --format json \
    "SELECT 1 AS i, 'q\"' AS s, [1, 2] AS l, {'k': 'v'} AS st, NULL AS n, 2.50::DECIMAL(5,2) AS d, true AS b UNION ALL SELECT 2, 'x', [], NULL, 1, 0, false ORDER BY i"
expect_match "first object" '^\{"i":1,"s":"q\\"","l":\[1,2\],"st":\{"k":"v"\},"n":null,"d":2\.5,?0?,"b":true\}$' "$out"
check "two lines" test "$(wc -l <"$out")" -eq 2

expect_ok "parquet needs --output and writes a file" "$DUCKFLOW" query --format parquet \
    --output "$SCRATCH/out.parquet" "SELECT range AS id, 'v' || range AS s FROM range(1000)"
check "parquet file written" test -s "$SCRATCH/out.parquet"
expect_ok "the parquet file reads back" "$DUCKFLOW" query --format csv \
    "SELECT count(*), sum(id), max(s) FROM read_parquet('$SCRATCH/out.parquet')"
expect_match "all rows back" '^1000,499500,v999$' "$out"

expect_ok "--output writes csv to a file" "$DUCKFLOW" query --format csv --output "$SCRATCH/o.csv" \
    "SELECT 42 AS answer"
cp "$out" stdout.txt
check "nothing on stdout" test ! -s stdout.txt
expect_match "file has the result" '^42$' "$SCRATCH/o.csv"

expect_ok "several statements: the last one's result" "$DUCKFLOW" query --format csv \
    "CREATE TABLE t AS SELECT range AS x FROM range(5); INSERT INTO t VALUES (10); SELECT sum(x) AS s FROM t; -- done"
expect_match "sum after insert" '^20$' "$out"
check "only the last result" test "$(wc -l <"$out")" -eq 2

printf 'SELECT 6 * 7 AS answer;\n' >"$SCRATCH/q.sql"
expect_ok "SQL from stdin" bash -c "\"$DUCKFLOW\" query --format csv <\"$SCRATCH/q.sql\""
expect_match "stdin result" '^42$' "$out"

expect_ok "a last statement that is not a query prints too" "$DUCKFLOW" query --format csv \
    "PRAGMA version"
expect_match "pragma columns" '^library_version,source_id,codename$' "$out"
expect_code 2 "parquet needs a query" "$DUCKFLOW" query --format parquet --output "$SCRATCH/p.parquet" \
    "PRAGMA version"
