#!/usr/bin/env bash
# bench/s3/run.sh - staging throughput of the S3 store against the loopback test server
# (tests/support/s3: s3rver behind the SigV4-verifying front), as a ratio to curl moving
# the same files in parallel on the same machine (curl --aws-sigv4, signed the same way).
#   bench/s3/run.sh [BUILD] [TOTAL_MIB]    (defaults: build, 1024)
# Two shapes of the same total: 64 files and 4 files; each is uploaded then downloaded,
# by duckflow (df_store_put_many/get_many, the engine's staging path: 8 transfers at a
# time, multipart with parallel parts for the big files) and by curl (8 processes at a
# time, or one per file for 4 files). Ratio = curl seconds / duckflow seconds (>= 1 means
# duckflow is faster). Results on stdout as a Markdown table.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
total_mib=${2:-1024}
work=$(mktemp -d "${TMPDIR:-/tmp}/s3bench.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# The driver links against the library the build made.
if [ -n "${S3BENCH_BIN:-}" ]; then
    cp "$S3BENCH_BIN" "$work/s3bench"
else
    cc -std=c11 -O2 -D_GNU_SOURCE -I"$top/src" -o "$work/s3bench" "$top/bench/s3/s3bench.c" \
        "$build/libduckflow_core.a" -L"$top/deps/duckdb/lib" -Wl,-rpath,"$top/deps/duckdb/lib" \
        -lduckdb $(pkg-config --libs yaml-0.1 jansson libcurl) -lcrypto -lpthread -lm
fi

# Data: Parquet is already compressed, so the store sees incompressible bytes; random
# bytes stand in for it (the transfer path never looks inside).
mkdir -p "$work/in64" "$work/in4"
per64=$((total_mib / 64))
per4=$((total_mib / 4))
for i in $(seq -w 0 63); do head -c "$((per64 * 1048576))" /dev/urandom >"$work/in64/part-000$i.parquet"; done
for i in 0 1 2 3; do head -c "$((per4 * 1048576))" /dev/urandom >"$work/in4/part-0000$i.parquet"; done

source "$top/tests/support/s3/start.sh"
trap 's3_test_stop; cleanup' EXIT
unset DUCKFLOW_S3_RETRY_BASE_MS DUCKFLOW_S3_RETRY_MAX_MS

now() { date +%s.%N; }
curl_put() { # DIR PREFIX PARALLEL
    ls "$1" | xargs -P "$3" -I{} curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -T "$1/{}" "$AWS_ENDPOINT_URL/$S3_TEST_BUCKET/$2/{}" -o /dev/null
}
curl_get() { # DIR PREFIX PARALLEL OUT
    ls "$1" | xargs -P "$3" -I{} curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        "$AWS_ENDPOINT_URL/$S3_TEST_BUCKET/$2/{}" -o "$4/{}"
}

echo "| shape | duckflow put s | curl put s | put ratio | duckflow get s | curl get s | get ratio |"
echo "|---|---|---|---|---|---|---|"
for shape in 64 4; do
    in="$work/in$shape"
    par=8
    [ "$shape" = 4 ] && par=4
    # curl first (warms nothing for duckflow: different keys)
    mkdir -p "$work/curl$shape" "$work/df$shape"
    t0=$(now); curl_put "$in" "curl$shape" "$par"; t1=$(now)
    curl_get "$in" "curl$shape" "$par" "$work/curl$shape"; t2=$(now)
    out=$("$work/s3bench" "s3://$S3_TEST_BUCKET/df$shape" "$par" "$work/df$shape" "$in"/*)
    dput=$(echo "$out" | awk '/^put/ {print $2}')
    dget=$(echo "$out" | awk '/^get/ {print $2}')
    cmp -s <(cat "$in"/*) <(cat "$work/df$shape"/*) || { echo "duckflow downloads differ" >&2; exit 1; }
    cmp -s <(cat "$in"/*) <(cat "$work/curl$shape"/*) || { echo "curl downloads differ" >&2; exit 1; }
    cput=$(awk "BEGIN {print $t1 - $t0}")
    cget=$(awk "BEGIN {print $t2 - $t1}")
    printf "| %s x %s MiB | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n" "$shape" \
        "$((total_mib / shape))" "$dput" "$cput" "$(awk "BEGIN {print $cput / $dput}")" \
        "$dget" "$cget" "$(awk "BEGIN {print $cget / $dget}")"
    rm -rf "$work/curl$shape" "$work/df$shape"
done
