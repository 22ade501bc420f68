#!/usr/bin/env bash
# t7250: manifests at scale, the figures docs/argo.md gives. A chain of 300 steps compiles
# under 1 MiB with no template but `bundle` over 16 KiB; and Argo's node status for a
# 10,000-item fan-out, simulated by tests/support/argo/nodestatus.js (a Retry node above
# each pod of a retried template; times, hosts and ids varying as in a real run; nodes
# compressed as Argo compresses them): it fits the 1 MiB workflow object with `retries: 0`
# and not with retries (about 8,000 tasks do) — past that, Argo's node status offloading.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
echo "1..7"
mkdir -p chain/sql
{
    echo "name: chain300"
    echo "steps:"
    for i in $(seq 0 299); do
        echo "CREATE TABLE t$i AS SELECT $i AS x" >"chain/sql/s$i.sql"
        echo "  s$i: {sql: sql/s$i.sql, outputs: [t$i]$([ "$i" -gt 0 ] && echo ", after: [s$((i - 1))]")}"
    done
} >chain/pipeline.yaml
expect_ok "300 steps compile" "$DUCKFLOW" argo chain/pipeline.yaml --image registry.example.com/duckflow:0.1.0 \
    --store s3://analytics/duckflow --s3-secret duckflow-s3
cp "$out" chain.yaml
check "under 1 MiB, no template but bundle over 16 KiB" node -e '
    const YAML = require(process.argv[2] + "/node_modules/yaml");
    const fs = require("fs"); const text = fs.readFileSync(process.argv[1], "utf8"); const d = YAML.parse(text);
    const big = d.spec.templates.filter((t) => t.name !== "bundle" && t.name !== "main" && JSON.stringify(t).length > 16384);
    process.exit(text.length < 1048576 && big.length === 0 ? 0 : 1);' "$SCRATCH/chain.yaml" "$DUCKFLOW_TOP"

mkdir -p fan
cat >fan/pipeline.yaml <<'YAML'
name: fan10k
params: {n: 10000}
steps:
  part:
    foreach: {range: n}
    retries: 0
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i
    outputs: [t]
  total:
    inputs: {t: part.t}
    sql: CREATE TABLE s AS SELECT count(*) AS n FROM t
    outputs: [s]
YAML
expect_ok "the fan-out compiles" "$DUCKFLOW" argo fan/pipeline.yaml --image registry.example.com/duckflow:0.1.0 \
    --store s3://analytics/duckflow -o json
cp "$out" fan0.json
expect_ok "10,000 tasks without retries fit the 1 MiB workflow object" node "$sup/nodestatus.js" fan0.json --items 10000
expect_match "about 10,000 nodes" '^nodes 1000[0-9] ' "$out"
sed 's/    retries: 0//' fan/pipeline.yaml >fan/p2.yaml
mv fan/p2.yaml fan/pipeline.yaml
"$DUCKFLOW" argo fan/pipeline.yaml --image registry.example.com/duckflow:0.1.0 --store s3://analytics/duckflow \
    -o json >fan2.json
expect_code 1 "with retries (a Retry node per task) 10,000 tasks do not" node "$sup/nodestatus.js" fan2.json --items 10000
expect_ok "8,000 do" node "$sup/nodestatus.js" fan2.json --items 8000
