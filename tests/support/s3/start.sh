#!/usr/bin/env bash
# start.sh - starts the strict loopback S3 test server (front.js over s3rver) on
# 127.0.0.1 with a random free port, and stops it when the caller exits.
#
# Sourced (in a test):   source "$DUCKFLOW_TOP/tests/support/s3/start.sh"
#   exports AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#   S3_TEST_ENDPOINT, S3_TEST_BUCKET (duckflow) and S3_FRONT_PID, and chains onto the
#   caller's EXIT trap: on exit the server stops, then the caller's trap runs. A trap set
#   after sourcing replaces both (call s3_test_stop in it).
#   s3_test_faults '{"errorRate":0.1}' sets injected faults; s3_test_stats prints counters.
#   S3_TEST_TLS=1 serves HTTPS instead: a fresh CA and a certificate for 127.0.0.1 are made
#   with openssl (EC P-256, valid 2 days) and S3_TEST_CA is exported, the CA's PEM file,
#   for AWS_CA_BUNDLE (duckflow does not trust it unless told).
# Run (anything else):   tests/support/s3/start.sh [CMD ARGS...]
#   runs CMD with the server up and the variables set (or, without CMD, prints them and
#   waits until interrupted), then stops the server.
# S3_FRONT_* variables (see front.js) pass through.
_s3_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

s3_test_stop() {
    if [ -n "${S3_FRONT_PID:-}" ]; then
        kill "$S3_FRONT_PID" 2>/dev/null
        wait "$S3_FRONT_PID" 2>/dev/null
        S3_FRONT_PID=
    fi
    [ -n "${_s3_dir:-}" ] && rm -rf "$_s3_dir"
    _s3_dir=
}

s3_test_faults() {
    curl -sf ${S3_TEST_CA:+--cacert "$S3_TEST_CA"} -X POST --data "${1:-{\}}" \
        "$S3_TEST_ENDPOINT/_front/faults" >/dev/null
}

s3_test_stats() {
    curl -sf ${S3_TEST_CA:+--cacert "$S3_TEST_CA"} "$S3_TEST_ENDPOINT/_front/stats"
}

# A CA and a server certificate for 127.0.0.1 and localhost, signed by it, in dir $1.
_s3_make_tls() {
    local d=$1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=duckflow S3 test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/server.ext" &&
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
            -CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
}

s3_test_start() {
    _s3_dir=$(mktemp -d "${TMPDIR:-/tmp}/s3test.XXXXXX")
    export S3_FRONT_KEYS=${S3_FRONT_KEYS:-duckflow-test:duckflow-test-secret}
    export S3_FRONT_BUCKETS=${S3_FRONT_BUCKETS:-duckflow}
    if [ "${S3_TEST_TLS:-}" = 1 ]; then
        _s3_make_tls "$_s3_dir" || { echo "start.sh: openssl could not make the test CA" >&2; return 1; }
        export S3_FRONT_TLS_CERT="$_s3_dir/server.pem" S3_FRONT_TLS_KEY="$_s3_dir/server.key"
        export S3_TEST_CA="$_s3_dir/ca.pem"
    fi
    TMPDIR="$_s3_dir" node --openssl-legacy-provider "$_s3_top/tests/support/s3/front.js" \
        --port-file "$_s3_dir/endpoint" >"$_s3_dir/front.out" 2>"$_s3_dir/front.err" &
    S3_FRONT_PID=$!
    local i
    for i in $(seq 1 300); do
        [ -s "$_s3_dir/endpoint" ] && break
        if ! kill -0 "$S3_FRONT_PID" 2>/dev/null; then
            echo "start.sh: the S3 test server did not start:" >&2
            cat "$_s3_dir/front.err" >&2
            return 1
        fi
        sleep 0.1
    done
    [ -s "$_s3_dir/endpoint" ] || { echo "start.sh: the S3 test server did not start" >&2; return 1; }
    S3_TEST_ENDPOINT=$(cat "$_s3_dir/endpoint")
    S3_TEST_BUCKET=${S3_FRONT_BUCKETS%%,*}
    export S3_TEST_ENDPOINT S3_TEST_BUCKET S3_FRONT_PID
    export AWS_ENDPOINT_URL="$S3_TEST_ENDPOINT"
    export AWS_ACCESS_KEY_ID=${S3_FRONT_KEYS%%:*}
    local rest=${S3_FRONT_KEYS#*:}
    export AWS_SECRET_ACCESS_KEY=${rest%%,*}
    export AWS_REGION=${S3_FRONT_REGION:-us-east-1}
    # quick retries against the loopback server
    export DUCKFLOW_S3_RETRY_BASE_MS=${DUCKFLOW_S3_RETRY_BASE_MS:-10}
    export DUCKFLOW_S3_RETRY_MAX_MS=${DUCKFLOW_S3_RETRY_MAX_MS:-500}
}

# Keeps the caller's EXIT trap: `trap -p EXIT` prints it quoted for the shell, so eval
# gives the command back as $3 of "trap -- CMD EXIT".
_s3_set_prev_trap() { _s3_prev_exit_trap=$3; }

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    s3_test_start || return 1
    _s3_prev_exit_trap=
    [ -z "$(trap -p EXIT)" ] || eval "_s3_set_prev_trap $(trap -p EXIT)"
    trap 's3_test_stop; eval "$_s3_prev_exit_trap"' EXIT
else
    set -u
    s3_test_start || exit 1
    trap s3_test_stop EXIT INT TERM
    if [ $# -gt 0 ]; then
        "$@"
        exit $?
    fi
    echo "export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_REGION=$AWS_REGION"
    echo "(secret: see S3_FRONT_KEYS; Ctrl-C stops the server)" >&2
    wait "$S3_FRONT_PID"
fi
