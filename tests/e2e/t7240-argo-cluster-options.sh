#!/usr/bin/env bash
# t7240: the cluster operator's options of `duckflow argo` (pod GC, TTL, workflow deadline,
# image pull secrets, priority class, labels and annotations — through workflowMetadata in
# template and cron mode —, mutex or semaphore, CronWorkflow starting deadline, history
# limits and concurrency policy) land where Argo reads them and pass Argo's own checks; bad
# values (Kubernetes names, labels, durations, cron expressions, time zones) are refused
# with exit 2 naming them, before anything is printed.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
[ -f "$shared/argo/workflows.yaml" ] && crds=(--crds "$shared/argo")
echo "1..32"
set -f
p="$sup/pipelines/fanout/pipeline.yaml"
base=(--image duckflow:1 --store s3://b/p)
all=(--pod-gc OnPodSuccess --ttl 168h --active-deadline 6h --image-pull-secret regcred
    --image-pull-secret other --priority-class batch-low --label team=data
    --annotation owner=me@example.com --mutex fanout)

expect_ok "workflow with every option" "$DUCKFLOW" argo "$p" "${base[@]}" "${all[@]}" -o json
cp "$out" wf.json
check "they land in the workflow spec" node -e '
    const d = require(process.argv[1]), s = d.spec;
    const ok = s.podGC.strategy === "OnPodSuccess" && s.ttlStrategy.secondsAfterCompletion === 604800
        && s.activeDeadlineSeconds === 21600 && s.imagePullSecrets.map((x) => x.name).join() === "regcred,other"
        && s.podPriorityClassName === "batch-low" && s.synchronization.mutexes[0].name === "fanout"
        && d.metadata.labels.team === "data" && d.metadata.annotations.owner === "me@example.com";
    process.exit(ok ? 0 : 1);' "$SCRATCH/wf.json"
expect_ok "template" "$DUCKFLOW" argo "$p" "${base[@]}" "${all[@]}" --template -o json
cp "$out" tpl.json
check "a template passes labels and annotations to its workflows (workflowMetadata)" node -e '
    const d = require(process.argv[1]), wm = d.spec.workflowMetadata;
    process.exit(wm.labels.team === "data" && wm.annotations.owner === "me@example.com" ? 0 : 1);' "$SCRATCH/tpl.json"
expect_ok "cron with its options" "$DUCKFLOW" argo "$p" "${base[@]}" --label team=data \
    --semaphore duckflow-limits:nightly --cron "*/15 0-6,22 ? 1-3 1-5" --cron @daily \
    --timezone Europe/Paris --starting-deadline 10m --history-limit 5 --concurrency-policy Replace -o json
cp "$out" cron.json
check "they land in the CronWorkflow" node -e '
    const d = require(process.argv[1]), s = d.spec;
    const ok = s.concurrencyPolicy === "Replace" && s.startingDeadlineSeconds === 600
        && s.successfulJobsHistoryLimit === 5 && s.failedJobsHistoryLimit === 5
        && s.workflowMetadata.labels.team === "data" && s.timezone === "Europe/Paris"
        && s.workflowSpec.synchronization.semaphores[0].configMapKeyRef.name === "duckflow-limits"
        && s.workflowSpec.synchronization.semaphores[0].configMapKeyRef.key === "nightly";
    process.exit(ok ? 0 : 1);' "$SCRATCH/cron.json"
expect_ok "all three pass Argo's own checks" node "$sup/argo-check.js" "${crds[@]}" wf.json tpl.json cron.json
expect_ok "and the semantic validator" node "$sup/validate.js" wf.json tpl.json cron.json

bad() { # what expected-message options...
    local what=$1 msg=$2
    shift 2
    expect_code 2 "$what is refused" "$DUCKFLOW" argo "$p" "${base[@]}" "$@"
    cp "$errout" bad.err
    cp "$out" bad.out
    check "$what: says why, prints nothing" bash -c "grep -qF -- \"$msg\" bad.err && test ! -s bad.out"
}
bad "an unknown pod GC strategy" "pod GC strategy 'Sometimes'" --pod-gc Sometimes
bad "a pull secret that is no Kubernetes name" "image pull secret 'Reg_Cred'" --image-pull-secret Reg_Cred
bad "a label key with a space" "label key 'my team'" --label "my team=x"
bad "a label value over 63 characters" "is not a label value" --label "t=$(printf 'x%.0s' $(seq 70))"
bad "a duration that is not one" "'soon' is not a duration" --ttl soon
bad "a cron option without --cron" "CronWorkflow options" --history-limit 3
bad "a cron schedule with a minute of 61" "field 1 '61'" --cron "61 * * * *"
bad "a cron schedule with four fields" "has 4 fields" --cron "0 3 * *"
bad "an unknown time zone" "time zone 'Mars/Base'" --cron "0 3 * * *" --timezone Mars/Base
bad "a semaphore without a key" "semaphore 'limits'" --semaphore limits
bad "a mutex and a semaphore" "not both" --mutex a --semaphore cm:k
bad "a namespace with capitals" "namespace 'Data'" --namespace Data
