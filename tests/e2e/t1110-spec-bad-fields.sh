#!/usr/bin/env bash
# t1110: unknown fields at every level are refused with the list of allowed fields, and
# fields of the wrong shape say what they should be: exit 2, FILE:LINE:COL, no store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..46"

bad() { # FILE LINE:COL REGEX
    expect_code 2 "$1: exit 2" "$DUCKFLOW" validate "$1"
    expect_match "$1: error at $2" "^duckflow: $1:$2: $3" "$errout"
    check "$1: one line" test "$(wc -l <"$errout")" -eq 1
}

printf 'name: x\nstepz:\n  a: {sql: SELECT 1}\n' >top.yaml
bad top.yaml 2:1 "unknown field 'stepz' in the pipeline \(allowed: name, description, params, defaults, steps, argo\)$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    output: [t]\n' >step.yaml
bad step.yaml 5:5 "unknown field 'output' in step 'a' \(allowed: sql, description, inputs, outputs, foreach, after, checks, memory_limit, threads, retries, timeout, allow_empty, scratch, argo\)$"
printf 'name: x\ndefaults:\n  memory: 1GB\nsteps:\n  a: {sql: SELECT 1}\n' >defaults.yaml
bad defaults.yaml 3:3 "unknown field 'memory' in defaults \(allowed: memory_limit, threads, retries, timeout, scratch\)$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    foreach: {ranges: 3}\n' >foreach.yaml
bad foreach.yaml 5:15 "unknown field 'ranges' in foreach \(allowed: range, values, each, files, per_task, rows\)$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    outputs:\n      t: {sort_by: [x]}\n' >output.yaml
bad output.yaml 6:11 "unknown field 'sort_by' in output 't' \(allowed: partition_by, order_by, file_size, compression\)$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    inputs:\n      v: {url: x.csv}\n' >input.yaml
bad input.yaml 6:11 "unknown field 'url' in input 'v' \(allowed: uri, format, options\)$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    checks:\n      - {name: c, query: SELECT 1}\n' >check.yaml
bad check.yaml 6:19 "unknown field 'query' in a check \(allowed: name, sql, severity\)$"

printf 'name: x\nsteps: [a, b]\n' >stepslist.yaml
bad stepslist.yaml 2:8 'steps must be a mapping'
printf 'name: x\nsteps:\n  a: SELECT 1\n' >stepscalar.yaml
bad stepscalar.yaml 3:6 "step 'a' must be a mapping of fields"
printf 'name: x\nsteps:\n  a: {sql: SELECT 1, inputs: [x.csv]}\n' >inputslist.yaml
bad inputslist.yaml 3:30 'inputs must be a mapping'
printf 'name: x\nsteps:\n  a: {sql: SELECT 1, checks: {name: c}}\n' >checksmap.yaml
bad checksmap.yaml 3:30 'checks must be a list'
printf 'name: x\nsteps:\n  a: {sql: [SELECT 1]}\n' >sqllist.yaml
bad sqllist.yaml 3:12 'sql must be a string, not a list'
printf 'name: [x]\nsteps:\n  a: {sql: SELECT 1}\n' >namelist.yaml
bad namelist.yaml 1:7 'name must be a string'
printf 'name: x\nsteps:\n  a: {sql: SELECT 1, inputs: {v: {format: csv}}}\n' >nouri.yaml
bad nouri.yaml 3:34 "input 'v' needs a uri"
printf 'name: x\nsteps:\n  a: {sql: SELECT 1, checks: [{name: c}]}\n' >nochecksql.yaml
bad nochecksql.yaml 3:31 'a check needs sql'

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
