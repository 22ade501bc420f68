#!/usr/bin/env bash
# t7250: manifests at the reference scale, the figures docs/argo.md gives.
# 1. 1,000 steps with 3 kB of SQL each: with --upload-bundle (the files go to the store when
#    compiling) the manifest is under 512 KiB and no pod template over 16 KiB (steps of one
#    shape share a template); without it the 3 MB of files cannot travel in the manifest
#    and duckflow says so. The manifest passes Argo's three checks (schema, CRD with CEL,
#    naming rules) and the restricted Pod Security Standard, and its node status fits. Its
#    100 independent chains of 10 go whole into groups: the grouped critical path
#    (critpath.js) is the flat one.
# 2. A 10,000-item fan-out with the defaults (retries, no tasks_per_pod): automatic pod
#    batching (argo.h, DF_ARGO_AUTO_PODS) runs it in 2,000 pods of 5 items, and Argo's node
#    status (tests/support/argo/nodestatus.js simulates it, node by node, with Argo 3.6's
#    task-results map) fits the 1 MiB workflow object, with --metrics too, and when every
#    pod was retried once; a param given at submit time still gets at most 2,000 pods. The
#    same for a dynamic fan-out (rows): its items pod prints 2,000 pod indices. With
#    `tasks_per_pod: 1` (one item per pod, as asked) the 10,000 Retry and Pod nodes do not
#    fit, and `duckflow argo` warns; with `retries: 0` they do.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..36"
img=(--image registry.example.com/duckflow:0.1.0)

# 1,000 steps, each SQL file 3 kB of text (distinct: a comment naming the step's columns).
node -e '
    const fs = require("fs");
    fs.mkdirSync("big/sql", { recursive: true });
    const lines = ["name: big1000", "steps:"];
    for (let i = 0; i < 1000; i++) {
        let c = `-- step ${i}: `;
        for (let k = 0; c.length < 3050; k++) c += `col_${i}_${k * 7919 % 10007} `;
        fs.writeFileSync(`big/sql/s${i}.sql`, `${c}\nCREATE TABLE t${i} AS SELECT ${i} AS x\n`);
        const after = i % 10 ? `, after: [s${i - 1}]` : "";
        lines.push(`  s${i}: {sql: sql/s${i}.sql, outputs: [t${i}]${after}}`);
    }
    fs.writeFileSync("big/pipeline.yaml", lines.join("\n") + "\n");'
check "1,000 SQL files of 3 KiB" bash -c '[ "$(ls big/sql | wc -l)" = 1000 ] && [ "$(wc -c <big/sql/s999.sql)" -ge 3072 ]'
expect_code 2 "without --upload-bundle the files do not fit a manifest" "$DUCKFLOW" argo big/pipeline.yaml \
    "${img[@]}" --store "$SCRATCH/store"
expect_match "and the error says what to do" 'upload-bundle' "$errout"
expect_ok "with --upload-bundle it compiles" "$DUCKFLOW" argo big/pipeline.yaml "${img[@]}" \
    --store "$SCRATCH/store" --upload-bundle -o json
cp "$out" big.json
check "the bundle is in the store" bash -c 'ls "$1"/big1000/bundles/*/_bundle.json' _ "$SCRATCH/store"
check "under 512 KiB, no template over 16 KiB (DAG groups included), no bundle template" node -e '
    const fs = require("fs"); const text = fs.readFileSync(process.argv[1], "utf8"); const d = JSON.parse(text);
    const pods = d.spec.templates.filter((t) => t.container);
    const sizes = d.spec.templates.map((t) => Buffer.byteLength(JSON.stringify(t)));
    // Every step is a task of exactly one DAG template (the groups main runs).
    const leaves = d.spec.templates.filter((t) => t.dag).flatMap((t) => t.dag.tasks).filter((x) => !d.spec.templates.find((t) => t.name === x.template).dag);
    const ok = Buffer.byteLength(text) < 512 * 1024 && Math.max(...sizes) <= 16384 && pods.length >= 2
        && !d.spec.templates.some((t) => t.name === "bundle")
        && leaves.length === 1000 && new Set(leaves.map((x) => x.name)).size === 1000;
    console.log(`manifest ${Buffer.byteLength(text)} bytes, ${d.spec.templates.length} templates, the largest ${Math.max(...sizes)} bytes`);
    for (const t of d.spec.templates) console.log(`  ${t.name} ${Buffer.byteLength(JSON.stringify(t))}${t.dag ? ` (${t.dag.tasks.length} tasks)` : ""}`);
    process.exit(ok ? 0 : 1);' "$SCRATCH/big.json"
check "main runs groups, each depending on exactly the groups holding a dependency of a member" node -e '
    const { groups, exactDeps } = require(process.argv[2]); const d = require(process.argv[1]);
    // s<i> comes after s<i-1> unless i % 10 == 0
    const bad = exactDeps(d, (n) => +n.slice(1) % 10 ? [`s${+n.slice(1) - 1}`] : []);
    const { main, groupOf } = groups(d); console.log(bad.join("\n"));
    process.exit(main.dag.tasks.length < 2 || groupOf.size !== 1000 || bad.length ? 1 : 0);' "$SCRATCH/big.json" "$sup/groups.js"
"$DUCKFLOW" graph big/pipeline.yaml --format dot >big.dot
expect_ok "the 100 independent chains lose nothing: grouped critical path == flat (10)" \
    node "$sup/critpath.js" big.json --dot big.dot --same 10
echo "# 1,000 steps: $(tr '\n' ' ' <"$out")"
# The replay runs each of the 1,000 pods (a stand-in that logs its --step, for speed),
# ready tasks latest first, so an order the manifest does not enforce would show.
printf '#!/bin/sh\nfor a in "$@"; do [ "$prev" = --step ] && echo "$a" >>"%s"; prev=$a; done\nexit 0\n' "$SCRATCH/order.log" >fake-duckflow
chmod +x fake-duckflow
order_ok() { # log: every s<i> (i % 10 != 0) ran after s<i-1>, all 1,000 ran once
    node -e '
    const seen = new Map(); require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").forEach((s, k) => seen.set(s, k));
    let bad = seen.size === 1000 ? 0 : 1;
    for (let i = 0; i < 1000; i++) if (i % 10 && !(seen.get(`s${i}`) > seen.get(`s${i - 1}`))) bad = 1;
    process.exit(bad);' "$SCRATCH/order.log"
}
expect_ok "1,000 steps: the replay of the grouped manifest succeeds" node "$sup/replay.js" big.json \
    --duckflow "$SCRATCH/fake-duckflow" --reverse --workdir "$SCRATCH/pods-big"
check "and ran every step after its dependency" order_ok
rm -rf pods-big order.log
node -e '
    const d = require(process.argv[1]); const main = d.spec.templates[0];
    const g = main.dag.tasks.find((x) => (x.dependencies || []).length); delete g.dependencies;
    require("fs").writeFileSync("nodep.json", JSON.stringify(d));' "$SCRATCH/big.json"
node "$sup/replay.js" nodep.json --duckflow "$SCRATCH/fake-duckflow" --reverse --workdir "$SCRATCH/pods-nodep" >/dev/null 2>&1
order_broken() { ! order_ok; }
check "without one group dependency, steps run before their dependencies" order_broken
[ ${#crds[@]} -eq 0 ] && echo "# $shared/argo absent: the CRD part of argo-check is skipped"
expect_ok "1,000 steps: Argo's own checks pass" node "$sup/argo-check.js" "${crds[@]}" big.json
expect_ok "1,000 steps: restricted Pod Security Standard" node "$sup/pss-check.js" big.json
expect_ok "1,000 steps: its node status fits, each retried once" node "$sup/nodestatus.js" big.json --attempts 2

# A 10,000-item fan-out.
mkdir -p fan
cat >fan/pipeline.yaml <<'YAML'
name: fan10k
params: {n: 10000}
steps:
  part:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i
    outputs: [t]
  total:
    inputs: {t: part.t}
    sql: CREATE TABLE s AS SELECT count(*) AS n FROM t
    outputs: [s]
YAML
cap=$(sed -n 's/^#define DF_ARGO_AUTO_PODS \([0-9]*\)$/\1/p' "$DUCKFLOW_TOP/src/argo/argo.h")
check "nodestatus.js's --cap default is DF_ARGO_AUTO_PODS ($cap)" grep -q "opt('--cap', $cap)" "$sup/nodestatus.js"
expect_ok "10,000 tasks with the defaults compile" "$DUCKFLOW" argo fan/pipeline.yaml "${img[@]}" --store s3://analytics/duckflow -o json
cp "$out" fan.json
check "without a node status warning" bash -c '! grep -q "node status" "$1"' _ "$errout"
check "the loop runs at most 2,000 pods, whatever n is at submit time" node -e '
    const d = require(process.argv[1]); const t = d.spec.templates[0].dag.tasks.find((x) => x.name === "part");
    const tpl = d.spec.templates.find((x) => x.name === t.template);
    process.exit(t.withSequence.count === "{{=sprig.min(asInt(workflow.parameters.n), 2000)}}"
        && !tpl.container.args.includes("--tasks-per-pod") && tpl.retryStrategy ? 0 : 1);' "$SCRATCH/fan.json"
expect_ok "10,000 tasks with the defaults fit 1 MiB" node "$sup/nodestatus.js" fan.json --items 10000
expect_match "2,000 Retry and 2,000 Pod nodes" '^nodes 4006 ' "$out"
expect_ok "and still fit when every pod was retried once" node "$sup/nodestatus.js" fan.json --items 10000 --attempts 2
expect_ok "the batched fan-out passes Argo's checks and the restricted profile" bash -c \
    'node "$1" "${@:3}" fan.json && node "$2" fan.json' _ "$sup/argo-check.js" "$sup/pss-check.js" "${crds[@]}"
"$DUCKFLOW" argo fan/pipeline.yaml "${img[@]}" --store s3://analytics/duckflow -o json --metrics >fanm.json
expect_ok "with --metrics, 10,000 tasks with the defaults fit" node "$sup/nodestatus.js" fanm.json --items 10000
expect_ok "and when every pod was retried once" node "$sup/nodestatus.js" fanm.json --items 10000 --attempts 2
expect_ok "submitted with n=100000 they still fit (2,000 pods of 50)" node "$sup/nodestatus.js" fanm.json --items 100000 --attempts 2

# A dynamic 10,000-item fan-out: the items pod batches at run time.
mkdir -p dyn
cat >dyn/pipeline.yaml <<'YAML'
name: dyn10k
steps:
  part:
    foreach: {rows: "SELECT range AS i FROM range(10000)"}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i
    outputs: [t]
  total:
    inputs: {t: part.t}
    sql: CREATE TABLE s AS SELECT count(*) AS n FROM t
    outputs: [s]
YAML
expect_ok "a dynamic fan-out compiles (bundle in the store)" "$DUCKFLOW" argo dyn/pipeline.yaml "${img[@]}" \
    --store "$SCRATCH/dstore" --upload-bundle -o json --metrics
cp "$out" dyn.json
hash=$(node -e 'const d = require(process.argv[1]); const a = d.spec.templates.find((t) => t.name === "items").container.args;
    console.log(a[a.indexOf("--bundle") + 1]);' "$SCRATCH/dyn.json")
expect_ok "its items pod runs" "$DUCKFLOW" argo items dyn10k --bundle "$hash" --run r1 --step part --store "$SCRATCH/dstore"
cp "$out" dyn-list.json
check "and prints 2,000 pod indices for 10,000 items" node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(a.length === 2000 && a.every((v, i) => v === i) ? 0 : 1);' dyn-list.json
expect_ok "the last pod runs items 9,995 to 9,999" "$DUCKFLOW" argo step dyn10k --bundle "$hash" --run r1 \
    --step part --item 1999 --attempt 1 --store "$SCRATCH/dstore"
check "each its own task" bash -c 'cd "$1"/dyn10k/runs/r1/part && ls -d 09995 09996 09997 09998 09999 && ! ls -d 09994' _ "$SCRATCH/dstore"
expect_ok "the dynamic 10,000-item fan-out fits, with --metrics, every pod retried once" \
    node "$sup/nodestatus.js" dyn.json --items 10000 --attempts 2

# One item per pod, as asked: 10,000 Retry and 10,000 Pod nodes.
sed 's/^    foreach: {range: n}/    foreach: {range: n}\n    argo: {tasks_per_pod: 1}/' fan/pipeline.yaml >fan/p1.yaml
expect_ok "tasks_per_pod: 1 compiles" "$DUCKFLOW" argo fan/p1.yaml "${img[@]}" --store s3://analytics/duckflow -o json
cp "$out" fan1.json
expect_match "with a warning naming the step and the way out" \
    "warning: Argo's node status for this run would take about 15[0-9][0-9] KiB compressed.*step 'part'.*tasks_per_pod.*unset" "$errout"
expect_code 1 "10,000 retried pods (a Retry node each) do not fit 1 MiB" node "$sup/nodestatus.js" fan1.json --items 10000
expect_match "20,006 nodes" '^nodes 20006 ' "$out"
sed 's/^    foreach: {range: n}/    foreach: {range: n}\n    argo: {tasks_per_pod: 1}\n    retries: 0/' fan/pipeline.yaml >fan/p0.yaml
"$DUCKFLOW" argo fan/p0.yaml "${img[@]}" --store s3://analytics/duckflow -o json >fan0.json
expect_ok "10,000 pods without retries fit" node "$sup/nodestatus.js" fan0.json --items 10000
