#!/usr/bin/env bash
# t1170: `duckflow validate` parses every SQL text with DuckDB's parser: a syntax error in
# an SQL file, inline SQL (plain or block), a check or a foreach rows query is reported at
# the line and column in its own file where DuckDB's parser places it (the failing
# statement's start when it gives no position: "at end of input"), exit 2; --no-sql skips it.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..23"

bad() { # FILE LINE:COL REGEX
    expect_code 2 "$1: exit 2" "$DUCKFLOW" validate "$1"
    expect_match "$1: error at $2" "^duckflow: $3" "$errout"
    check "$1: one line" test "$(wc -l <"$errout")" -eq 1
    expect_ok "$1: --no-sql skips the parse" "$DUCKFLOW" validate --no-sql "$1"
}

mkdir -p sql
printf -- '-- make t\nCREATE TABLE t AS SELECT 1 AS x;\n\n  SELEC x FROM t;\n' >sql/gen.sql
printf 'name: x\nsteps:\n  gen:\n    sql: sql/gen.sql\n' >file.yaml
bad file.yaml 4:3 "sql/gen.sql:4:3: step 'gen': statement 2: Parser Error: syntax error at or near \"SELEC\"$"

cat >block.yaml <<'YAML'
name: x
steps:
  a:
    sql: |
      CREATE TABLE t AS SELECT 1 AS x;
      SELECT * FRM t;
YAML
bad block.yaml 6:20 'block.yaml:6:20: step .a.: statement 2: Parser Error: syntax error at or near "t"$'

printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1; SELECT FROM WHERE\n' >plain.yaml
bad plain.yaml 4:32 'plain.yaml:4:32: step .a.: statement 2: Parser Error: syntax error at or near "WHERE"$'

cat >check.yaml <<'YAML'
name: x
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
    checks:
      - name: t has rows
        sql: SELECT 1 WHERE
YAML
bad check.yaml 8:14 "check.yaml:8:14: step 'a': check 't has rows': statement 1: Parser Error: syntax error at end of input$"

cat >rows.yaml <<'YAML'
name: x
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
  b:
    inputs: {t: a.t}
    foreach: {rows: "SELECT DISTINCT FROM t"}
    sql: SELECT 1
YAML
bad rows.yaml 8:38 "rows.yaml:8:38: step 'b': foreach rows: statement 1: Parser Error: syntax error at or near \"FROM\"$"

# Statements that parse but would fail to bind (unknown tables) are left to the run.
printf 'name: x\nsteps:\n  a:\n    sql: SELECT * FROM not_created_yet\n' >binds.yaml
expect_ok "unknown tables are not a syntax error" "$DUCKFLOW" validate binds.yaml
# Semicolons inside strings and comments do not split statements.
printf "name: x\nsteps:\n  a:\n    sql: |\n      -- a; comment\n      SELECT 'a;b' AS s; /* ; */ SELECT 2\n" >strings.yaml
expect_ok "quoted semicolons" "$DUCKFLOW" validate strings.yaml

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
