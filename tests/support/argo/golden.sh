#!/usr/bin/env bash
# golden.sh - the golden-file cases of `duckflow argo`: each case compiles a fixture
# pipeline (tests/support/argo/pipelines) with fixed options and compares the output with
# tests/golden/argo/<case>.<yaml|json> (tests/e2e/t7010-argo-golden.sh does the diff). The
# spec-hash annotation is masked, so a change in how the spec module hashes does not break
# these files.
#   golden.sh DUCKFLOW_BIN OUT_DIR     writes every case into OUT_DIR and prints the file
#                                      names, one a line
#   DUCKFLOW_REGEN_GOLDEN=1 golden.sh DUCKFLOW_BIN OUT_DIR   also rewrites the golden files
# Exit status 0 when every case compiled.
set -uo pipefail
bin=${1:?usage: golden.sh DUCKFLOW_BIN OUT_DIR}
out=${2:?usage: golden.sh DUCKFLOW_BIN OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
golden="$top/tests/golden/argo"
pl="$here/pipelines"
mkdir -p "$out"

# name|extension|pipeline|options (word-split; no spaces inside one option)
cases=(
  "fanout-workflow|yaml|fanout/pipeline.yaml|--image registry.example.com/duckflow:0.1.0 --store s3://analytics/duckflow --s3-secret duckflow-s3 --s3-region eu-west-1 --namespace data --service-account duckflow --pull-policy IfNotPresent --node-selector kubernetes.io/arch=amd64 --node-selector pool=batch --toleration dedicated=duckflow:NoSchedule --toleration spot:NoExecute --parallelism 4 --scratch-size 8GiB --param n=5"
  "fanout-template|yaml|fanout/pipeline.yaml|--template --name argo-fanout-tpl --image duckflow:dev --store gs://bucket/prefix --s3-secret gcs-hmac --s3-endpoint https://storage.googleapis.com"
  "nested-cron|yaml|nested/flow/pipeline.yaml|--cron 0_3_*_*_* --cron 30_12_*_*_1-5 --timezone Europe/Paris --image duckflow:0.1 --store s3://b/p"
  "nested-workflow|json|nested/flow/pipeline.yaml|--image duckflow:0.1 --store s3://b/p --output json --command /usr/local/bin/duckflow"
  "hooks-metrics|yaml|fanout/pipeline.yaml|--image duckflow:0.1 --store s3://b/p --on-success notify/slack --on-failure cluster/alerts/page --metrics --ttl 3h --ttl-success 1h --ttl-failure 7200s"
)

fail=0
set -f # the cron schedules hold `*`
for c in "${cases[@]}"; do
    IFS='|' read -r name ext pipeline opts <<<"$c"
    # Cron schedules carry spaces: written with '_' above, turned back here.
    args=()
    for o in $opts; do
        case $o in *_*_*_*_*) o=${o//_/ } ;; esac
        args+=("$o")
    done
    file="$out/$name.$ext"
    if ! "$bin" argo "$pl/$pipeline" "${args[@]}" 2>"$out/$name.err" |
        sed -E 's/("?duckflow\.io\/spec-hash"?: )"?[0-9a-f]{64}"?/\1"<spec-hash>"/' >"$file"; then
        echo "golden.sh: case $name: duckflow argo failed:" >&2
        cat "$out/$name.err" >&2
        fail=1
        continue
    fi
    [ "${DUCKFLOW_REGEN_GOLDEN:-0}" = 1 ] && cp "$file" "$golden/$name.$ext"
    echo "$name.$ext"
done
exit $fail
