#!/usr/bin/env bash
# t8006: a step that depends on many steps compiles for Argo once the flat DAG needs groups
# (found by w16 in session 5, fixed in src/argo/argo_groups.c): the packer measures a task
# for the budget by itself (its dependencies on other groups become group dependencies),
# not with all its dependencies, so a final step after 999 steps named like
# load_table_000_snapshot (a 26 KB task flat) goes into a group after the others' groups.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
echo "1..4"
node -e '
    const L = ["name: wide", "steps:"], N = [];
    for (let i = 0; i < 999; i++) {
        const n = `load_table_${String(i).padStart(3, "0")}_snapshot`;
        N.push(n);
        L.push(`  ${n}: {sql: "CREATE TABLE t AS SELECT ${i} AS x", outputs: [t]}`);
    }
    L.push(`  publish_all: {sql: "CREATE TABLE g AS SELECT 1 AS a", outputs: [g], after: [${N.join(", ")}]}`);
    require("fs").writeFileSync("pipeline.yaml", L.join("\n") + "\n");'
expect_ok "1,000 steps, the last after all 999 others, compile" "$DUCKFLOW" argo pipeline.yaml \
    --image duckflow:test --store "$SCRATCH/store" --upload-bundle -o json
cp "$out" w.json
check "no template over 16 KiB" node -e '
    const d = require(process.argv[1]);
    process.exit(d.spec.templates.every((t) => Buffer.byteLength(JSON.stringify(t)) <= 16384) ? 0 : 1);' "$SCRATCH/w.json"
check "publish-all runs after every other step (same group, or a group depended on)" node -e '
    const d = require(process.argv[1]); const T = new Map(d.spec.templates.map((t) => [t.name, t]));
    const main = T.get(d.spec.entrypoint); const groupOf = new Map(), deps = new Map();
    for (const g of main.dag.tasks) for (const x of T.get(g.template).dag.tasks) groupOf.set(x.name, g.name);
    for (const g of main.dag.tasks) deps.set(g.name, new Set(g.dependencies || []));
    const reach = (a, b) => a === b || [...deps.get(a)].some((x) => reach(x, b));
    const last = groupOf.get("publish-all");
    const task = T.get(main.dag.tasks.find((g) => g.name === last).template).dag.tasks.find((x) => x.name === "publish-all");
    const ok = [...groupOf.keys()].filter((n) => n !== "publish-all").every((n) =>
        groupOf.get(n) === last ? (task.dependencies || []).includes(n) : reach(last, groupOf.get(n)));
    process.exit(groupOf.size === 1000 && ok ? 0 : 1);' "$SCRATCH/w.json"
expect_ok "validate.js" node "$sup/validate.js" w.json
