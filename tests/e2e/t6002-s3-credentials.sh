#!/usr/bin/env bash
# t6002: credentials: a wrong secret or unknown key id is a clear error with exit code 3
# that never prints the secret (not even with DUCKFLOW_DEBUG=1); a profile from the shared
# credentials file works; no credentials at all is a clear error.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..12"
s3_setup
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"
S3="s3://$S3_TEST_BUCKET/t6002"
good_id=$AWS_ACCESS_KEY_ID good_secret=$AWS_SECRET_ACCESS_KEY
bad_secret="WrongSecret/Do+Not+Print+9f3a"

AWS_SECRET_ACCESS_KEY=$bad_secret DUCKFLOW_DEBUG=1 expect_code 3 "wrong secret: exit 3" \
    "$DUCKFLOW" run "$P" --store "$S3" --param chunks=1 --param rows=100
expect_match "names the failure" 'SignatureDoesNotMatch' "$errout"
expect_match "names the store" "s3://$S3_TEST_BUCKET/t6002" "$errout"
check "the secret is not printed" bash -c "! grep -qF '$bad_secret' '$out' '$errout'"
check "no signature or credential header in debug logs" \
    bash -c "! grep -Eiq 'authorization|signature=|x-amz-security-token' '$errout'"

AWS_ACCESS_KEY_ID=AKIDUNKNOWN expect_code 3 "unknown key id: exit 3" \
    "$DUCKFLOW" query --store "$S3" "SELECT 1"
check "the good secret is not printed either" bash -c "! grep -qF '$good_secret' '$out' '$errout'"

mkdir -p home/.aws
printf '[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$good_id" "$good_secret" >home/.aws/credentials
printf '[profile ci]\nregion = %s\n' "$AWS_REGION" >home/.aws/config
(
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
    export HOME="$SCRATCH/home" AWS_PROFILE=ci
    expect_ok "a profile from ~/.aws/credentials" "$DUCKFLOW" run "$P" --store "$S3" \
        --param chunks=1 --param rows=100
    AWS_PROFILE=missing expect_code 3 "a missing profile: exit 3" \
        "$DUCKFLOW" run "$P" --store "$S3" --param chunks=1 --param rows=100
    expect_match "names the profile" "profile 'missing'" "$errout"
    echo "$_n" >"$SCRATCH/n"
)
_n=$(cat "$SCRATCH/n")
(
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE
    export HOME="$SCRATCH/nohome"
    expect_code 3 "no credentials: exit 3" "$DUCKFLOW" run "$P" --store "$S3" --param chunks=1
    expect_match "says how to give credentials" 'no credentials found' "$errout"
    echo "$_n" >"$SCRATCH/n"
)
_n=$(cat "$SCRATCH/n")
