#!/usr/bin/env bash
# t7260: the pipeline file's `argo:` section and a step's `argo: {tasks_per_pod: N}` and
# `scratch: SIZE`.
# - The section's options land in the manifest as their flags would put them, flags win
#   option by option, and the result passes Argo's three checks and the restricted profile.
# - Bad values, unknown keys and tasks_per_pod < 1 are refused with exit 2 and FILE:LINE:COL.
# - A pipeline whose fan-outs (range from a param, values, rows) run 2 items per pod,
#   compiled with --upload-bundle (no bundle template), replayed as Argo would run it
#   (tests/support/argo/replay.js) gives the tables `duckflow run` gives, every item its
#   own committed task.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..30"
img=(--image registry.example.com/duckflow:0.1.0 --store s3://analytics/duckflow)

mkdir -p sec
cat >sec/pipeline.yaml <<'YAML'
name: sec
argo:
  namespace: data
  serviceAccountName: duckflow
  nodeSelector: {pool: batch}
  tolerations: ["dedicated=duckflow:NoSchedule", {key: spot, effect: NoExecute}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]}]
  imagePullSecrets: [regcred]
  priorityClassName: batch-low
  podGC: OnPodSuccess
  ttlStrategy: 2h
  activeDeadlineSeconds: 6h
  parallelism: 50
  synchronization: {mutex: sec}
  labels: {team: data}
  annotations: {owner: me@example.com}
  timezone: Europe/Paris
  startingDeadlineSeconds: 5m
  historyLimit: 3
  concurrencyPolicy: Replace
steps:
  a:
    scratch: 2GiB
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
YAML
expect_ok "the section compiles" "$DUCKFLOW" argo sec/pipeline.yaml "${img[@]}" -o json
cp "$out" sec.json
check "its options are in the manifest" node -e '
    const d = require(process.argv[1]), s = d.spec;
    const ok = d.metadata.namespace === "data" && s.serviceAccountName === "duckflow"
        && s.nodeSelector.pool === "batch" && s.tolerations.length === 2
        && s.tolerations[1].key === "spot" && s.tolerations[1].operator === "Exists"
        && s.affinity.nodeAffinity && s.imagePullSecrets[0].name === "regcred"
        && s.podPriorityClassName === "batch-low" && s.podGC.strategy === "OnPodSuccess"
        && s.ttlStrategy.secondsAfterCompletion === 7200 && s.activeDeadlineSeconds === 21600
        && s.parallelism === 50 && s.synchronization.mutexes[0].name === "sec"
        && d.metadata.labels.team === "data" && d.metadata.annotations.owner === "me@example.com";
    process.exit(ok ? 0 : 1);' "$SCRATCH/sec.json"
check "scratch: the emptyDir, ephemeral-storage and the size the task gets" node -e '
    const d = require(process.argv[1]); const t = d.spec.templates.find((x) => x.name === d.spec.templates[0].dag.tasks.find((y) => y.name === "a").template);
    const c = t.container, env = Object.fromEntries(c.env.filter((e) => e.value).map((e) => [e.name, e.value]));
    const ok = t.volumes[0].emptyDir.sizeLimit === "2Gi" && c.resources.requests["ephemeral-storage"] === "2304Mi"
        && c.resources.limits["ephemeral-storage"] === "2304Mi" && env.DUCKFLOW_SCRATCH_SIZE === String(2 * 1024 ** 3)
        && d.spec.templates.find((x) => x.name === "finish").volumes[0].emptyDir.sizeLimit === "20Gi";
    process.exit(ok ? 0 : 1);' "$SCRATCH/sec.json"
expect_ok "flags win over the section" "$DUCKFLOW" argo sec/pipeline.yaml "${img[@]}" -o json \
    --namespace other --parallelism 3 --label team=ops
cp "$out" flags.json
check "namespace, parallelism and labels from the flags" node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(d.metadata.namespace === "other" && d.spec.parallelism === 3 && d.metadata.labels.team === "ops"
        && d.spec.serviceAccountName === "duckflow" ? 0 : 1);' "$SCRATCH/flags.json"
expect_ok "as a CronWorkflow" "$DUCKFLOW" argo sec/pipeline.yaml "${img[@]}" -o json --cron "0 3 * * *"
cp "$out" sec-cron.json
check "time zone, deadline, history and policy from the section" node -e '
    const d = require(process.argv[1]), s = d.spec;
    process.exit(s.timezone === "Europe/Paris" && s.startingDeadlineSeconds === 300
        && s.successfulJobsHistoryLimit === 3 && s.failedJobsHistoryLimit === 3
        && s.concurrencyPolicy === "Replace" && s.workflowMetadata.labels.team === "data" ? 0 : 1);' "$SCRATCH/sec-cron.json"
expect_ok "as a WorkflowTemplate" "$DUCKFLOW" argo sec/pipeline.yaml "${img[@]}" -o json --template
cp "$out" sec-tpl.json
check "labels reach the workflows it starts (workflowMetadata)" node -e '
    const d = require(process.argv[1]);
    process.exit(d.spec.workflowMetadata.labels.team === "data" ? 0 : 1);' "$SCRATCH/sec-tpl.json"
[ ${#crds[@]} -eq 0 ] && echo "# $shared/argo absent: the CRD part of argo-check is skipped"
expect_ok "all three kinds pass Argo's own checks" node "$sup/argo-check.js" "${crds[@]}" sec.json sec-cron.json sec-tpl.json
expect_ok "and the restricted profile" node "$sup/pss-check.js" sec.json sec-cron.json sec-tpl.json

# Bad input: exit 2, FILE:LINE:COL, what is wrong.
bad() { # label sed-expression expected-message-regex
    sed "$2" sec/pipeline.yaml >sec/bad.yaml
    expect_code 2 "$1 is refused" "$DUCKFLOW" argo sec/bad.yaml "${img[@]}"
    expect_match "$1: the position and the problem" "$3" "$errout"
}
bad "an unknown key" 's/^  podGC:/  podGc:/' "bad.yaml:[0-9]+:[0-9]+: unknown field 'podGc' in argo \\(allowed: namespace, .*podGC"
bad "a bad namespace" 's/^  namespace: data/  namespace: Data_1/' "bad.yaml:3:14: argo.namespace: .*Data_1"
bad "a bad duration" 's/^  ttlStrategy: 2h/  ttlStrategy: soon/' 'bad.yaml:14:16: argo.ttlStrategy: expected a duration'
bad "a bad time zone" 's|^  timezone: Europe/Paris|  timezone: Mars/Base|' "bad.yaml:20:13: argo.timezone: .*Mars/Base"
bad "tasks_per_pod 0" 's/^    scratch: 2GiB/    argo: {tasks_per_pod: 0}/' 'bad.yaml:26:27: tasks_per_pod must be between 1 and'
bad "a bad scratch size" 's/^    scratch: 2GiB/    scratch: lots/' "bad.yaml:26:14: bad size 'lots' for scratch"

# tasks_per_pod end to end.
mkdir -p tp
cat >tp/pipeline.yaml <<'YAML'
name: tp
params: {n: 5}
steps:
  ranged:
    foreach: {range: n}
    argo: {tasks_per_pod: 2}
    sql: CREATE TABLE r AS SELECT getvariable('item') AS i
    outputs: [r]
  listed:
    foreach: {values: [a, b, c]}
    argo: {tasks_per_pod: 2}
    sql: CREATE TABLE l AS SELECT getvariable('item') AS v
    outputs: [l]
  source:
    sql: CREATE TABLE s AS SELECT i FROM range(3) t(i)
    outputs: [s]
  by_row:
    foreach: {rows: "SELECT i FROM s ORDER BY i"}
    inputs: {s: source.s}
    argo: {tasks_per_pod: 2}
    sql: CREATE TABLE b AS SELECT getvariable('item') AS i
    outputs: [b]
  total:
    inputs: {r: ranged.r, l: listed.l, b: by_row.b}
    sql: CREATE TABLE t AS SELECT (SELECT count(*) FROM r) AS r, (SELECT count(*) FROM l) AS l, (SELECT count(*) FROM b) AS b
    outputs: [t]
YAML
expect_ok "compiles with --upload-bundle" "$DUCKFLOW" argo tp/pipeline.yaml --image duckflow:test \
    --store "$SCRATCH/argo" --upload-bundle
cp "$out" tp.yaml
expect_ok "validates" node "$sup/validate.js" tp.yaml
expect_ok "replays" node "$sup/replay.js" tp.yaml --duckflow "$DUCKFLOW" --name tp-1 --uid uid-tp-1 \
    --workdir "$SCRATCH/pods"
expect_match "the workflow succeeded" '^workflow tp-1 Succeeded$' "$out"
check "3 pods for 5 range items, 2 for 3 values, 2 for 3 rows" node -e '
    const fs = require("fs"), path = require("path");
    const pods = fs.readdirSync(process.argv[1]).map((d) => JSON.parse(fs.readFileSync(path.join(process.argv[1], d, "pod.json"), "utf8")));
    const n = (s) => pods.filter((p) => p.args[0] === "argo" && p.args[1] === "step" && p.args[p.args.indexOf("--step") + 1] === s).length;
    process.exit(n("ranged") === 3 && n("listed") === 2 && n("by-row") === 2 ? 0 : 1);' "$SCRATCH/pods"
expect_ok "duckflow run" "$DUCKFLOW" run tp/pipeline.yaml --store "$SCRATCH/local"
run=$(tail -n 1 "$out")
rid=$(argo_run_id tp-1 uid-tp-1)
expect_ok "same tables as duckflow run, every item its own task" "$sup/compare.sh" "$DUCKFLOW" \
    "$SCRATCH/argo" "$rid" "$SCRATCH/local" "$run" "$SCRATCH/cmp"
