#!/usr/bin/env bash
# t7250: manifests at the reference scale, the figures docs/argo.md gives.
# 1. 1,000 steps with 3 kB of SQL each: with --upload-bundle (the files go to the store when
#    compiling) the manifest is under 512 KiB and no pod template over 16 KiB (steps of one
#    shape share a template); without it the 3 MB of files cannot travel in the manifest
#    and duckflow says so. The manifest passes Argo's three checks (schema, CRD with CEL,
#    naming rules) and the restricted Pod Security Standard, and its node status fits.
# 2. A 10,000-item fan-out: Argo's node status (tests/support/argo/nodestatus.js simulates
#    it, node by node) does not fit the 1 MiB workflow object with a Retry node above each
#    of 10,000 pods, fits with `argo: {tasks_per_pod: 2}` (5,000 retried pods, even when
#    each is retried once) and with `retries: 0`; the grouped manifest passes the checks.
#    `duckflow argo` warns about the first and not the second. With --metrics (three
#    output parameters per node) pods of 2 fit, and no longer when each is retried once.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..26"
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
    const d = require(process.argv[1]); const T = new Map(d.spec.templates.map((t) => [t.name, t]));
    const main = T.get(d.spec.entrypoint); const groupOf = new Map();
    for (const g of main.dag.tasks) for (const x of T.get(g.template).dag.tasks) groupOf.set(x.name, g.name);
    let bad = main.dag.tasks.length < 2 || groupOf.size !== 1000 ? 1 : 0;
    for (const g of main.dag.tasks) {
        const want = new Set();
        for (const x of T.get(g.template).dag.tasks) {
            const i = +x.name.slice(1); // s<i> comes after s<i-1> unless i % 10 == 0
            if (i % 10 && groupOf.get(`s${i - 1}`) !== g.name) want.add(groupOf.get(`s${i - 1}`));
            if (i % 10 && groupOf.get(`s${i - 1}`) === g.name && !(x.dependencies || []).includes(`s${i - 1}`)) bad = 1;
        }
        const have = new Set(g.dependencies || []);
        if (have.size !== want.size || [...want].some((w) => !have.has(w))) { console.log(`${g.name}: ${[...have]} vs ${[...want]}`); bad = 1; }
    }
    process.exit(bad);' "$SCRATCH/big.json"
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
expect_ok "10,000 single-task pods compile" "$DUCKFLOW" argo fan/pipeline.yaml "${img[@]}" --store s3://analytics/duckflow -o json
cp "$out" fan1.json
expect_match "with a warning naming the step and the way out" \
    "warning: Argo's node status for this run would take about 12[0-9][0-9] KiB compressed.*step 'part'.*tasks_per_pod" "$errout"
expect_code 1 "10,000 retried pods (a Retry node each) do not fit 1 MiB" node "$sup/nodestatus.js" fan1.json --items 10000
sed 's/^    foreach: {range: n}/    foreach: {range: n}\n    argo: {tasks_per_pod: 2}/' fan/pipeline.yaml >fan/p2.yaml
expect_ok "tasks_per_pod: 2 compiles" "$DUCKFLOW" argo fan/p2.yaml "${img[@]}" --store s3://analytics/duckflow -o json
cp "$out" fan2.json
check "without a node status warning" bash -c '! grep -q "node status" "$1"' _ "$errout"
check "the loop runs over groups of 2" node -e '
    const d = require(process.argv[1]); const t = d.spec.templates[0].dag.tasks.find((x) => x.name === "part");
    const tpl = d.spec.templates.find((x) => x.name === t.template);
    const a = tpl.container.args;
    process.exit(t.withSequence.count === "{{=sprig.div(asInt(workflow.parameters.n) + 1, 2)}}"
        && a[a.indexOf("--tasks-per-pod") + 1] === "2" && tpl.retryStrategy ? 0 : 1);' "$SCRATCH/fan2.json"
expect_ok "10,000 tasks in pods of 2 fit" node "$sup/nodestatus.js" fan2.json --items 10000
expect_match "5,000 Retry and 5,000 Pod nodes" '^nodes 1000[0-9] ' "$out"
expect_ok "and still fit when every pod was retried once" node "$sup/nodestatus.js" fan2.json --items 10000 --attempts 2
expect_ok "the grouped fan-out passes Argo's checks and the restricted profile" bash -c \
    'node "$1" "${@:3}" fan2.json && node "$2" fan2.json' _ "$sup/argo-check.js" "$sup/pss-check.js" "${crds[@]}"
sed 's/^    foreach: {range: n}/    foreach: {range: n}\n    retries: 0/' fan/pipeline.yaml >fan/p0.yaml
"$DUCKFLOW" argo fan/p0.yaml "${img[@]}" --store s3://analytics/duckflow -o json >fan0.json
expect_ok "10,000 tasks without retries fit" node "$sup/nodestatus.js" fan0.json --items 10000
# --metrics: three output parameters in every pod and Retry node.
"$DUCKFLOW" argo fan/p2.yaml "${img[@]}" --store s3://analytics/duckflow -o json --metrics >fan2m.json
expect_ok "with --metrics, 10,000 tasks in pods of 2 still fit" node "$sup/nodestatus.js" fan2m.json --items 10000
expect_code 1 "but not when every pod was retried once" node "$sup/nodestatus.js" fan2m.json --items 10000 --attempts 2
