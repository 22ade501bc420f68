#!/usr/bin/env bash
# t1150: params: an unknown --param, a value of the wrong type, a foreach naming an
# undeclared or mistyped param, an override pushing a range past its limit: exit 2,
# FILE:LINE:COL pointing at the declaration, no store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..34"

cat >pipeline.yaml <<'YAML'
name: params
params:
  chunks: 4
  ratio: 0.25
  strict: false
  label: hello
  regions: [eu, us]
steps:
  a:
    foreach: {range: chunks}
    sql: SELECT 1
  b:
    foreach: {values: regions}
    sql: SELECT 1
YAML

bad() { # LINE:COL REGEX ARGS... (extra arguments to validate)
    local at=$1 re=$2
    shift 2
    expect_code 2 "$*: exit 2" "$DUCKFLOW" validate pipeline.yaml "$@"
    expect_match "$*: error at $at" "^duckflow: pipeline.yaml:$at: $re" "$errout"
    check "$*: one line" test "$(wc -l <"$errout")" -eq 1
}

bad 3:3 "unknown param 'chunk' in --param chunk=3 \(declared: chunks, ratio, strict, label, regions\); did you mean 'chunks'\?$" --param chunk=3
bad 3:11 "--param chunks=four: param 'chunks' is an integer$" --param chunks=four
bad 3:11 "--param chunks=2.5: param 'chunks' is an integer$" --param chunks=2.5
bad 4:10 "--param ratio=half: param 'ratio' is a number$" --param ratio=half
bad 5:11 "--param strict=maybe: param 'strict' is a boolean" --param strict=maybe
bad 7:12 "--param regions=eu: param 'regions' is a list, given as JSON" --param regions=eu
bad 10:22 "foreach range: param 'chunks' is 2000000, out of range \(0 to 1000000\)$" --param chunks=2000000
bad 10:22 "foreach range: param 'chunks' is -1, out of range" --param chunks=-1
expect_ok "a good override still passes" "$DUCKFLOW" validate pipeline.yaml --param chunks=8 --param label=x=y
expect_ok "a later override wins" "$DUCKFLOW" items pipeline.yaml --run r --step a --param chunks=9 --param chunks=2
check "with its value" test "$(cat "$out")" = '[0,1]'

cat >undeclared.yaml <<'YAML'
name: params
steps:
  a:
    foreach: {range: chunks}
    sql: SELECT 1
YAML
expect_code 2 "range of an undeclared param" "$DUCKFLOW" validate undeclared.yaml
expect_match "is named" "^duckflow: undeclared.yaml:4:22: unknown param 'chunks' in foreach range \(declare it under params\)$" "$errout"
expect_code 2 "an override with no params declared" "$DUCKFLOW" validate undeclared.yaml --param chunks=3
expect_match "says none are declared" "^duckflow: undeclared.yaml:1:1: unknown param 'chunks' in --param chunks=3 \(no params are declared\)$" "$errout"

cat >mistyped.yaml <<'YAML'
name: params
params:
  chunks: four
  one: [a]
steps:
  a:
    foreach: {range: chunks}
    sql: SELECT 1
  b:
    foreach: {values: chunks}
    sql: SELECT 1
YAML
expect_code 2 "range of a string param" "$DUCKFLOW" validate mistyped.yaml
expect_match "is named" "^duckflow: mistyped.yaml:7:22: foreach range: param 'chunks' is not an integer$" "$errout"

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
