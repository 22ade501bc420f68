#!/usr/bin/env bash
# t3206: `argo resubmit` reuses through the cache (issue 10 items 3 and 7), replayed with
# tests/support/argo/replay.js: the pods run `duckflow argo step` as Argo would start them.
#   - a resubmitted workflow (new name, new uid) is a new run in which every unchanged
#     task is a cache hit: each pod commits a manifest in the new run that lists the
#     first run's files (nothing copied, no attempt folder) and the run ends succeeded,
#     its run.json and `duckflow runs` counting the reused tasks;
#   - when the fan-out grows, the pods of the old items hit and only the new item runs;
#     the fan-in, which runs, reads the reused pods' manifests (it counts every item);
#   - a workflow compiled after editing the last step's SQL: only that step's pod runs.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
echo "1..23"
mkdir -p p
cat >p/pipeline.yaml <<YAML
name: argo_cache
steps:
  list:
    foreach: {rows: "SELECT k FROM read_csv('$SCRATCH/items.csv') ORDER BY k"}
    sql: CREATE TABLE l AS SELECT getvariable('item')::BIGINT AS k
    outputs: [l]
  total:
    inputs: {l: list.l}
    sql: CREATE TABLE t AS SELECT count(*) AS n, sum(k)::BIGINT AS s FROM l
    outputs: [t]
YAML
printf 'k\n1\n2\n' >items.csv
ST="$SCRATCH/store"
expect_ok "compile" "$DUCKFLOW" argo p/pipeline.yaml --image duckflow:test --store "$ST"
cp "$out" wf.yaml
# tasks RUN -> "step/item:reused_from_run|-:has_attempt_folder" per committed task, sorted
tasks() {
    node -e '
        const fs = require("fs"), path = require("path");
        const dir = process.argv[1], rows = [];
        for (const step of fs.readdirSync(dir).sort()) {
            if (!fs.statSync(path.join(dir, step)).isDirectory()) continue;
            for (const item of fs.readdirSync(path.join(dir, step)).sort()) {
                const mf = path.join(dir, step, item, "_manifest.json");
                if (!fs.existsSync(mf)) continue;
                const m = JSON.parse(fs.readFileSync(mf, "utf8"));
                const own = fs.readdirSync(path.join(dir, step, item)).some((f) => /^[0-9]+-[0-9a-f]{4}$/.test(f));
                rows.push(`${step}/${m.item_key}:${m.reused_from_run || "-"}:${own ? "own" : "none"}`);
            }
        }
        console.log(rows.join(" "));' "$ST/argo_cache/runs/$1"
}
total() { "$DUCKFLOW" query --store "$ST" --pipeline argo_cache --run "$1" --format csv "SELECT n, s FROM total.t" 2>q.err | tail -n 1; }

r1=$(argo_run_id daily uid-1)
expect_ok "the workflow runs" node "$sup/replay.js" wf.yaml --duckflow "$DUCKFLOW" --name daily \
    --uid uid-1 --workdir "$SCRATCH/pods1"
check "every task ran in it" test "$(tasks "$r1")" = "list/00000:-:own list/00001:-:own total/00000:-:own"

# 1. argo resubmit: a new workflow name and uid, the same manifest.
r2=$(argo_run_id daily-x7k2p uid-2)
expect_ok "the resubmitted workflow runs" node "$sup/replay.js" wf.yaml --duckflow "$DUCKFLOW" \
    --name daily-x7k2p --uid uid-2 --workdir "$SCRATCH/pods2"
cp "$errout" resubmit.err
check "a new run" test "$r1" != "$r2"
check "every pod hit the cache and committed a manifest listing the first run's files" \
    test "$(tasks "$r2")" = "list/00000:$r1:none list/00001:$r1:none total/00000:$r1:none"
expect_match "each step pod exited 0" '^replay: total attempt 1/3: exit 0$' resubmit.err
check "the run ended succeeded with its 3 tasks" node -e '
    const r = require(process.argv[1]);
    process.exit(r.status === "succeeded" && r.tasks_total === 3 && r.tasks_done === 3 ? 0 : 1);' \
    "$ST/argo_cache/runs/$r2/run.json"
check "its result" test "$(total "$r2")" = "2,3"
check "run.json counts the reused tasks" test "$(jget "$ST/argo_cache/runs/$r2/run.json" m.tasks_reused)" = 3
expect_ok "duckflow runs" "$DUCKFLOW" runs --store "$ST"
expect_match "shows them as reused" "^argo_cache +$r2 +succeeded.* 3/3 \(3 reused\)" "$out"
expect_ok "_run.tasks says where the files came from" "$DUCKFLOW" query --store "$ST" --pipeline argo_cache \
    --run "$r2" --format csv "SELECT count(*) FROM _run.tasks WHERE reused_from_run = '$r1'"
check "all 3" test "$(tail -n 1 "$out")" = 3
expect_ok "the resubmitted run verifies (its manifests name existing files)" "$DUCKFLOW" verify "$r2" \
    --store "$ST" --pipeline argo_cache

# 2. The fan-out grows: the old items' pods hit, the new one runs, the fan-in runs.
printf 'k\n1\n2\n4\n' >items.csv
r3=$(argo_run_id daily-q9w3z uid-3)
expect_ok "resubmitted with a third item" node "$sup/replay.js" wf.yaml --duckflow "$DUCKFLOW" \
    --name daily-q9w3z --uid uid-3 --workdir "$SCRATCH/pods3"
check "items 0 and 1 reused, item 2 and the fan-in ran" \
    test "$(tasks "$r3")" = "list/00000:$r1:none list/00001:$r1:none list/00002:-:own total/00000:-:own"
check "the fan-in read the reused pods' manifests" test "$(total "$r3")" = "3,7"

# 3. The last step's SQL edited, compiled again and submitted: only its pod runs.
sed -i 's/sum(k)::BIGINT AS s/sum(k)::BIGINT * 10 AS s/' p/pipeline.yaml
expect_ok "compile the edited pipeline" "$DUCKFLOW" argo p/pipeline.yaml --image duckflow:test --store "$ST"
cp "$out" wf2.yaml
r4=$(argo_run_id daily-e4 uid-4)
expect_ok "the edited workflow runs" node "$sup/replay.js" wf2.yaml --duckflow "$DUCKFLOW" \
    --name daily-e4 --uid uid-4 --workdir "$SCRATCH/pods4"
check "only total ran" \
    test "$(tasks "$r4")" = "list/00000:$r1:none list/00001:$r1:none list/00002:$r3:none total/00000:-:own"
check "with the new SQL" test "$(total "$r4")" = "3,70"
check "the first run is as it was" test "$(total "$r1")" = "2,3"
