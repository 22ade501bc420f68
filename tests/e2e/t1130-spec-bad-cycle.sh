#!/usr/bin/env bash
# t1130: cycles among steps (through inputs, after, each and files) are refused and named
# in data-flow order: exit 2, FILE:LINE:COL, no store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..15"

bad() { # FILE LINE:COL REGEX
    expect_code 2 "$1: exit 2" "$DUCKFLOW" validate "$1"
    expect_match "$1: error at $2" "^duckflow: $1:$2: $3" "$errout"
    check "$1: one line" test "$(wc -l <"$errout")" -eq 1
    expect_code 2 "$1: plan exits 2 too" "$DUCKFLOW" plan "$1"
}

cat >two.yaml <<'YAML'
name: x
steps:
  a:
    sql: SELECT 1
    inputs: {v: b.t}
    outputs: [t]
  b:
    sql: SELECT 1
    inputs: {v: a.t}
    outputs: [t]
YAML
bad two.yaml 3:3 'cycle in steps: a -> b -> a$'

cat >self.yaml <<'YAML'
name: x
steps:
  ok:
    sql: SELECT 1
  a:
    sql: SELECT 1
    inputs: {v: a.t}
    outputs: [t]
YAML
bad self.yaml 5:3 'cycle in steps: a -> a$'

cat >mixed.yaml <<'YAML'
name: x
steps:
  start:
    sql: SELECT 1
    outputs: [t]
  a:
    sql: SELECT 1
    foreach: {each: c}
    inputs: {v: start.t}
  b:
    sql: SELECT 1
    after: [a]
    outputs: [t]
  c:
    sql: SELECT 1
    foreach: {files: b.t}
YAML
bad mixed.yaml 6:3 'cycle in steps: a -> b -> c -> a$'

# `run` refuses it the same way, before it creates anything in the store.
expect_code 2 "run refuses a cycle" "$DUCKFLOW" run two.yaml
expect_match "with the same line" '^duckflow: two.yaml:3:3: cycle in steps: a -> b -> a$' "$errout"
check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
