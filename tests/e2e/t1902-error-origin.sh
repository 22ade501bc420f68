#!/usr/bin/env bash
# t1902: errors remember where they arose. With DUCKFLOW_DEBUG set, a failing command
# prints, after its one-line message, the source file and line that set the error and
# the origin's code (the error table, util/error.h); without it, only the message.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..7"

unset DUCKFLOW_DEBUG
expect_code 2 "a missing pipeline file fails with status 2" "$DUCKFLOW" validate missing.yaml
check "  one line, no origin without DUCKFLOW_DEBUG" test "$(wc -l <"$errout")" -eq 1
expect_code 2 "the same with DUCKFLOW_DEBUG=1" env DUCKFLOW_DEBUG=1 "$DUCKFLOW" validate missing.yaml
expect_match "  names the file and line in src/ and the code" \
    '^duckflow: \(the error arose at src/[a-z_]+/[a-z_]+\.c:[0-9]+ \((usage|io|failed|not_found)\)\)$' "$errout"
line=$(sed -nE 's/.*arose at (src\/[a-z_\/]+\.c):([0-9]+) .*/\1 \2/p' "$errout")
check "  and that line sets an error" sh -c "f=\${1% *}; n=\${1#* }; sed -n \"\${n}p\" \"$DUCKFLOW_TOP/\$f\" | grep -qE 'df_error_(set|errno)|spec_fail'" _ "$line"

# A task's store error keeps the origin's code: the step's class decides the exit status.
cat >pipeline.yaml <<'YAML'
name: origin
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT * FROM t
    outputs: [u]
YAML
expect_code 20 "a task whose upstream never ran exits 20 (upstream_failed)" \
    env DUCKFLOW_DEBUG=1 "$DUCKFLOW" step pipeline.yaml --run r1 --step b
expect_match "  and says where it arose" '^duckflow: \(the error arose at src/engine/[a-z_]+\.c:[0-9]+ \((not_found|failed|io)\)\)$' "$errout"
