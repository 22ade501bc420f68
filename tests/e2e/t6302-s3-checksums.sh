#!/usr/bin/env bash
# t6302: files fetched from S3 are hashed while they stream and checked against the
# manifest's SHA-256. An object replaced in the bucket by another chunk's file is fetched
# twice, then refused: the downstream step fails with store_error naming both hashes, and
# query exits 3. A download corrupted once in transit is fetched again and the step
# succeeds. `duckflow verify` on the S3 store names the replaced object (exit 1).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..13"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6302"
export DUCKFLOW_CACHE="$SCRATCH/cache"

cat >p.yaml <<'YAML'
name: sums
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  make:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT range AS x FROM range(getvariable('item') * 1000, getvariable('item') * 1000 + 500 + getvariable('item') * 7);
    outputs: [t]
  total:
    inputs: {t: make.t}
    sql: CREATE TABLE n AS SELECT count(*) AS n FROM t;
    outputs: [n]
YAML
expect_ok "a run on s3" "$DUCKFLOW" run p.yaml --store "$S3"
R=$(tail -n 1 "$out")
expect_ok "verify on s3" "$DUCKFLOW" verify "$R" --store "$S3"

s3_reset
expect_ok "the downstream step again" "$DUCKFLOW" step p.yaml --store "$S3" --run "$R" --step total --no-cache --attempt 2
s3_reset
s3_test_faults '{"corruptDownload":1}'
expect_ok "a download corrupted once in transit is fetched again" \
    "$DUCKFLOW" step p.yaml --store "$S3" --run "$R" --step total --no-cache --attempt 3
check "a fault was injected" bash -c "curl -sf '$S3_TEST_ENDPOINT/_front/stats' | grep -q '\"faults\":1'"
s3_test_faults '{}'

M="t6302/sums/runs/$R/make"
sdk get "$M/00000/_manifest.json" m0.json
sdk get "$M/00001/_manifest.json" m1.json
k0="$M/00000/$(jget m0.json 'm.tables.t.files[0].path')"
k1="$M/00001/$(jget m1.json 'm.tables.t.files[0].path')"
sdk get "$k1" other.parquet
check "replace chunk 0's object with chunk 1's" sdk put "$k0" other.parquet
s3_reset
expect_code 3 "the downstream step refuses it" "$DUCKFLOW" step p.yaml --store "$S3" --run "$R" --step total --no-cache --attempt 4
expect_match "checksum mismatch, both hashes named" "checksum mismatch: SHA-256 [0-9a-f]{64} is not the manifest's $(jget m0.json 'm.tables.t.files[0].sha256') \(fetched twice\)" "$errout"
# Counted for its own key: a whole-step count also holds GETs retried under load.
check "the bad file was fetched twice" test "$(s3_stat "Object.entries(s.getKeys || {}).filter(([k]) => k.endsWith('$k0')).reduce((n, [, c]) => n + c, 0)")" -eq 2
expect_code 3 "query refuses it" "$DUCKFLOW" query --store "$S3" --run "$R" 'SELECT count(*) FROM make.t'
expect_match "the same way" "checksum mismatch" "$errout"
expect_code 1 "verify names it" "$DUCKFLOW" verify "$R" --store "$S3"
expect_match "as a hash difference" "^differs: sums/runs/$R/make/00000/.*: (sha256 [0-9a-f]{64} is not the manifest's|[0-9]+ bytes, the manifest says)" "$out"
