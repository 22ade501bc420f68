#!/usr/bin/env bash
# t7100: a manifest executed as Argo would execute it (tests/support/argo/replay.js: every
# pod's command with {{item}}, {{inputs.parameters.x}}, {{workflow.name}}, withParam from the
# items task's stdout, in dependency order) against a local store gives exactly the tables
# `duckflow run` gives, for the examples and for every fan-out kind; the exit handler's
# run.json makes the run visible to `duckflow runs` and `duckflow query`.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..57"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"

replay_and_compare() { # label pipeline params...
    local label=$1 p=$2
    shift 2
    # One snapshot of the pipeline's folder serves the manifest and the local run alike.
    rm -rf "src-$label"
    cp -r "$(dirname "$p")" "src-$label"
    p="$SCRATCH/src-$label/$(basename "$p")"
    local params=()
    for kv in "$@"; do params+=(--param "$kv"); done
    expect_ok "$label: compile" "$DUCKFLOW" argo "$p" --image duckflow:test \
        --store "$SCRATCH/argo" "${params[@]}"
    cp "$out" "$label.yaml"
    expect_ok "$label: manifest validates" node "$sup/validate.js" "$label.yaml"
    expect_ok "$label: replay" node "$sup/replay.js" "$label.yaml" --duckflow "$DUCKFLOW" \
        --name "$label-replay" --uid "uid-$label" --jobs 2 --workdir "$SCRATCH/pods-$label"
    expect_match "$label: the workflow succeeded" "^workflow $label-replay Succeeded$" "$out"
    expect_ok "$label: duckflow run" "$DUCKFLOW" run "$p" --store "$SCRATCH/local" "${params[@]}" -j 2
    local run rid
    run=$(tail -n 1 "$out")
    rid=$(argo_run_id "$label-replay" "uid-$label")
    expect_ok "$label: same tables as duckflow run" "$sup/compare.sh" "$DUCKFLOW" \
        "$SCRATCH/argo" "$rid" "$SCRATCH/local" "$run" "$SCRATCH/cmp-$label"
    expect_match "$label: compared some rows" '^same .* \([1-9][0-9]* rows\)$' "$out"
    # The pods ran exactly the files and params of the local run: same spec hash.
    local ra rb
    ra=$(find "$SCRATCH/argo" -path "*/runs/$rid/run.json")
    rb=$(find "$SCRATCH/local" -path "*/runs/$run/run.json")
    check "$label: same spec hash as the local run" node -e '
        const a = require(process.argv[1]), b = require(process.argv[2]);
        process.exit(/^[0-9a-f]{64}$/.test(a.spec_hash) && a.spec_hash === b.spec_hash ? 0 : 1);' "$ra" "$rb"
    expect_ok "$label: runs lists the replayed run" "$DUCKFLOW" runs --store "$SCRATCH/argo" --format json
    cp "$out" "runs-$label.json"
    check "$label: it succeeded with every task done" node -e '
        const runs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const r = runs.find((x) => x.run === process.argv[2]);
        process.exit(r && r.status === "succeeded" && r.tasks_total > 0 && r.tasks_done === r.tasks_total ? 0 : 1);' \
        "runs-$label.json" "$rid"
}

replay_and_compare tpch "$DUCKFLOW_TOP/examples/tpch/pipeline.yaml" chunks=3 rows=2000
replay_and_compare fanout "$sup/pipelines/fanout/pipeline.yaml"
for ex in "$DUCKFLOW_TOP"/examples/*/pipeline.yaml; do
    name=$(basename "$(dirname "$ex")")
    case $name in
    tpch) ;;
    assets-diff) replay_and_compare "$name" "$ex" n=2000 shards=2 ;;
    query-popularity) replay_and_compare "$name" "$ex" chunks=2 queries=500 ;;
    *) replay_and_compare "$name" "$ex" ;;
    esac
done

# run.json written by the exit handler.
frid=$(argo_run_id fanout-replay uid-fanout)
rj="$SCRATCH/argo/argo_fanout/runs/$frid/run.json"
check "run.json exists" test -f "$rj"
check "run.json says argo, succeeded, and counts every task" node -e '
    const r = require(process.argv[1]);
    const each = r.steps.find((s) => s.name === "after_rows");
    const ok = r.executor === "argo" && r.status === "succeeded" && r.workflow_status === "Succeeded"
        && r.run === process.argv[2] && r.tasks_total === 20 && r.tasks_done === 20
        && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r.started_at) && r.finished_at
        && r.params.n === 3 && each.planned === true && each.tasks.total === 3;
    process.exit(ok ? 0 : 1);' "$rj" "$frid"
expect_ok "query picks the replayed run as latest" "$DUCKFLOW" query --store "$SCRATCH/argo" \
    --pipeline argo_fanout --format csv "SELECT run, status FROM _run.run"
expect_match "latest is the replay" "^$frid,succeeded\$" "$out"

# A workflow parameter given at submit time (argo submit -p n=2) reaches every pod.
expect_ok "replay with -p n=2" node "$sup/replay.js" fanout.yaml --duckflow "$DUCKFLOW" \
    --name fanout-p2 --uid uid-p2 -p n=2 --workdir "$SCRATCH/pods-p2"
expect_ok "the seq step ran 2 tasks" "$DUCKFLOW" query --store "$SCRATCH/argo" --run "$(argo_run_id fanout-p2 uid-p2)" \
    --pipeline argo_fanout --format csv "SELECT count(DISTINCT x // 100) AS items FROM seq.nums"
expect_match "2 items" '^2$' "$out"
