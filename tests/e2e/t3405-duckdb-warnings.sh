#!/usr/bin/env bash
# t3405: DuckDB's warnings land in the task log (issue 13 point 5). DuckDB 1.4's C API has
# no warning callback; the task's connection enables DuckDB's logger at level WARN and
# prints its entries after each statement ("duckdb warning (TYPE): MESSAGE"). write_log()
# is DuckDB's own way to log from SQL: a warning logged that way shows up, an INFO entry
# does not, and a warning logged before a failing statement is kept in the failed
# attempt's log.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..8"

cat >p.yaml <<'YAML'
name: wn
params:
  bad: 0
defaults:
  retries: 0
steps:
  s:
    sql: |
      SELECT write_log('careful: odd input', level := 'warn', log_type := 'duckflow_test') IS NULL AS logged;
      SELECT write_log('only information', level := 'info', log_type := 'duckflow_test') IS NULL AS logged;
      CREATE TABLE t AS SELECT 1 AS x WHERE error_if_bad(getvariable('bad'));
    outputs: [t]
YAML
# error_if_bad: fails the statement when bad = 1
sed -i "s/WHERE error_if_bad(getvariable('bad'))/WHERE CASE WHEN getvariable('bad') = 1 THEN error('bad input') ELSE true END/" p.yaml

expect_ok "a run whose step logs a DuckDB warning" "$DUCKFLOW" run -q p.yaml
expect_ok "its log" "$DUCKFLOW" logs latest s
cp "$out" ok.log
expect_match "has the warning, with its type" '^duckdb warning \(duckflow_test\): careful: odd input$' ok.log
check "once" test "$(grep -c 'careful: odd input' ok.log)" -eq 1
check "not the INFO entry" bash -c "! grep -q 'only information' ok.log"

expect_code 1 "a failing run" "$DUCKFLOW" run -q p.yaml --param bad=1
expect_ok "the failed attempt's log" "$DUCKFLOW" logs latest s
expect_match "keeps the warning logged before the failure" 'duckdb warning \(duckflow_test\): careful: odd input' "$out"
