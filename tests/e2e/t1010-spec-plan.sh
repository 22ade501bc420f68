#!/usr/bin/env bash
# t1010: `duckflow plan` as text and JSON: steps in dependency order, fan-out and task
# counts (static and dynamic), inputs, outputs, deps and limits, params applied.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"

cat >pipeline.yaml <<'YAML'
name: planned
params:
  chunks: 3
defaults:
  memory_limit: 1GB
  retries: 2
  timeout: 10m
steps:
  merge:
    inputs: {s: summary.s, ext: data/regions.csv}
    sql: CREATE TABLE m AS SELECT * FROM s
    outputs: [m]
    threads: 2
  summary:
    foreach: {each: generate}
    inputs: {o: generate.o}
    sql: CREATE TABLE s AS SELECT * FROM o
    outputs: [s]
  generate:
    foreach: {range: chunks}
    sql: CREATE TABLE o AS SELECT 1 AS x
    outputs: [o]
  split:
    foreach: {files: generate.o, per_task: 2}
    sql: SELECT 1
YAML

expect_ok "plan" "$DUCKFLOW" plan pipeline.yaml
expect_match "header counts steps and tasks" "^pipeline 'planned' \(spec [0-9a-f]{12}\): 4 steps, 7\+ tasks$" "$out"
expect_match "params listed" '^params: chunks=3$' "$out"
expect_match "generate first" '^1\. generate: range 3 \(param chunks\), 3 tasks$' "$out"
expect_match "summary second" '^2\. summary: each generate, 3 tasks$' "$out"
expect_match "merge is one task" '^3\. merge: one task$' "$out"
expect_match "dynamic step" '^4\. split: files generate\.o, 2 per task, dynamic: known when generate\.o exists$' "$out"
expect_match "inputs" "^   inputs:  s <- summary\.s, ext <- $SCRATCH/data/regions\.csv \(csv\)$" "$out"
expect_match "deps" '^   deps:    summary$' "$out"
expect_match "limits with override" '^   limits:  memory 1\.0 GB, threads 2, retries 2, timeout 10m' "$out"
expect_match "inline sql line" "^   sql:     pipeline\.yaml:11$" "$out"

expect_ok "plan with an override" "$DUCKFLOW" plan pipeline.yaml --param chunks=5
expect_match "range follows it" '^1\. generate: range 5 \(param chunks\), 5 tasks$' "$out"

expect_ok "plan as json" "$DUCKFLOW" plan pipeline.yaml --format json
cp "$out" plan.json
check "json is valid and ordered" node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const names = p.steps.map(s => s.name).join(",");
if (names !== "generate,summary,merge,split") throw new Error("order " + names);
if (p.pipeline !== "planned" || p.spec_hash.length !== 64) throw new Error("header");
if (p.params.chunks !== 3) throw new Error("params");
const g = p.steps[0], m = p.steps[2], s = p.steps[3];
if (g.tasks !== 3 || g.foreach.kind !== "range" || g.foreach.param !== "chunks") throw new Error("generate");
if (m.tasks !== 1 || m.deps.join() !== "summary" || m.limits.threads !== 2) throw new Error("merge");
if (m.inputs[1].format !== "csv" || m.inputs[0].step !== "summary") throw new Error("inputs");
if (s.tasks !== null || !/generate\.o exists/.test(s.known_when)) throw new Error("split");
if (m.limits.memory_limit !== 1e9 || m.limits.timeout_ms !== 600000) throw new Error("limits");
' plan.json
check "no store folder was created" test ! -e "$SCRATCH/.duckflow"

expect_ok "--help" "$DUCKFLOW" plan --help
expect_match "usage on stdout" '^usage: duckflow plan' "$out"
expect_code 2 "an unknown format" "$DUCKFLOW" plan pipeline.yaml --format yaml
expect_code 2 "no pipeline" "$DUCKFLOW" plan
