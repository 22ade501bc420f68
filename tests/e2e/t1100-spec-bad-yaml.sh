#!/usr/bin/env bash
# t1100: malformed YAML is refused before anything runs: exit 2, one line
# "FILE:LINE:COL: message" from every command that loads a pipeline, no store created.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..185"

# bad FILE LINE:COL REGEX - every loading command refuses FILE at LINE:COL.
bad() {
    local f=$1 at=$2 re=$3 cmd
    for cmd in validate plan graph; do
        expect_code 2 "$f: $cmd exits 2" "$DUCKFLOW" $cmd "$f"
        expect_match "$f: $cmd names $at" "^duckflow: $f:$at: $re" "$errout"
        check "$f: $cmd prints one line" test "$(wc -l <"$errout")" -eq 1
        check "$f: $cmd prints nothing on stdout" test ! -s "$out"
    done
    expect_code 2 "$f: items exits 2" "$DUCKFLOW" items "$f" --run r1 --step a
    expect_match "$f: items names $at" "^duckflow: $f:$at: $re" "$errout"
}

printf 'name: x\nsteps:\n  a: {sql: SELECT 1\n' >unclosed.yaml
bad unclosed.yaml 4:1 "yaml syntax error: did not find expected ',' or '}' while parsing a flow mapping started at line 3"
printf 'name: x\nsteps:\n\ta: {sql: SELECT 1}\n' >tab.yaml
bad tab.yaml 3:1 'yaml syntax error: a tab character; indent with spaces'
printf 'name: x\nsteps:\n  a:\n    sql: SELECT 1\n   bad: indent\n' >indent.yaml
bad indent.yaml 5:4 'yaml syntax error'
printf 'name: x\nsteps:\n  a: {sql: "SELECT 1}\n' >quote.yaml
bad quote.yaml 4:1 'yaml syntax error: found unexpected end of stream while scanning a quoted scalar started at line 3'
printf '' >empty.yaml
bad empty.yaml 1:1 'pipeline file is empty$'
printf '# only a comment\n' >comment.yaml
bad comment.yaml 1:1 'pipeline file is empty$'
printf -- '- a\n- b\n' >list.yaml
bad list.yaml 1:1 'a pipeline file must be a mapping'
printf 'name: x\nsteps:\n  a: {sql: SELECT 1}\n---\nname: y\n' >twodocs.yaml
bad twodocs.yaml 4:1 'a pipeline file holds one yaml document'
printf 'name: x\nsteps:\n  a: {sql: SELECT 1}\n  b: {sql: SELECT 2}\n  a: {sql: SELECT 3}\n' >dupstep.yaml
bad dupstep.yaml 5:3 "duplicate key 'a' \(first at line 3\)"
printf 'name: x\nsteps:\n  a: {sql: SELECT 1, sql: SELECT 2}\n' >dupfield.yaml
bad dupfield.yaml 3:22 "duplicate key 'sql' \(first at line 3\)"
printf 'name: x\nsteps:\n  a: {sql: *q}\n' >anchor.yaml
bad anchor.yaml 3:12 "unknown yaml anchor 'q'"
printf 'name: x\nsteps:\n  ? [a, b]\n  : {sql: SELECT 1}\n' >complexkey.yaml
bad complexkey.yaml 3:5 'mapping keys must be plain strings'
printf 'name: x\nsteps:\n  a: {sql: "SELECT \\0 1"}\n' >nul.yaml
bad nul.yaml 3:12 'sql holds a NUL character'

# A file over the size cap is refused without being parsed.
head -c 17000000 /dev/zero | tr '\0' '#' >huge.yaml
expect_code 2 "a 17 MB file exits 2" "$DUCKFLOW" validate huge.yaml
expect_match "says it is too large" '^duckflow: huge.yaml:1:1: pipeline file is larger than 16 MB$' "$errout"

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
