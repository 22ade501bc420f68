#!/usr/bin/env bash
# t7220: the run id on Argo is the workflow's name plus a digest of its uid (issue 10 item
# 7), replayed with tests/support/argo/replay.js against a local store:
#   - a failed workflow retried (`argo retry`: same name and uid, succeeded nodes kept)
#     continues the same run, which ends succeeded with the first attempt's tasks in it;
#   - a workflow name that comes back (`argo submit --name`, a generateName collision) with
#     a new uid is a new run: its dynamic fan-out is its own (its own _items.json) and the
#     old run is left as it was;
#   - `argo resubmit` (a new workflow) is a new run too.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
echo "1..21"
mkdir -p p
cat >p/pipeline.yaml <<YAML
name: argo_ids
steps:
  list:
    foreach: {rows: "SELECT k FROM read_csv('$SCRATCH/items.csv')"}
    sql: CREATE TABLE l AS SELECT getvariable('item') AS item
    outputs: [l]
  gate:
    sql: CREATE TABLE g AS SELECT * FROM read_csv('$SCRATCH/flag.csv')
    outputs: [g]
  total:
    inputs: {l: list.l, g: gate.g}
    sql: CREATE TABLE t AS SELECT count(*) AS n FROM l
    outputs: [t]
YAML
printf 'k\n1\n2\n' >items.csv
expect_ok "compile" "$DUCKFLOW" argo p/pipeline.yaml --image duckflow:test --store "$SCRATCH/store"
cp "$out" ids.yaml
r1=$(argo_run_id daily uid-1)

# 1. Fails (no flag.csv yet), then `argo retry` of the same workflow succeeds.
expect_code 1 "first try fails" node "$sup/replay.js" ids.yaml --duckflow "$DUCKFLOW" --name daily \
    --uid uid-1 --save-state s1.json --workdir "$SCRATCH/pods1"
expect_match "its run id is the name plus the uid's digest" "^workflow daily Failed$" "$out"
check "run.json of $r1 says failed" node -e '
    const r = require(process.argv[1]); process.exit(r.status === "failed" && r.run === process.argv[2] ? 0 : 1);' \
    "$SCRATCH/store/argo_ids/runs/$r1/run.json" "$r1"
printf 'ok\ntrue\n' >flag.csv
expect_ok "argo retry succeeds" node "$sup/replay.js" ids.yaml --duckflow "$DUCKFLOW" --retry s1.json \
    --save-state s2.json --workdir "$SCRATCH/pods2"
cp "$errout" retry.err
expect_match "same workflow" "^workflow daily Succeeded$" "$out"
expect_match "the list tasks were kept" '^replay: list\(0:0\): kept' retry.err
expect_match "gate ran again" '^replay: gate attempt 1/3: exit 0$' retry.err
check "the retried run is the same run, now succeeded with every task" node -e '
    const r = require(process.argv[1]);
    process.exit(r.status === "succeeded" && r.tasks_total === 4 && r.tasks_done === 4 ? 0 : 1);' \
    "$SCRATCH/store/argo_ids/runs/$r1/run.json"
expect_ok "query reads it" "$DUCKFLOW" query --store "$SCRATCH/store" --pipeline argo_ids --run "$r1" \
    --format csv "SELECT n FROM total.t"
expect_match "2 items" '^2$' "$out"

# 2. The name comes back with a new uid: a new run, with its own fan-out.
printf 'k\n1\n2\n3\n' >items.csv
r2=$(argo_run_id daily uid-2)
check "a new uid gives a new run id" test "$r1" != "$r2"
expect_ok "the returning name runs" node "$sup/replay.js" ids.yaml --duckflow "$DUCKFLOW" --name daily \
    --uid uid-2 --workdir "$SCRATCH/pods3"
expect_ok "query the new run" "$DUCKFLOW" query --store "$SCRATCH/store" --pipeline argo_ids --run "$r2" \
    --format csv "SELECT n FROM total.t"
expect_match "3 items: its own _items.json, not the old run's" '^3$' "$out"
check "the new run has its own items" node -e '
    const a = require(process.argv[1]), b = require(process.argv[2]);
    process.exit(a.length === 2 && b.length === 3 ? 0 : 1);' \
    "$SCRATCH/store/argo_ids/runs/$r1/list/_items.json" "$SCRATCH/store/argo_ids/runs/$r2/list/_items.json"
expect_ok "the old run is as it was" "$DUCKFLOW" query --store "$SCRATCH/store" --pipeline argo_ids --run "$r1" \
    --format csv "SELECT n FROM total.t"
expect_match "still 2" '^2$' "$out"

# 3. `argo resubmit`: a new workflow (new name, new uid), a new run.
expect_ok "resubmit" node "$sup/replay.js" ids.yaml --duckflow "$DUCKFLOW" --name daily-x7k2p \
    --uid uid-3 --workdir "$SCRATCH/pods4"
expect_ok "runs lists three runs" "$DUCKFLOW" runs --store "$SCRATCH/store" --format json
cp "$out" runs.json
check "three distinct runs, all succeeded" node -e '
    const runs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const want = process.argv.slice(2);
    process.exit(want.every((w) => runs.some((r) => r.run === w && r.status === "succeeded")) ? 0 : 1);' \
    runs.json "$r1" "$r2" "$(argo_run_id daily-x7k2p uid-3)"
