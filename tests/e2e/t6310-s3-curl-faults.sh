#!/usr/bin/env bash
# t6310: libcurl failures are checked and reported, never dropped. duckflow loads
# build/tests/libcurlshim.so (tests/support/curlshim.c: forwards to libcurl, fails what
# CURLSHIM_* asks) through the test hook DUCKFLOW_CURL_LIBRARY (DEVELOPERS.md):
# - a failed curl_easy_setopt or curl_slist_append in an S3 request (s3_client.c), an STS
#   call (creds.c) and an OpenLineage POST (lineage.c) fails that request with the reason,
#   and nothing is sent;
# - an upload whose source file cannot be read reports that read's errno (EISDIR), not the
#   stale errno curl leaves behind (the shim sets ENOTTY after every transfer);
# - a library path that does not load is named.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
shim="${DUCKFLOW_BUILD:-$(dirname "$DUCKFLOW")}/tests/libcurlshim.so"
if [ ! -f "$shim" ]; then
    echo "1..0 # SKIP $shim is not built (a build with DUCKFLOW_TESTS=OFF)"
    exit 0
fi
echo "1..28"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6310"
requests() { s3_stat 's.requests'; }
shimmed() { env DUCKFLOW_CURL_LIBRARY="$shim" DUCKFLOW_S3_MAX_ATTEMPTS=2 "$@"; }

expect_ok "through the shim with no fault duckflow works as with libcurl" \
    shimmed "$DUCKFLOW" runs --store "$S3"
expect_code 3 "a library that does not load: exit 3" \
    env DUCKFLOW_CURL_LIBRARY="$SCRATCH/nope.so" "$DUCKFLOW" runs --store "$S3"
expect_match "naming it" "cannot load $SCRATCH/nope.so" "$errout"

# S3 requests (s3_client.c).
n0=$(requests)
expect_code 3 "S3: a failed curl_easy_setopt fails the request (exit 3)" \
    shimmed env CURLSHIM_FAIL_OPT=213 "$DUCKFLOW" runs --store "$S3"
expect_match "with the option's error" "list: s3://$S3_TEST_BUCKET/: cannot set up the request: A libcurl function was given a bad argument" "$errout"
check "and sends nothing" test "$(requests)" = "$n0"
expect_code 3 "S3: the Nth setopt of the process failing (the first request's third)" \
    shimmed env CURLSHIM_FAIL_SETOPT=3 "$DUCKFLOW" runs --store "$S3"
expect_match "fails it the same way" "cannot set up the request: A libcurl function was given a bad argument" "$errout"
expect_code 3 "S3: a failed curl_slist_append fails the request" \
    shimmed env CURLSHIM_FAIL_SLIST=2 "$DUCKFLOW" runs --store "$S3"
expect_match "saying the headers could not be built" "list: s3://$S3_TEST_BUCKET/: cannot build the request's headers" "$errout"
check "and sends nothing either" test "$(requests)" = "$n0"

# An upload whose source cannot be read (s3_client.c read_cb).
cat >p.yaml <<'YAML'
name: up
steps:
  a:
    sql: CREATE TABLE t AS SELECT range AS x FROM range(100000)
    outputs: [t]
YAML
expect_code 3 "an upload whose source fails to read fails the task as a store error (exit 3)" \
    shimmed env CURLSHIM_FAIL_READ=/out/ "$DUCKFLOW" step p.yaml --run r1 --step a --store "$S3"
expect_match "the shim broke the source" '^curlshim: the upload.s source .*/out/t/part-00000\.parquet now reads as a directory' "$errout"
expect_match "the message has the read's own errno" "cannot upload outputs: .*part-00000\.parquet: cannot read the upload's source: Is a directory" "$errout"
check "not the one curl left behind" bash -c "! grep -q 'Inappropriate ioctl' '$errout'"
check "and the task did not commit" bash -c "! sdk ls t6310/up/runs/r1/a/00000/_manifest.json | grep -q _manifest"

# STS (creds.c): web identity, so the first calls are AssumeRoleWithWebIdentity.
echo "eyJhbGciOi.pod-token.sig" >token
sts() {
    (
        unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
        export HOME="$SCRATCH" AWS_WEB_IDENTITY_TOKEN_FILE="$SCRATCH/token"
        export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/duckflow-pods
        export AWS_ENDPOINT_URL_STS="$S3_TEST_ENDPOINT"
        "$@"
    )
}
expect_ok "STS through the shim works" sts shimmed "$DUCKFLOW" runs --store "$S3"
sts0=$(s3_stat 's.sts')
expect_code 3 "STS: a failed curl_easy_setopt (CURLOPT_POSTFIELDS) fails the credentials (exit 3)" \
    sts shimmed env CURLSHIM_FAIL_OPT=10015 "$DUCKFLOW" runs --store "$S3"
expect_match "saying so" "sts: cannot set up the request: A libcurl function was given a bad argument" "$errout"
expect_code 3 "STS: a failed curl_slist_append too" \
    sts shimmed env CURLSHIM_FAIL_SLIST=1 "$DUCKFLOW" runs --store "$S3"
expect_match "saying the headers could not be built" "sts: cannot set up the request: cannot build its headers" "$errout"
check "STS was not asked" test "$(s3_stat 's.sts')" = "$sts0"

# OpenLineage (lineage.c): a local run, the endpoint started here.
node "$DUCKFLOW_TOP/tests/support/openlineage/server.js" port got 0 &
srv=$!
trap 'kill $srv 2>/dev/null; s3_test_stop' EXIT
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.05; done
export OPENLINEAGE_URL="http://127.0.0.1:$(cat port)"
expect_ok "lineage: a failed curl_easy_setopt does not fail the run" \
    shimmed env CURLSHIM_FAIL_OPT=10015 "$DUCKFLOW" run -q p.yaml --store "$SCRATCH/local"
expect_match "it warns with the reason" "warning: cannot send lineage events to .*: cannot set up the request: A libcurl function was given a bad argument" "$errout"
check "and nothing was POSTed" test ! -s got.requests
expect_ok "lineage: a failed curl_slist_append neither (the first POST's; its retry passes)" \
    shimmed env CURLSHIM_FAIL_SLIST=1 "$DUCKFLOW" run -q p.yaml --store "$SCRATCH/local"
expect_match "the shim failed it" "^curlshim: curl_slist_append #1 fails" "$errout"
check "no event was POSTed without its headers: every request is JSON, one per event received" bash -c \
    "test -s got.requests && ! grep -v ' application/json' got.requests && test \$(wc -l <got.requests) = \$(wc -l <got)"
