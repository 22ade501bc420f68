#!/usr/bin/env bash
# t6200: content-addressed tasks on an object store (the S3 test server, and gs:// through
# it with GCS's conditional header): a second run reuses every task without uploading a
# file; `duckflow step` whose key hits (an Argo pod) commits a manifest that lists the
# earlier files and exits; an owner record is created with If-None-Match: * (or
# x-goog-if-generation-match: 0) and a second create of it is refused by the server, so a
# resume of a run a live executor owns is refused.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"
s3_setup

cat >p.yaml <<'YAML'
name: s3cache
defaults: {threads: 1, memory_limit: 256MB}
steps:
  gen:
    foreach: {range: 3}
    sql: CREATE TABLE g AS SELECT range AS x FROM range(getvariable('item') * 100, getvariable('item') * 100 + 100);
    outputs:
      g: {order_by: [x]}
  merge:
    inputs: {g: gen.g}
    sql: CREATE TABLE m AS SELECT count(*) AS n, sum(x)::BIGINT AS total FROM g;
    outputs: [m]
YAML

# gs:// goes to the same test server (GCS's XML API is S3's, with HMAC keys).
export DUCKFLOW_GCS_ENDPOINT="$S3_TEST_ENDPOINT" DUCKFLOW_GCS_REGION="$AWS_REGION"
for scheme in s3 gs; do
    S="$scheme://$S3_TEST_BUCKET/t6200-$scheme"
    s3_reset
    expect_ok "$scheme: first run" "$DUCKFLOW" run p.yaml --store "$S" -j 2
    R1=$(tail -n 1 "$out")
    [ $scheme = s3 ] && R1_S3=$R1
    check "$scheme: the owner record was a conditional create" test "$(s3_stat 's.conditionalPuts || 0')" -ge 1
    check "$scheme: cache entries written" sdk ls "t6200-$scheme/s3cache/cache/"
    check "$scheme: 4 of them" test "$(grep -c '\.json ' "$out")" -eq 4
    s3_reset
    expect_ok "$scheme: second run" "$DUCKFLOW" run p.yaml --store "$S" -j 2
    R2=$(tail -n 1 "$out")
    expect_match "$scheme: every step reused" '^merge +1/1 .* ok \(reused\)' "$errout"
    sdk ls "t6200-$scheme/s3cache/runs/$R2/" >r2.ls
    check "$scheme: the second run wrote manifests, no parquet" \
        bash -c "grep -q '_manifest.json' r2.ls && ! grep -q '\.parquet' r2.ls"
    "$DUCKFLOW" query --store "$S" --run "$R2" --format csv "SELECT n, total FROM merge.m" >q.csv 2>q.err
    check "$scheme: the reused run reads the first run's files" test "$(tail -n 1 q.csv)" = "300,44850"
done

# A pod: `duckflow step` in a new run finds its key and commits without running.
S="s3://$S3_TEST_BUCKET/t6200-s3"
R1=$R1_S3
expect_ok "step with a cache hit" "$DUCKFLOW" step p.yaml --run pod-1 --step gen --item 1 --store "$S"
sdk get "t6200-s3/s3cache/runs/pod-1/gen/00001/_manifest.json" m.json >/dev/null 2>&1
check "its manifest lists the earlier run's files" test "$(jget m.json 'm.reused_from_run + "|" + m.files_root.includes("/runs/" + m.reused_from_run + "/")')" = "$R1|true"

# A fresh owner record of another executor: the conditional create of the next one loses
# and the resume is refused.
now_ms=$(($(date +%s) * 1000))
echo "{\"host\":\"elsewhere\",\"pid\":4242,\"heartbeat_ms\":$now_ms,\"released\":false}" >own.json
sdk put "t6200-s3/s3cache/runs/$R1/_owner-000002.json" own.json
expect_code 2 "resume of a run owned elsewhere" "$DUCKFLOW" run p.yaml --store "$S" --resume "$R1"
expect_match "names the owner" "driven by pid 4242 on host 'elsewhere'" "$errout"
