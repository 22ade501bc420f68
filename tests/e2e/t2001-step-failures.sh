#!/usr/bin/env bash
# t2001: failing tasks: a SQL error names the SQL file and line (and the pipeline line for
# inline SQL), a failing check names the check, its row count and its first rows; both exit 1, leave
# <attempt>/_error.json with their class and no manifest. Usage errors exit 2.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..27"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

mkdir -p sql
cat >pipeline.yaml <<'YAML'
name: fails
defaults:
  memory_limit: 128MB
  threads: 1
steps:
  file_error:
    sql: sql/bad.sql
    outputs: [a]
  inline_error:
    sql: |
      CREATE TABLE a AS SELECT 1 AS x;

      SELECT no_such_column FROM a;
    outputs: [a]
  parse_error:
    sql: |
      CREATE TABLE a AS SELECT 1 AS x;
      SELEC 2;
    outputs: [a]
  check_fails:
    sql: CREATE TABLE a AS SELECT range AS x FROM range(5)
    outputs: [a]
    checks:
      - name: fine
        sql: SELECT * FROM a WHERE x > 100
      - name: no threes
        sql: SELECT x, 'three' AS why FROM a WHERE x = 3
  missing_output:
    sql: CREATE TABLE b AS SELECT 1 AS x
    outputs: [a]
YAML
cat >sql/bad.sql <<'SQL'
-- a comment
CREATE TABLE a AS SELECT 1 AS x;
/* a block
   comment */
INSERT INTO a
  SELECT * FROM missing_table;
SQL

expect_code 1 "sql error in a file exits 1" "$DUCKFLOW" step pipeline.yaml --run r1 --step file_error
expect_match "error names step, file, line and column" "^duckflow: step 'file_error' item 0: sql/bad.sql:6:17: Catalog Error: .*missing_table" "$errout"
cp "$errout" file_error.err
check "DuckDB's context line and caret are kept" \
    bash -c "grep -qx 'LINE 2:   SELECT \* FROM missing_table' file_error.err && grep -qxE ' {24}\^' file_error.err"
check "no manifest after a sql error" test ! -e "$S/fails/runs/r1/file_error/00000/_manifest.json"
E=$(ls "$S"/fails/runs/r1/file_error/00000/*/_error.json)
check "_error.json written in the attempt folder" test -f "$E"
check "_error.json says sql_error" test "$(jget "$E" 'm.class + ":" + m.attempt')" = "sql_error:1"
check "_error.json carries the message" test "$(jget "$E" 'm.message.includes("bad.sql:6:17")')" = true
check "no output files are trusted (no manifest) " test -z "$(find "$S/fails/runs/r1/file_error" -name '*.parquet')"

expect_code 1 "inline sql error exits 1" "$DUCKFLOW" step pipeline.yaml --run r1 --step inline_error
expect_match "inline error names the pipeline line" "pipeline.yaml:13:14: Binder Error: .*no_such_column" "$errout"

expect_code 1 "parse error exits 1" "$DUCKFLOW" step pipeline.yaml --run r1 --step parse_error
expect_match "parse error names its line" "pipeline.yaml:18:7: Parser Error: syntax error" "$errout"

expect_code 1 "failing check exits 1" "$DUCKFLOW" step pipeline.yaml --run r1 --step check_fails --attempt 3
expect_match "failing check is named with its row count" "check 'no threes' failed: 1 row:$" "$errout"
expect_match "and its rows as a table" "^  3 \\| three$" "$errout"
check "no manifest after a failed check" test ! -e "$S/fails/runs/r1/check_fails/00000/_manifest.json"
E=$(ls "$S"/fails/runs/r1/check_fails/00000/3-*/_error.json)
check "_error.json says check_failed, attempt 3" test "$(jget "$E" 'm.class + ":" + m.attempt')" = "check_failed:3"

expect_code 1 "a missing output table exits 1" "$DUCKFLOW" step pipeline.yaml --run r1 --step missing_output
expect_match "the table is named" "table 'a'" "$errout"
check "no manifest without every output" test ! -e "$S/fails/runs/r1/missing_output/00000/_manifest.json"

expect_ok "--help exits 0" "$DUCKFLOW" step --help
expect_match "--help prints usage on stdout" "^usage: duckflow step" "$out"
expect_code 2 "missing --run is a usage error" "$DUCKFLOW" step pipeline.yaml --step file_error
expect_code 2 "unknown step is a usage error" "$DUCKFLOW" step pipeline.yaml --run r1 --step nope
expect_code 2 "item out of range is a usage error" "$DUCKFLOW" step pipeline.yaml --run r1 --step check_fails --item 5
expect_code 2 "bad run id is a usage error" "$DUCKFLOW" step pipeline.yaml --run ../x --step check_fails
expect_code 2 "bad --threads is a usage error" "$DUCKFLOW" step pipeline.yaml --run r1 --step check_fails --threads 0
