#!/usr/bin/env bash
# t7270: exit hooks beside `finish`, per-task Prometheus metrics, the three ttlStrategy
# fields, and `argo:` section errors that point at the entry at fault.
# - --on-success / --on-failure (and argo: {on_success, on_failure}) make onExit a DAG that
#   runs `finish`, then the user's WorkflowTemplate (or ClusterWorkflowTemplate) template
#   with `when` on {{workflow.status}}; flags win over the section.
# - --metrics (argo: {metrics: true}) adds gauges for duration, rows, bytes and peak RSS
#   labelled pipeline and step; rows, bytes and RSS are output parameters read from files
#   `argo step --metrics-dir` writes, and their values are the committed manifests' counts
#   (replayed with tests/support/argo/replay.js, also with tasks_per_pod).
# - Every manifest passes Argo's three checks, the semantic validator and the restricted
#   profile; bad values are refused with exit 2 and FILE:LINE:COL of the entry.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..42"
img=(--image duckflow:test)

mkdir -p hk
cat >hk/pipeline.yaml <<'YAML'
name: hk
params: {n: 3}
argo:
  on_success: notify/slack
  on_failure: cluster/alerts/page
  metrics: true
  ttlStrategy: {secondsAfterSuccess: 1h, secondsAfterFailure: 7200, secondsAfterCompletion: 3h}
steps:
  part:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT * FROM range(getvariable('item') + 10) r(i)
    outputs: [t]
  total:
    inputs: {t: part.t}
    sql: CREATE TABLE s AS SELECT count(*) AS n FROM t
    outputs: [s]
YAML

expect_ok "the section compiles" "$DUCKFLOW" argo hk/pipeline.yaml "${img[@]}" --store s3://b/p -o json
cp "$out" hk.json
check "onExit is a DAG: finish, then the hooks after it with when on the status" node -e '
    const d = require(process.argv[1]), s = d.spec, e = s.templates.find((t) => t.name === s.onExit);
    const [f, ok, ko] = e.dag.tasks;
    const after = "finish.Succeeded || finish.Failed || finish.Errored";
    process.exit(s.onExit === "exit" && f.template === "finish"
        && ok.templateRef.name === "notify" && ok.templateRef.template === "slack" && !ok.templateRef.clusterScope
        && ok.when === "{{workflow.status}} == Succeeded" && ok.depends === after
        && ko.templateRef.name === "alerts" && ko.templateRef.template === "page" && ko.templateRef.clusterScope === true
        && ko.when === "{{workflow.status}} != Succeeded" && ko.depends === after ? 0 : 1);' "$SCRATCH/hk.json"
check "ttlStrategy has its three fields" node -e '
    const t = require(process.argv[1]).spec.ttlStrategy;
    process.exit(t.secondsAfterSuccess === 3600 && t.secondsAfterFailure === 7200 && t.secondsAfterCompletion === 10800 ? 0 : 1);' "$SCRATCH/hk.json"
check "every step template: four gauges labelled pipeline and step, outputs from files" node -e '
    const d = require(process.argv[1]);
    const steps = d.spec.templates.filter((t) => t.container && t.container.args[1] === "step");
    const ok = steps.length > 0 && steps.every((t) => {
        const p = t.metrics.prometheus, a = t.container.args;
        const names = p.map((m) => m.name).join();
        const outs = t.outputs.parameters.map((o) => `${o.name}=${o.valueFrom.path}`).join();
        return names === "duckflow_task_duration_seconds,duckflow_task_rows,duckflow_task_bytes,duckflow_task_peak_rss_bytes"
            && p.every((m) => m.help && m.gauge.realtime === false && /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name)
                && m.labels.map((l) => `${l.key}=${l.value}`).join() === "pipeline=hk,step={{inputs.parameters.step}}")
            && p[0].gauge.value === "{{duration}}" && p[1].gauge.value === "{{outputs.parameters.rows}}"
            && p[1].when === "{{status}} == Succeeded"
            && outs === "rows=/scratch/.metrics/rows,bytes=/scratch/.metrics/bytes,rss=/scratch/.metrics/rss"
            && a[a.indexOf("--metrics-dir") + 1] === "/scratch/.metrics";
    });
    const others = d.spec.templates.filter((t) => t.container && t.container.args[1] !== "step");
    process.exit(ok && others.every((t) => !t.metrics) ? 0 : 1);' "$SCRATCH/hk.json"
expect_ok "flags win over the section" "$DUCKFLOW" argo hk/pipeline.yaml "${img[@]}" --store s3://b/p -o json \
    --on-success chat/post --ttl-failure 30m
cp "$out" flags.json
check "the flags' hook and ttl, the section's others" node -e '
    const s = require(process.argv[1]).spec, e = s.templates.find((t) => t.name === "exit");
    process.exit(e.dag.tasks[1].templateRef.name === "chat" && e.dag.tasks[2].templateRef.name === "alerts"
        && s.ttlStrategy.secondsAfterFailure === 1800 && s.ttlStrategy.secondsAfterSuccess === 3600 ? 0 : 1);' "$SCRATCH/flags.json"
expect_ok "as a CronWorkflow" "$DUCKFLOW" argo hk/pipeline.yaml "${img[@]}" --store s3://b/p -o json --cron "0 3 * * *"
cp "$out" cron.json
expect_ok "as a WorkflowTemplate" "$DUCKFLOW" argo hk/pipeline.yaml "${img[@]}" --store s3://b/p -o json --template
cp "$out" tpl.json
sed '/^argo:/,/^  ttlStrategy/d' hk/pipeline.yaml >hk/plain.yaml
expect_ok "without hooks or metrics" "$DUCKFLOW" argo hk/plain.yaml "${img[@]}" --store s3://b/p -o json
cp "$out" plain.json
check "onExit is finish itself, no metrics, no outputs" node -e '
    const s = require(process.argv[1]).spec;
    process.exit(s.onExit === "finish" && !s.templates.some((t) => t.name === "exit" || t.metrics || t.outputs) ? 0 : 1);' "$SCRATCH/plain.json"
[ ${#crds[@]} -eq 0 ] && echo "# $shared/argo absent: the CRD part of argo-check is skipped"
expect_ok "Argo's own checks pass" node "$sup/argo-check.js" "${crds[@]}" hk.json flags.json cron.json tpl.json
expect_ok "the semantic validator passes" node "$sup/validate.js" hk.json flags.json cron.json tpl.json
expect_ok "the restricted profile" node "$sup/pss-check.js" hk.json cron.json tpl.json

# Replayed: the hooks after finish, the metrics' files hold the manifests' counts.
expect_ok "compiles for a local store" "$DUCKFLOW" argo hk/pipeline.yaml "${img[@]}" --store "$SCRATCH/store"
cp "$out" local.yaml
expect_ok "replays" node "$sup/replay.js" local.yaml --duckflow "$DUCKFLOW" --name hk-1 --uid uid-hk-1 \
    --workdir "$SCRATCH/pods"
expect_match "the workflow succeeded" '^workflow hk-1 Succeeded$' "$out"
expect_match "the success hook runs" 'on-success: templateRef notify/slack runs' "$errout"
expect_match "the failure hook does not" "on-failure: skipped \\(when 'Succeeded != Succeeded' is false\\)" "$errout"
rid=$(argo_run_id hk-1 uid-hk-1)
check "finish wrote run.json before the hooks" test -f "$SCRATCH/store/hk/runs/$rid/run.json"
check "each pod's rows and bytes are its manifest's, rss a plausible size" node -e '
    const fs = require("fs"), path = require("path"), [dir, store] = process.argv.slice(1);
    const pods = fs.readdirSync(dir).map((d) => JSON.parse(fs.readFileSync(path.join(dir, d, "pod.json"), "utf8")))
        .filter((p) => p.args[1] === "step");
    let ok = pods.length === 4;
    for (const p of pods) {
        const a = p.args, step = a[a.indexOf("--step") + 1], item = a[a.indexOf("--item") + 1];
        const m = JSON.parse(fs.readFileSync(path.join(store, "hk/runs", a[a.indexOf("--run") + 1], step,
            String(item).padStart(5, "0"), "_manifest.json"), "utf8"));
        const t = Object.values(m.tables);
        const rows = t.reduce((s, x) => s + x.rows, 0), bytes = t.reduce((s, x) => s + x.bytes, 0);
        ok = ok && p.outputs.rows === String(rows) && p.outputs.bytes === String(bytes) && bytes > 0
            && +p.outputs.rss > 1e6 && +p.outputs.rss < 1e10;
        if (step === "part") ok = ok && rows === 10 + +item;
    }
    process.exit(ok ? 0 : 1);' "$SCRATCH/pods" "$SCRATCH/store"

# A failed run: finish records it, then the failure hook runs.
sed 's/^    sql: CREATE TABLE s AS SELECT count(\*) AS n FROM t/    sql: CREATE TABLE s AS SELECT no_such_column FROM t/' \
    hk/pipeline.yaml >hk/fail.yaml
expect_ok "a failing pipeline compiles" "$DUCKFLOW" argo hk/fail.yaml "${img[@]}" --store "$SCRATCH/store2"
cp "$out" fail.yaml
expect_code 1 "its replay fails" node "$sup/replay.js" fail.yaml --duckflow "$DUCKFLOW" --name hk-2 --uid uid-hk-2 \
    --workdir "$SCRATCH/pods2"
expect_match "the failure hook runs" 'on-failure: templateRef cluster/alerts/page runs' "$errout"
expect_match "the success hook does not" "on-success: skipped" "$errout"
rid2=$(argo_run_id hk-2 uid-hk-2)
check "run.json says failed" grep -q '"status": *"failed"' "$SCRATCH/store2/hk/runs/$rid2/run.json"

# tasks_per_pod: a pod's counts are the sum of its items'.
sed 's/^    foreach: {range: n}/    foreach: {range: n}\n    argo: {tasks_per_pod: 2}/' hk/pipeline.yaml >hk/grouped.yaml
expect_ok "grouped compiles" "$DUCKFLOW" argo hk/grouped.yaml "${img[@]}" --store "$SCRATCH/store3"
cp "$out" grouped.yaml
expect_ok "grouped replays" node "$sup/replay.js" grouped.yaml --duckflow "$DUCKFLOW" --name hk-3 --uid uid-hk-3 \
    --workdir "$SCRATCH/pods3"
check "pods of items 0-1 and 2: rows 21 and 12" node -e '
    const fs = require("fs"), path = require("path"), dir = process.argv[1];
    const rows = fs.readdirSync(dir).map((d) => JSON.parse(fs.readFileSync(path.join(dir, d, "pod.json"), "utf8")))
        .filter((p) => p.args[1] === "step" && p.args[p.args.indexOf("--step") + 1] === "part")
        .map((p) => `${p.args[p.args.indexOf("--item") + 1]}:${p.outputs.rows}`).sort().join();
    process.exit(rows === "0:21,1:12" ? 0 : 1);' "$SCRATCH/pods3"

# Bad input: exit 2 and where it is.
bad() { # label sed-expression expected-message-regex
    sed "$2" hk/pipeline.yaml >hk/bad.yaml
    expect_code 2 "$1 is refused" "$DUCKFLOW" argo hk/bad.yaml "${img[@]}" --store s3://b/p
    expect_match "$1: the position and the problem" "$3" "$errout"
}
bad "a hook that is no WorkflowTemplate reference" 's|on_success: notify/slack|on_success: slack|' \
    "bad.yaml:4:15: argo.on_success: on-success 'slack' is not WORKFLOWTEMPLATE/TEMPLATE"
bad "a hook with a capital in its object's name" 's|on_failure: cluster/alerts/page|on_failure: cluster/Alerts/page|' \
    "bad.yaml:5:15: argo.on_failure: .*'Alerts' is not a Kubernetes name"
bad "metrics that are not a boolean" 's|metrics: true|metrics: often|' 'bad.yaml:6:12: argo.metrics: expected true or false'
bad "an unknown ttlStrategy field" 's|secondsAfterSuccess: 1h|secondsAfterSucces: 1h|' \
    "bad.yaml:7:17: argo.ttlStrategy.secondsAfterSucces: unknown field"
bad "a bad label key, at the key" 's|^  metrics: true|  metrics: true\n  labels:\n    team: data\n    "a b": x|' \
    "bad.yaml:9:5: argo.labels.a b: label key 'a b'"
bad "a bad label value, at the value" 's|^  metrics: true|  metrics: true\n  labels:\n    team: data\n    owner: "x y"|' \
    "bad.yaml:9:12: argo.labels.owner: label 'owner': value 'x y'"
expect_code 2 "a bad --on-failure" "$DUCKFLOW" argo hk/pipeline.yaml "${img[@]}" --store s3://b/p --on-failure a/b_c
expect_match "names it" "on-failure 'a/b_c': 'b_c' is not an Argo template name" "$errout"
