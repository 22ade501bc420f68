#!/usr/bin/env bash
# t1200: run, plan, graph and argo check every SQL text as validate does before anything
# runs: a syntax error in a downstream step is reported as FILE:LINE:COL with exit 2, and
# `run` has run no upstream step (no store written). Step and output names that DuckDB
# cannot take unquoted as step.table (keywords such as `summarize`) are refused by
# validate and the others, with the reason and a name that works.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..21"

cat >late.yaml <<'YAML'
name: late
steps:
  first:
    sql: CREATE TABLE a AS SELECT 1 AS x;
    outputs: [a]
  second:
    inputs: {a: first.a}
    sql: |
      CREATE TABLE b AS SELECT x FROM a;
      SELEC x FROM b;
    outputs: [b]
YAML
msg='^duckflow: late.yaml:10:7: step .second.: statement 2: Parser Error: syntax error at or near "SELEC"$'
for cmd in run plan graph; do
    expect_code 2 "$cmd: exit 2 on a syntax error downstream" "$DUCKFLOW" $cmd late.yaml
    expect_match "$cmd: FILE:LINE:COL" "$msg" "$errout"
done
expect_code 2 "argo: exit 2" "$DUCKFLOW" argo late.yaml --image img:1 --store s3://bucket/prefix
expect_match "argo: FILE:LINE:COL" "$msg" "$errout"
check "run ran nothing: no store" test ! -e .duckflow

cat >kw.yaml <<'YAML'
name: kw
steps:
  summarize:
    sql: CREATE TABLE lineitem_summary AS SELECT 1 AS x;
    outputs: [lineitem_summary]
YAML
expect_code 2 "validate refuses a step named summarize" "$DUCKFLOW" validate kw.yaml
expect_match "with the place, the reason and a suggestion" \
    "^duckflow: kw.yaml:3:3: step name 'summarize' cannot be used unquoted in SQL as summarize.table \(DuckDB reads it as a keyword\); rename the step, e.g. 'summarize_step'$" "$errout"
expect_code 2 "validate --no-sql refuses it too" "$DUCKFLOW" validate --no-sql kw.yaml
expect_code 2 "run refuses it" "$DUCKFLOW" run kw.yaml
check "run wrote nothing" test ! -e .duckflow
sed 's/summarize/summarize_step/' kw.yaml >kw2.yaml
expect_ok "the suggested name works" "$DUCKFLOW" run kw2.yaml
expect_ok "and is queried unquoted" "$DUCKFLOW" query --format csv 'SELECT count(*) FROM summarize_step.lineitem_summary'
expect_match "one row" '^1$' "$out"

cat >kwt.yaml <<'YAML'
name: kwt
steps:
  s:
    sql: CREATE TABLE "select" AS SELECT 1 AS x;
    outputs: [select]
YAML
expect_ok "an output named select is fine: after the dot any name parses" "$DUCKFLOW" validate kwt.yaml
rm -rf .duckflow
expect_ok "it runs" "$DUCKFLOW" run kwt.yaml
expect_ok "and is queried unquoted" "$DUCKFLOW" query --format csv 'SELECT count(*) FROM s.select'
expect_match "one row" '^1$' "$out"
