#!/usr/bin/env bash
# t1160: steps that cannot run: no steps, an empty step, no or empty SQL, a missing SQL
# file, a foreach with two kinds or none, per_task without files, duplicate outputs,
# an output shadowing an input: exit 2, FILE:LINE:COL, no store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..46"

bad() { # FILE LINE:COL REGEX
    expect_code 2 "$1: exit 2" "$DUCKFLOW" validate "$1"
    expect_match "$1: error at $2" "^duckflow: $1:$2: $3" "$errout"
    check "$1: one line" test "$(wc -l <"$errout")" -eq 1
}

printf 'name: x\n' >nosteps.yaml
bad nosteps.yaml 1:1 'pipeline has no steps$'
printf 'name: x\nsteps: {}\n' >emptysteps.yaml
bad emptysteps.yaml 2:8 'pipeline has no steps$'
printf 'name: x\nsteps:\n  a:\n' >emptystep.yaml
bad emptystep.yaml 3:3 "step 'a' is empty: it needs sql$"
printf 'name: x\nsteps:\n  a:\n    outputs: [t]\n' >nosql.yaml
bad nosql.yaml 3:3 "step 'a' has no sql$"
printf 'name: x\nsteps:\n  a:\n    sql: |\n\n    outputs: [t]\n' >emptysql.yaml
bad emptysql.yaml 4:10 "step 'a': sql is empty$"
printf 'name: x\nsteps:\n  a:\n    sql: sql/missing.sql\n' >missing.yaml
bad missing.yaml 4:10 "sql file 'sql/missing.sql' does not exist \(looked for '.*/sql/missing.sql'\)$"
mkdir -p sql && printf '  \n\n' >sql/blank.sql
printf 'name: x\nsteps:\n  a:\n    sql: sql/blank.sql\n' >blank.yaml
bad blank.yaml 4:10 "sql file 'sql/blank.sql' is empty$"
mkdir -p sql/dir.sql
printf 'name: x\nsteps:\n  a:\n    sql: sql/dir.sql\n' >dirsql.yaml
bad dirsql.yaml 4:10 "cannot read sql file 'sql/dir.sql'"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    foreach: {range: 3, values: [a]}\n' >twokinds.yaml
bad twokinds.yaml 5:33 "foreach has two kinds, 'range' and 'values': a step fans out one way$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    foreach: {}\n' >nokind.yaml
bad nokind.yaml 5:14 'foreach needs one of range, values, each, files or rows$'
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    foreach: {values: [a], per_task: 3}\n' >pertask.yaml
bad pertask.yaml 5:38 'per_task goes with foreach files, not values$'
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    foreach: {rows: " "}\n' >norows.yaml
bad norows.yaml 5:21 'foreach rows needs a query$'
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    outputs: [t, u, t]\n' >dupout.yaml
bad dupout.yaml 5:21 "duplicate output 't' in step 'a'$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    inputs: {t: x.csv}\n    outputs: [t]\n' >shadow.yaml
bad shadow.yaml 6:15 "output 't' has the name of an input of step 'a'$"
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n    checks:\n      - {name: c, sql: SELECT 1}\n      - {name: c, sql: SELECT 2}\n' >dupcheck.yaml
bad dupcheck.yaml 7:16 "duplicate check 'c' in step 'a'$"

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
