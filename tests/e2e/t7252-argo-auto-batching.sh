#!/usr/bin/env bash
# t7252: automatic pod batching (argo.h, DF_ARGO_AUTO_PODS): a fan-out whose step sets no
# `tasks_per_pod` runs in at most that many pods, each pod running its share of the items
# one after another, each item its own task. DUCKFLOW_ARGO_AUTO_PODS=2 given to
# `duckflow argo` (which passes it to the pods in their env) makes the fixture batch:
#   - loop counts are min(n, 2): literal for ranges and values, an expression for a range
#     param, the items pod's list for dynamic steps; `tasks_per_pod: 1` keeps one per pod;
#   - the replay (Argo's order, retries) gives the tables `duckflow run` gives, every item
#     committed as its own task, and run.json counts every task;
#   - a param given at submit time (-p n=5) is split over the same 2 pods;
#   - with --metrics a pod's rows are its items' rows.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
echo "1..17"
cp -r "$sup/pipelines/fanout" src
expect_ok "compile with at most 2 pods a fan-out" env DUCKFLOW_ARGO_AUTO_PODS=2 "$DUCKFLOW" argo src/pipeline.yaml \
    --image duckflow:test --store "$SCRATCH/argo" --metrics -o json
cp "$out" m.json
check "the pods get the cap in their env" node -e '
    const d = require(process.argv[1]); const pods = d.spec.templates.filter((x) => x.container);
    process.exit(pods.every((t) => t.container.env.some((e) => e.name === "DUCKFLOW_ARGO_AUTO_PODS" && e.value === "2")) ? 0 : 1);' "$SCRATCH/m.json"
check "loop counts: min(n, 2); tasks_per_pod is not passed" node -e '
    const d = require(process.argv[1]); const t = d.spec.templates[0].dag.tasks, g = (n) => t.find((x) => x.name === n);
    const args = d.spec.templates.filter((x) => x.container).flatMap((x) => x.container.args);
    process.exit(g("seq").withSequence.count === "{{=sprig.min(asInt(workflow.parameters.n), 2)}}"
        && g("fixed").withSequence.count === "2" && g("regions").withSequence.count === "2"
        && !args.includes("--tasks-per-pod") ? 0 : 1);' "$SCRATCH/m.json"
expect_ok "it validates" node "$sup/validate.js" m.json
expect_ok "replay" node "$sup/replay.js" m.json --duckflow "$DUCKFLOW" --name auto --uid uid-a \
    --workdir "$SCRATCH/pods"
cp "$errout" replay.err
expect_match "2 pods for the 3 regions" '^replay: regions\(1:1\) attempt 1/2: exit 0$' replay.err
check "no third regions pod" bash -c '! grep -q "regions(2:2)" replay.err'
expect_match "2 pods for the 3 rows of the dynamic step" '^replay: by-row\(1:1\) attempt 1/2: exit 0$' replay.err
rid=$(argo_run_id auto uid-a)
check "every item is its own committed task" bash -c 'cd "$1"/argo_fanout/runs/"$2" && ls regions/00000/_manifest.json regions/00001/_manifest.json regions/00002/_manifest.json after_rows/00002/_manifest.json' _ "$SCRATCH/argo" "$rid"
expect_ok "duckflow run" "$DUCKFLOW" run src/pipeline.yaml --store "$SCRATCH/local"
run=$(tail -n 1 "$out")
expect_ok "the same tables as duckflow run" "$sup/compare.sh" "$DUCKFLOW" "$SCRATCH/argo" "$rid" \
    "$SCRATCH/local" "$run" "$SCRATCH/cmp"
check "run.json counts every task done" node -e '
    const r = require(process.argv[1]); process.exit(r.status === "succeeded" && r.tasks_total === 20 && r.tasks_done === 20 ? 0 : 1);' \
    "$SCRATCH/argo/argo_fanout/runs/$rid/run.json"
check "the second seq pod ran items 1 and 2: its rows are theirs" node -e '
    const fs = require("fs"); const dir = process.argv[1];
    const pods = fs.readdirSync(dir).map((p) => JSON.parse(fs.readFileSync(`${dir}/${p}/pod.json`, "utf8")));
    const p = pods.find((x) => x.label === "seq(1:1)");
    process.exit(p && p.outputs && p.outputs.rows === "20" ? 0 : 1);' "$SCRATCH/pods"

# A param given at submit time: 5 items over the same 2 pods.
expect_ok "replay with -p n=5" node "$sup/replay.js" m.json --duckflow "$DUCKFLOW" --name auto5 --uid uid-5 \
    -p n=5 --workdir "$SCRATCH/pods5"
expect_ok "duckflow run --param n=5" "$DUCKFLOW" run src/pipeline.yaml --store "$SCRATCH/local5" --param n=5
run5=$(tail -n 1 "$out")
expect_ok "the same tables" "$sup/compare.sh" "$DUCKFLOW" "$SCRATCH/argo" "$(argo_run_id auto5 uid-5)" \
    "$SCRATCH/local5" "$run5" "$SCRATCH/cmp5"

# Asked for one item per pod: no batching.
sed 's/^  regions:$/  regions:\n    argo: {tasks_per_pod: 1}/' src/pipeline.yaml >src/p1.yaml
"$DUCKFLOW" argo src/p1.yaml --image duckflow:test --store "$SCRATCH/argo" -o json >p1.json
check "tasks_per_pod: 1 keeps 3 pods for 3 values" node -e '
    const d = require(process.argv[1]); const t = d.spec.templates[0].dag.tasks.find((x) => x.name === "regions");
    process.exit(t.withSequence.count === "3" ? 0 : 1);' "$SCRATCH/p1.json"
