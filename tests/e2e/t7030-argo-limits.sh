#!/usr/bin/env bash
# t7030: 5,000-item fan-outs stay within Argo's limits: the manifest under 1 MiB and every
# parameter under 256 KiB. Static fan-out is a withSequence count or a withItems list; for
# dynamic fan-out the items task prints only item indices (the items, here far over 256 KiB,
# stay in the store's _items.json), and a list too long even as indices is refused. The
# listed and dynamic steps set `argo: {tasks_per_pod: 1}` (one item per pod, as given)
# so the lists keep every index; without it a fan-out runs in at most 2,000 pods
# (automatic batching, argo.h): the 60,000 rows then make a list of 2,000 pod indices.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..22"
sup="$DUCKFLOW_TOP/tests/support/argo"
opts=(--image duckflow:test --store "$SCRATCH/store")

mkdir -p big
{
    echo "name: big_fanout"
    echo "params: {n: 5000, width: 120}"
    echo "steps:"
    echo "  ranged:"
    echo "    foreach: {range: n}"
    echo "    sql: CREATE TABLE t AS SELECT getvariable('item') AS i"
    echo "    outputs: [t]"
    echo "  listed:"
    printf '    foreach: {values: ['
    for i in $(seq 1 5000); do printf 'v%04d' "$i"; [ "$i" -lt 5000 ] && printf ', '; done
    echo ']}'
    echo "    argo: {tasks_per_pod: 1}"
    echo "    sql: CREATE TABLE l AS SELECT getvariable('item') AS v"
    echo "    outputs: [l]"
    echo "  names:"
    echo "    sql: CREATE TABLE k AS SELECT repeat(chr(97 + (i % 26)::INT), getvariable('width')) || i AS name FROM range(5000) r(i)"
    echo "    outputs: [k]"
    echo "  per_name:"
    echo "    foreach: {rows: \"SELECT name FROM k ORDER BY name\"}"
    echo "    argo: {tasks_per_pod: 1}"
    echo "    inputs: {k: names.k}"
    echo "    sql: CREATE TABLE p AS SELECT getvariable('item') AS name"
    echo "    outputs: [p]"
    echo "  again:"
    echo "    foreach: {each: per_name}"
    echo "    inputs: {p: per_name.p}"
    echo "    sql: CREATE TABLE q AS SELECT * FROM p"
    echo "    outputs: [q]"
} >big/pipeline.yaml

expect_ok "compile 5,000-item fan-outs" "$DUCKFLOW" argo big/pipeline.yaml "${opts[@]}"
cp "$out" big.yaml
size=$(wc -c <big.yaml)
check "manifest is under 1 MiB ($size bytes)" test "$size" -lt 1048576
expect_ok "it validates (limits included)" node "$sup/validate.js" big.yaml
check "range -> withSequence count, values -> withSequence of 5,000 indices, rows -> withParam" node -e '
    const YAML = require(process.argv[1] + "/node_modules/yaml");
    const d = YAML.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const t = d.spec.templates[0].dag.tasks, g = (n) => t.find((x) => x.name === n);
    const ok = g("ranged").withSequence.count === "{{=sprig.min(asInt(workflow.parameters.n), 2000)}}"
        && g("listed").withSequence.count === "5000" && !g("listed").withItems
        && g("per-name").withParam === "{{tasks.per-name-items.outputs.result}}"
        && g("again").withParam === "{{tasks.per-name-items.outputs.result}}";
    process.exit(ok ? 0 : 1);' "$DUCKFLOW_TOP" big.yaml

# The items task of a 5,000-item rows step, after its source committed.
expect_ok "the source step" "$DUCKFLOW" step big/pipeline.yaml --run r1 --step names --store "$SCRATCH/store"
expect_ok "argo items" "$DUCKFLOW" argo items big/pipeline.yaml --run r1 --step per_name --store "$SCRATCH/store"
cp "$out" indices.json
isize=$(wc -c <indices.json)
check "the withParam list is under 256 KiB ($isize bytes)" test "$isize" -lt 262144
check "it is the 5,000 indices in order" node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(a.length === 5000 && a.every((v, i) => v === i) ? 0 : 1);' indices.json
items="$SCRATCH/store/big_fanout/runs/r1/per_name/_items.json"
check "the items themselves stay in the store" test -f "$items"
check "and would not fit in a parameter ($(wc -c <"$items") bytes)" test "$(wc -c <"$items")" -gt 262144
expect_ok "argo items again reads the same list" "$DUCKFLOW" argo items big/pipeline.yaml --run r1 --step per_name --store "$SCRATCH/store"
cp "$out" indices2.json
check "same indices" cmp indices2.json indices.json
expect_ok "duckflow items agrees on the count" "$DUCKFLOW" items big/pipeline.yaml --run r1 --step per_name --store "$SCRATCH/store"
cp "$out" items.json
check "5,000 items" node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).length === 5000 ? 0 : 1)' items.json

# Far more items than Argo can take even as indices: refused with advice.
mkdir huge
cat >huge/pipeline.yaml <<'YAML'
name: huge_fanout
steps:
  src:
    sql: CREATE TABLE k AS SELECT i FROM range(60000) r(i)
    outputs: [k]
  each_row:
    foreach: {rows: "SELECT i FROM k"}
    argo: {tasks_per_pod: 1}
    inputs: {k: src.k}
    sql: CREATE TABLE o AS SELECT getvariable('item') AS i
    outputs: [o]
  batched:
    foreach: {rows: "SELECT i FROM k"}
    inputs: {k: src.k}
    sql: CREATE TABLE o AS SELECT getvariable('item') AS i
    outputs: [o]
YAML
expect_ok "huge: source" "$DUCKFLOW" step huge/pipeline.yaml --run r2 --step src --store "$SCRATCH/store"
expect_code 2 "huge: 60,000 indices are refused" "$DUCKFLOW" argo items huge/pipeline.yaml --run r2 --step each_row --store "$SCRATCH/store"
expect_match "with the reason" "60000 items make a withParam list of [0-9]+ bytes, over Argo's limit" "$errout"
cp "$out" last.out
check "nothing on stdout" test ! -s last.out
expect_ok "huge, batched automatically: the list of its 2,000 pods" "$DUCKFLOW" argo items huge/pipeline.yaml --run r2 --step batched --store "$SCRATCH/store"
cp "$out" batched.json
check "2,000 indices" node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(a.length === 2000 && a[1999] === 1999 ? 0 : 1)' batched.json
expect_code 2 "argo items: unknown step" "$DUCKFLOW" argo items huge/pipeline.yaml --run r2 --step nope --store "$SCRATCH/store"
expect_code 2 "argo items: no --run" "$DUCKFLOW" argo items huge/pipeline.yaml --step src --store "$SCRATCH/store"
