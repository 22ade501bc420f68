#!/usr/bin/env bash
# t3520: messages that say what happened instead of DuckDB's guesses: a declared output
# the SQL did not create, and a query of a step with no committed task in the run.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"

cat >p.yaml <<'YAML'
name: not-created
defaults: {threads: 1, memory_limit: 100MB, retries: 0}
steps:
  x:
    sql: CREATE TABLE t AS SELECT 1 AS a; CREATE VIEW u AS SELECT * FROM t;
    outputs: [t, missing_table]
  merge:
    sql: CREATE TABLE m AS SELECT nope;
    outputs: [m]
  fine:
    sql: CREATE TABLE f AS SELECT 1 AS one;
    outputs: [f]
  per:
    foreach: {values: [north, south]}
    sql: CREATE TABLE r AS SELECT nope;
    outputs: [r]
YAML

expect_code 1 "the run fails" "$DUCKFLOW" run p.yaml
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
check "the missing output is named with what was created" \
    grep -qE "^failed +x \(sql_error, attempt 1\): step 'x' did not create table 'missing_table' \(it created: t, u\) \(log: duckflow logs $RUN x\)$" run.err
check "no pg_catalog guess" bash -c "! grep -q 'pg_' run.err"
expect_code 1 "querying a failed step" "$DUCKFLOW" query "SELECT * FROM merge.m"
cp "$errout" q.err
check "says it has no committed task, why, and where the log is" \
    grep -qxF "duckflow: step 'merge' has no committed task in run $RUN (merge failed: sql_error; see 'duckflow logs $RUN merge')" q.err
expect_code 1 "querying a failed fan-out step" "$DUCKFLOW" query "SELECT * FROM per.r"
cp "$errout" per.err
check "names the task by its label" \
    grep -qxF "duckflow: step 'per' has no committed task in run $RUN (per[north] failed: sql_error; see 'duckflow logs $RUN per[north]')" per.err
expect_ok "and that logs command works" "$DUCKFLOW" logs "$RUN" 'per[north]'

expect_ok "a committed step reads fine" "$DUCKFLOW" query --format csv "SELECT * FROM fine.f"
expect_code 1 "an unknown table keeps DuckDB's message" "$DUCKFLOW" query "SELECT * FROM fine.nothere"
cp "$errout" unknown.err
check "DuckDB's message" grep -q "Catalog Error" unknown.err
