#!/usr/bin/env bash
# t7251: a DAG split into nested groups (src/argo/argo_groups.c) runs like the flat one.
# DUCKFLOW_ARGO_TEMPLATE_MAX lowers the 16 KiB budget so that small pipelines split:
#   - every DAG template is under the budget, main runs the groups, a dynamic step's items
#     task stays beside its step, and an `each` step in a later group gets the items list
#     through the groups' parameters;
#   - the manifest passes validate.js, Argo's three checks and the restricted profile;
#   - replayed (ready tasks latest first) it gives the tables `duckflow run` gives;
#   - `argo retry` of a workflow that failed in a later group continues the same run,
#     keeping the tasks that succeeded in earlier groups;
#   - with --metrics and exit hooks the grouped manifest still checks and replays;
#   - unset, the same pipeline keeps its flat DAG.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..22"
mkdir -p p
cat >p/pipeline.yaml <<YAML
name: argo_groups
params: {n: 4}
steps:
  src:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT getvariable('item')::INT AS i
    outputs: [t]
  dyn:
    foreach: {rows: "SELECT i FROM t ORDER BY i"}
    inputs: {t: src.t}
    sql: CREATE TABLE d AS SELECT getvariable('item')::INT * 10 AS v
    outputs: [d]
  a1: {inputs: {d: dyn.d}, sql: "CREATE TABLE a AS SELECT sum(v) AS s FROM d", outputs: [a]}
  a2: {inputs: {p: a1.a}, sql: "CREATE TABLE a AS SELECT s + 1 AS s FROM p", outputs: [a]}
  a3: {inputs: {p: a2.a}, sql: "CREATE TABLE a AS SELECT s + 1 AS s FROM p", outputs: [a]}
  a4: {inputs: {p: a3.a}, sql: "CREATE TABLE a AS SELECT s + 1 AS s FROM p", outputs: [a]}
  late:
    foreach: {each: dyn}
    inputs: {d: dyn.d, a: a4.a}
    sql: CREATE TABLE e AS SELECT v + s AS w FROM d, a
    outputs: [e]
  gate:
    inputs: {p: a4.a}
    sql: CREATE TABLE g AS SELECT * FROM read_csv('$SCRATCH/flag.csv')
    outputs: [g]
  total:
    inputs: {e: late.e, g: gate.g}
    sql: CREATE TABLE s AS SELECT sum(w) AS w FROM e
    outputs: [s]
YAML
img=(--image duckflow:test --store "$SCRATCH/argo")
expect_ok "compile with a 1 KiB budget" env DUCKFLOW_ARGO_TEMPLATE_MAX=1024 "$DUCKFLOW" argo p/pipeline.yaml "${img[@]}" -o json
cp "$out" g.json
check "main runs groups; every DAG template is at most 1,024 bytes" node -e '
    const d = require(process.argv[1]); const T = new Map(d.spec.templates.map((t) => [t.name, t]));
    const main = T.get("main"); const dags = d.spec.templates.filter((t) => t.dag);
    process.exit(main.dag.tasks.length >= 2 && main.dag.tasks.every((x) => T.get(x.template).dag)
        && dags.every((t) => Buffer.byteLength(JSON.stringify(t)) <= 1024) ? 0 : 1);' "$SCRATCH/g.json"
check "the items task sits beside its step; late takes the list through its group's input" node -e '
    const d = require(process.argv[1]); const T = new Map(d.spec.templates.map((t) => [t.name, t]));
    const groupOf = (n) => d.spec.templates.find((t) => t.name !== "main" && t.dag && t.dag.tasks.some((x) => x.name === n));
    const late = groupOf("late").dag.tasks.find((x) => x.name === "late");
    const g1 = groupOf("dyn"), g2 = groupOf("late");
    const call = T.get("main").dag.tasks.find((x) => x.template === g2.name);
    const arg = call.arguments.parameters.find((p) => p.name === "dyn-items");
    process.exit(groupOf("dyn-items") === g1 && g1 !== g2 && late.withParam === "{{inputs.parameters.dyn-items}}"
        && arg.value === `{{tasks.${call.dependencies.find((x) => x === groupOf("dyn").name)}.outputs.parameters.dyn-items}}`
        && g1.outputs.parameters[0].valueFrom.parameter === "{{tasks.dyn-items.outputs.result}}" ? 0 : 1);' "$SCRATCH/g.json"
expect_ok "validate.js" node "$sup/validate.js" g.json
expect_ok "Argo's three checks and the restricted profile" bash -c \
    'node "$1" "${@:3}" g.json && node "$2" g.json' _ "$sup/argo-check.js" "$sup/pss-check.js" "${crds[@]}"

# Fails in a later group (no flag.csv), then argo retry.
expect_code 1 "the grouped workflow fails at gate" node "$sup/replay.js" g.json --duckflow "$DUCKFLOW" \
    --name grp --uid uid-g --reverse --save-state s1.json --workdir "$SCRATCH/pods1"
expect_match "gate failed" '^replay: gate attempt 1/3: exit 1$' "$errout"
printf 'ok\ntrue\n' >flag.csv
expect_ok "argo retry succeeds" node "$sup/replay.js" g.json --duckflow "$DUCKFLOW" --retry s1.json \
    --reverse --workdir "$SCRATCH/pods2"
cp "$errout" retry.err
expect_match "tasks of the first group were kept" '^replay: dyn\(3:3\): kept' retry.err
expect_match "and of the later group too" '^replay: late\(0:0\): kept' retry.err
expect_match "gate and total ran" '^replay: total attempt 1/3: exit 0$' retry.err
rid=$(argo_run_id grp uid-g)
expect_ok "duckflow run" "$DUCKFLOW" run p/pipeline.yaml --store "$SCRATCH/local"
run=$(tail -n 1 "$out")
expect_ok "the same tables as duckflow run" "$sup/compare.sh" "$DUCKFLOW" "$SCRATCH/argo" "$rid" \
    "$SCRATCH/local" "$run" "$SCRATCH/cmp"
expect_match "total compared" '^same total\.s \(1 rows\)$' "$out"
check "run.json: succeeded, every task done" node -e '
    const r = require(process.argv[1]); process.exit(r.status === "succeeded" && r.tasks_total === 18 && r.tasks_done === 18 ? 0 : 1);' \
    "$SCRATCH/argo/argo_groups/runs/$rid/run.json"

# Metrics and exit hooks on the fan-out fixture, split.
fan="$sup/pipelines/fanout/pipeline.yaml"
expect_ok "fixture with --metrics and hooks, split" env DUCKFLOW_ARGO_TEMPLATE_MAX=1024 "$DUCKFLOW" argo "$fan" \
    --image duckflow:test --store "$SCRATCH/argo2" --metrics --on-success notify/slack -o json
cp "$out" fan.json
check "it is split" node -e 'const d = require(process.argv[1]); process.exit(d.spec.templates.some((t) => t.name === "group-2") ? 0 : 1);' "$SCRATCH/fan.json"
expect_ok "and checks" bash -c 'node "$1" fan.json && node "$2" "${@:3}" fan.json' _ "$sup/validate.js" "$sup/argo-check.js" "${crds[@]}"
expect_ok "and replays, hooks after finish" node "$sup/replay.js" fan.json --duckflow "$DUCKFLOW" --reverse \
    --workdir "$SCRATCH/pods3"
check "pods wrote their metrics" bash -c 'grep -l "\"rows\"" "$1"/pod-*/pod.json | head -1 | grep -q .' _ "$SCRATCH/pods3"

expect_ok "without the lower budget the pipeline keeps its flat DAG" "$DUCKFLOW" argo p/pipeline.yaml "${img[@]}" -o json
cp "$out" flat.json
check "main runs the steps" node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(d.spec.templates.filter((t) => t.dag).length === 1 && d.spec.templates[0].dag.tasks.some((x) => x.name === "late") ? 0 : 1);' "$SCRATCH/flat.json"
