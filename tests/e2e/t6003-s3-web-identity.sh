#!/usr/bin/env bash
# t6003: web identity (how EKS pods get credentials): no keys in the environment, a token
# file and a role; every task process exchanges the token at the loopback STS stand-in
# for temporary credentials that the S3 front then accepts. A token STS refuses: exit 3.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..6"
s3_setup
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"
S3="s3://$S3_TEST_BUCKET/t6003"
echo "eyJhbGciOi.pod-token.sig" >token
(
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    export HOME="$SCRATCH" AWS_WEB_IDENTITY_TOKEN_FILE="$SCRATCH/token"
    export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/duckflow-pods
    export AWS_ENDPOINT_URL_STS="$S3_TEST_ENDPOINT"
    expect_ok "run with web identity" "$DUCKFLOW" run "$P" --store "$S3" --param chunks=2 \
        --param rows=500
    echo "$_n" >"$SCRATCH/n"
)
_n=$(cat "$SCRATCH/n")
stats=$(s3_test_stats)
echo "# $stats"
check "STS was asked by the task processes" bash -c "echo '$stats' | grep -Eq '\"sts\":([4-9]|[1-9][0-9])'"
check "outputs written" sdk verify-manifests t6003/
expect_match "5 manifests" '^manifests 5 ' "$out"
(
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    export HOME="$SCRATCH" AWS_WEB_IDENTITY_TOKEN_FILE="$SCRATCH/token"
    export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/duckflow-pods
    export AWS_ENDPOINT_URL_STS="$S3_TEST_ENDPOINT"
    S3_FRONT_WEB_TOKEN= 
    echo "" >"$SCRATCH/token"
    expect_code 3 "an empty token: exit 3" "$DUCKFLOW" run "$P" --store "$S3" --param chunks=1
    expect_match "STS refused" 'InvalidIdentityToken|sts' "$errout"
    echo "$_n" >"$SCRATCH/n"
)
_n=$(cat "$SCRATCH/n")
