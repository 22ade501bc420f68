#!/usr/bin/env bash
# t4105: the default store as issue 13 measured it: `duckflow run ../qa/pipeline.yaml` from
# another folder writes ./.duckflow of the current folder, so `duckflow query` from qa/
# finds no runs: it says so with a hint naming the default and how to choose another;
# DUCKFLOW_STORE makes one store from anywhere; `--help` shows DUCKFLOW_STORE.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..13"
mkdir -p qa other
cat >qa/pipeline.yaml <<'YAML'
name: qa
steps:
  a:
    sql: CREATE TABLE t AS SELECT 42 AS x;
    outputs: [t]
YAML
nostore() { env -u DUCKFLOW_STORE "$@"; }
expect_ok "run ../qa/pipeline.yaml from other/" bash -c "cd other && env -u DUCKFLOW_STORE '$DUCKFLOW' run -q ../qa/pipeline.yaml"
check "the store is other/.duckflow" test -d other/.duckflow/qa/runs
check "not qa/.duckflow" test ! -e qa/.duckflow
expect_code 3 "query from qa/ finds no runs" bash -c "cd qa && env -u DUCKFLOW_STORE '$DUCKFLOW' query 'FROM a.t'"
expect_match "and says where it looked and why" "no runs in store '.*/qa/\.duckflow' \(the default store is \./\.duckflow in the current folder, not next to the pipeline file; --store or DUCKFLOW_STORE names another\)" "$errout"
expect_ok "runs from qa/ lists nothing" bash -c "cd qa && env -u DUCKFLOW_STORE '$DUCKFLOW' runs"
expect_match "with the same hint" "no runs in '.*/qa/\.duckflow' \(the default store" "$errout"
expect_code 3 "an explicit --store gets no hint" bash -c "cd qa && env -u DUCKFLOW_STORE '$DUCKFLOW' query --store elsewhere 'SELECT 1'"
cp "$errout" explicit.err
check "(only the store it names)" bash -c "grep -q \"no runs in store '.*/qa/elsewhere'\$\" explicit.err"
expect_ok "DUCKFLOW_STORE: one store from anywhere" bash -c "cd qa && DUCKFLOW_STORE=../other/.duckflow '$DUCKFLOW' query --format csv 'FROM a.t'"
expect_match "42" '^42$' "$out"
nostore "$DUCKFLOW" query --help >qhelp.txt 2>&1
check "query --help names DUCKFLOW_STORE and ./.duckflow" grep -q 'DUCKFLOW_STORE, else ./.duckflow' qhelp.txt
nostore "$DUCKFLOW" --help >help.txt 2>&1
check "duckflow --help says the default is the current folder's" grep -q 'else ./.duckflow in the current folder' help.txt
