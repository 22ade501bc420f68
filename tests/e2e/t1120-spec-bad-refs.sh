#!/usr/bin/env bash
# t1120: references that do not resolve: unknown steps in inputs, after, each and files,
# tables a step does not output, unknown input names: exit 2, FILE:LINE:COL, no store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..25"

bad() { # FILE LINE:COL REGEX
    expect_code 2 "$1: exit 2" "$DUCKFLOW" validate "$1"
    expect_match "$1: error at $2" "^duckflow: $1:$2: $3" "$errout"
    check "$1: one line" test "$(wc -l <"$errout")" -eq 1
}

cat >input-step.yaml <<'YAML'
name: x
steps:
  a:
    sql: SELECT 1
    outputs: [t]
  b:
    sql: SELECT 1
    inputs:
      v: c.t
YAML
bad input-step.yaml 9:10 "input 'v': unknown step 'c' in 'c.t'$"

cat >input-table.yaml <<'YAML'
name: x
steps:
  a:
    sql: SELECT 1
    outputs: [t, u]
  b:
    sql: SELECT 1
    inputs:
      v: a.w
YAML
bad input-table.yaml 9:10 "input 'v': step 'a' has no output 'w' \(its outputs: t, u\)$"

cat >after.yaml <<'YAML'
name: x
steps:
  a:
    sql: SELECT 1
    after: [a2, b]
  b:
    sql: SELECT 1
YAML
bad after.yaml 5:13 "after: unknown step 'a2'$"

cat >each.yaml <<'YAML'
name: x
steps:
  a:
    sql: SELECT 1
    foreach: {each: generate}
YAML
bad each.yaml 5:21 "foreach each: unknown step 'generate'$"

cat >files.yaml <<'YAML'
name: x
steps:
  a:
    sql: SELECT 1
    outputs: [t]
  b:
    sql: SELECT 1
    foreach: {files: a.nope}
YAML
bad files.yaml 8:22 "foreach files: step 'a' has no output 'nope' \(its outputs: t\)$"

cat >files-input.yaml <<'YAML'
name: x
steps:
  b:
    sql: SELECT 1
    inputs: {logs: data/*.parquet}
    foreach: {files: log}
YAML
bad files-input.yaml 6:22 "foreach files: 'log' is neither an input of step 'b' nor step.table"

cat >unknown-format.yaml <<'YAML'
name: x
steps:
  b:
    sql: SELECT 1
    inputs:
      logs: data/logs.txt
YAML
bad unknown-format.yaml 6:13 "input 'logs': cannot tell the format of '.*/data/logs.txt' from its name"

cat >scheme.yaml <<'YAML'
name: x
steps:
  b:
    sql: SELECT 1
    inputs:
      logs: https://example.com/logs.csv
YAML
bad scheme.yaml 6:13 "unsupported uri scheme in 'https://example.com/logs.csv'"

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
