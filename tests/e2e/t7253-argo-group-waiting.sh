#!/usr/bin/env bash
# t7253: groups make steps wait as little as possible (src/argo/argo_groups.c). The critical
# path (tests/support/argo/critpath.js: each pod one unit, a group starting when the groups
# it depends on have finished) of the grouped DAG against the flat DAG's:
#   - 20 independent chains of 50 steps: each chain goes whole into a group, the bundle
#     task (every first step reads it) into a group of its own, so no group waits for
#     another but the bundle's and the grouped critical path equals the flat one;
#   - 20 chains of 45 joined by a last step (one component larger than a group): it is
#     split, each group depending on exactly the groups holding a dependency of a member,
#     every DAG template under 16 KiB, and the manifest passes Argo's checks;
#   - the same pipeline gives the same manifest;
#   - with a 1 KiB budget (DUCKFLOW_ARGO_TEMPLATE_MAX) the chains are split too and `main`
#     runs groups of groups, every DAG template under the budget, the critical path still
#     the flat one (a chain's groups follow one another).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..14"
node -e '
    const fs = require("fs");
    for (const [dir, join] of [["chains", false], ["joined", true]]) {
        fs.mkdirSync(dir, { recursive: true });
        const l = [`name: ${dir}`, "steps:"];
        const len = join ? 45 : 50; // at most 1,000 steps
        for (let c = 0; c < 20; c++) for (let i = 0; i < len; i++)
            l.push(`  c${c}_${i}: {sql: "CREATE TABLE t AS SELECT ${c * 50 + i} AS x", outputs: [t]${i ? `, after: [c${c}_${i - 1}]` : ""}}`);
        if (join) l.push(`  last: {sql: "CREATE TABLE t AS SELECT 1 AS x", outputs: [t], after: [${[...Array(20).keys()].map((c) => `c${c}_44`).join(", ")}]}`);
        fs.writeFileSync(`${dir}/pipeline.yaml`, l.join("\n") + "\n");
    }'
img=(--image duckflow:test --store s3://bucket/flows)
expect_ok "20 chains of 50 steps compile" "$DUCKFLOW" argo chains/pipeline.yaml "${img[@]}" -o json
cp "$out" chains.json
check "each chain whole in a group; only the bundle's group is waited for" node -e '
    const d = require(process.argv[1]); const { T, main, groupOf } = require(process.argv[2]).groups(d);
    const bg = groupOf.get("bundle");
    let bad = main.dag.tasks.length < 3 || T.get(bg).dag.tasks.length !== 1 ? 1 : 0;
    for (let c = 0; c < 20; c++) for (let i = 1; i < 50; i++) if (groupOf.get(`c${c}-${i}`) !== groupOf.get(`c${c}-0`)) bad = 1;
    for (const g of main.dag.tasks) if (g.name !== bg && JSON.stringify(g.dependencies) !== JSON.stringify([bg])) bad = 1;
    console.log(`${main.dag.tasks.length} groups`); process.exit(bad);' "$SCRATCH/chains.json" "$sup/groups.js"
"$DUCKFLOW" graph chains/pipeline.yaml --format dot >chains.dot
expect_ok "grouped critical path == flat (51: the bundle and 50 steps)" \
    node "$sup/critpath.js" chains.json --dot chains.dot --same 51
echo "# 20 chains of 50: $(tr '\n' ' ' <"$out")"
expect_ok "the same pipeline gives the same manifest" "$DUCKFLOW" argo chains/pipeline.yaml "${img[@]}" -o json
cp "$out" again.json
check "byte for byte" cmp again.json chains.json

expect_ok "the joined chains compile" "$DUCKFLOW" argo joined/pipeline.yaml "${img[@]}" -o json
cp "$out" joined.json
check "split, every DAG template under 16 KiB, each group depending on exactly the groups holding a dependency" node -e '
    const { groups, exactDeps } = require(process.argv[2]); const d = require(process.argv[1]);
    const deps = (n) => n === "bundle" ? [] : n === "last" ? [...Array(20).keys()].map((c) => `c${c}-44`)
        : +n.split("-")[1] ? [`${n.split("-")[0]}-${+n.split("-")[1] - 1}`] : ["bundle"];
    const bad = exactDeps(d, deps), { main, groupOf } = groups(d); console.log(bad.join("\n"));
    process.exit(main.dag.tasks.length < 3 || groupOf.size !== 902 || bad.length
        || d.spec.templates.some((t) => t.dag && Buffer.byteLength(JSON.stringify(t)) > 16384) ? 1 : 0);' "$SCRATCH/joined.json" "$sup/groups.js"
expect_ok "and pass validate.js and Argo's checks" bash -c \
    'node "$1" joined.json && node "$2" "${@:3}" joined.json' _ "$sup/validate.js" "$sup/argo-check.js" "${crds[@]}"
"$DUCKFLOW" graph joined/pipeline.yaml --format dot >joined.dot
expect_ok "critical paths measured" node "$sup/critpath.js" joined.json --dot joined.dot
cp "$out" joined.cp
echo "# 20 chains of 45 joined: $(tr '\n' ' ' <joined.cp)"
check "the grouped critical path is not shorter than the flat one" bash -c \
    '[ "$(sed -n "s/^grouped //p" "$1")" -ge "$(sed -n "s/^flat //p" "$1")" ]' _ joined.cp

expect_ok "the chains with a 1 KiB budget" env DUCKFLOW_ARGO_TEMPLATE_MAX=1024 "$DUCKFLOW" argo chains/pipeline.yaml "${img[@]}" -o json
cp "$out" small.json
check "groups of groups, every DAG template at most 1,024 bytes, every step once" node -e '
    const d = require(process.argv[1]); const T = new Map(d.spec.templates.map((t) => [t.name, t]));
    const leaves = (name) => T.get(name).dag.tasks.flatMap((x) => T.get(x.template).dag ? leaves(x.template) : [x.name]);
    const all = leaves("main"), nested = T.get("main").dag.tasks.some((g) => T.get(g.template).dag.tasks.some((x) => T.get(x.template).dag));
    process.exit(nested && all.length === 1001 && new Set(all).size === 1001
        && d.spec.templates.every((t) => !t.dag || Buffer.byteLength(JSON.stringify(t)) <= 1024) ? 0 : 1);' "$SCRATCH/small.json"
expect_ok "validate.js and Argo's checks" bash -c \
    'node "$1" small.json && node "$2" "${@:3}" small.json' _ "$sup/validate.js" "$sup/argo-check.js" "${crds[@]}"
expect_ok "grouped critical path == flat (51)" node "$sup/critpath.js" small.json --dot chains.dot --same 51
echo "# 20 chains of 50, 1 KiB budget: $(tr '\n' ' ' <"$out")"
