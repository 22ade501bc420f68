#!/usr/bin/env bash
# t7110: a manifest compiled for an S3 store, replayed pod by pod against the strict S3
# test server (tests/support/s3) with the credentials coming only from the Kubernetes
# secret the manifest names (the pods get no other AWS settings), leaves the same tables
# as `duckflow run` on a local store, and `duckflow query --store s3://...` reads it.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..23"
source "$DUCKFLOW_TOP/tests/support/s3/start.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
S3="s3://$S3_TEST_BUCKET/t7110"
secret=(--secret "duckflow-s3:AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
    --secret "duckflow-s3:AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY")

for case in "tpch|$DUCKFLOW_TOP/examples/tpch/pipeline.yaml|chunks=3 rows=1000" \
    "fanout|$sup/pipelines/fanout/pipeline.yaml|"; do
    IFS='|' read -r label p kvs <<<"$case"
    # One snapshot of the pipeline's folder serves the manifest and the local run alike.
    cp -r "$(dirname "$p")" "src-$label"
    p="$SCRATCH/src-$label/$(basename "$p")"
    params=()
    for kv in $kvs; do params+=(--param "$kv"); done
    expect_ok "$label: compile for s3" "$DUCKFLOW" argo "$p" --image duckflow:test --store "$S3" \
        --s3-secret duckflow-s3 --s3-endpoint "$AWS_ENDPOINT_URL" --s3-region "$AWS_REGION" "${params[@]}"
    cp "$out" "$label.yaml"
    cp "$errout" last.err
    check "$label: no warning" test ! -s last.err
    expect_ok "$label: validates" node "$sup/validate.js" "$label.yaml"
    check "$label: the secret's values are not in the manifest" bash -c \
        "! grep -qF -- '$AWS_SECRET_ACCESS_KEY' '$label.yaml'"
    expect_ok "$label: replay against s3" node "$sup/replay.js" "$label.yaml" \
        --duckflow "$DUCKFLOW" --name "$label-s3" --uid "uid-$label" --jobs 2 --workdir "$SCRATCH/pods-$label" "${secret[@]}"
    expect_match "$label: succeeded" "^workflow $label-s3 Succeeded$" "$out"
    expect_ok "$label: local run" "$DUCKFLOW" run "$p" --store "$SCRATCH/local" "${params[@]}" -j 2
    run=$(tail -n 1 "$out")
    expect_ok "$label: s3 replay and local run have the same tables" "$sup/compare.sh" "$DUCKFLOW" \
        "$S3" "$(argo_run_id "$label-s3" "uid-$label")" "$SCRATCH/local" "$run" "$SCRATCH/cmp-$label"
    expect_match "$label: rows compared" '^same .* \([1-9][0-9]* rows\)$' "$out"
done

# Without the secret the pods have no credentials: the replay fails rather than finding
# keys elsewhere (the test server rejects anonymous requests).
expect_code 2 "a manifest that needs a secret does not replay without it" node "$sup/replay.js" \
    fanout.yaml --duckflow "$DUCKFLOW" --name fanout-nosecret --workdir "$SCRATCH/pods-ns"
expect_match "says which secret" "secret 'duckflow-s3' key 'AWS_ACCESS_KEY_ID'" "$errout"
expect_ok "runs lists both replays on s3" "$DUCKFLOW" runs --store "$S3"
expect_match "tpch" "$(argo_run_id tpch-s3 uid-tpch) +succeeded" "$out"
expect_match "fanout" "$(argo_run_id fanout-s3 uid-fanout) +succeeded" "$out"
