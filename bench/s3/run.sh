#!/usr/bin/env bash
# bench/s3/run.sh - staging throughput of the S3 store against the loopback test server
# (tests/support/s3: s3rver behind the SigV4-verifying front), as a ratio to curl moving
# the same files in parallel on the same machine (curl --aws-sigv4, signed the same way).
#   bench/s3/run.sh [BUILD] [TOTAL_MIB]    (defaults: build, 1024)
# Two shapes of the same total: 64 files and 4 files; each is uploaded then downloaded,
# by duckflow (df_store_put_many/get_many, the engine's staging path: 8 transfers at a
# time, multipart with parallel parts for the big files) and by curl (8 processes at a
# time, or one per file for 4 files). Ratio = curl seconds / duckflow seconds (>= 1 means
# duckflow is faster), best of S3BENCH_REPS (3) runs each, in alternating order. Results on stdout as a Markdown
# table. duckflow verifies what it moves (Content-MD5 on uploads, which the server checks,
# and MD5 of downloads against the ETag); curl verifies nothing. Both send
# UNSIGNED-PAYLOAD (duckflow's default on https://; on http:// it would sign the body).
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
unset DUCKFLOW_S3_RETRY_BASE_MS DUCKFLOW_S3_RETRY_MAX_MS

now() { date +%s.%N; }
# curl_put/curl_get leave the CPU seconds of every curl process in $work/cpu.
curl_put() { # DIR PREFIX PARALLEL
    ls "$1" | /usr/bin/time -f '%U %S' -o "$work/cpu" xargs -P "$3" -I{} curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -T "$1/{}" "$AWS_ENDPOINT_URL/$S3_TEST_BUCKET/$2/{}" -o /dev/null
}
curl_get() { # DIR PREFIX PARALLEL OUT
    ls "$1" | /usr/bin/time -f '%U %S' -o "$work/cpu" xargs -P "$3" -I{} curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        "$AWS_ENDPOINT_URL/$S3_TEST_BUCKET/$2/{}" -o "$4/{}"
}

# Best of REPS runs of each side (the machine is shared: the minimum is the least noisy).
reps=${S3BENCH_REPS:-3}
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }

# shape: files x size, transfers at a time, extra environment for duckflow
run_shape() { # TAG LABEL DIR PAR [VAR=VALUE...]
    local tag=$1 label=$2 in=$3 par=$4
    shift 4
    local dp=() dg=() cp=() cg=() dpc=() dgc=() cpc=() cgc=() r t0 t1 t2 out
    for r in $(seq 1 "$reps"); do
        mkdir -p "$work/c" "$work/d"
        # alternate who goes first: the server's write-back of one side's uploads must
        # not always fall on the same side
        if [ $((r % 2)) = 0 ]; then
            out=$(env "$@" "$work/s3bench" "s3://$S3_TEST_BUCKET/d$r$tag" "$par" "$work/d" "$in"/*)
            sync
        fi
        t0=$(now); curl_put "$in" "c$r$tag" "$par"; t1=$(now)
        cpc+=("$(awk '{print $1 + $2}' "$work/cpu")")
        curl_get "$in" "c$r$tag" "$par" "$work/c"; t2=$(now)
        cgc+=("$(awk '{print $1 + $2}' "$work/cpu")")
        cp+=("$(awk "BEGIN {print $t1 - $t0}")")
        cg+=("$(awk "BEGIN {print $t2 - $t1}")")
        if [ $((r % 2)) = 1 ]; then
            sync
            out=$(env "$@" "$work/s3bench" "s3://$S3_TEST_BUCKET/d$r$tag" "$par" "$work/d" "$in"/*)
        fi
        dp+=("$(echo "$out" | awk '/^put / {print $2}')")
        dg+=("$(echo "$out" | awk '/^get / {print $2}')")
        dpc+=("$(echo "$out" | awk '/^put_cpu/ {print $2}')")
        dgc+=("$(echo "$out" | awk '/^get_cpu/ {print $2}')")
        cmp -s <(cat "$in"/*) <(cat "$work/d"/*) || { echo "duckflow downloads differ" >&2; exit 1; }
        cmp -s <(cat "$in"/*) <(cat "$work/c"/*) || { echo "curl downloads differ" >&2; exit 1; }
        rm -rf "$work/c" "$work/d"
    done
    local bdp bdg bcp bcg
    bdp=$(best "${dp[@]}") bdg=$(best "${dg[@]}") bcp=$(best "${cp[@]}") bcg=$(best "${cg[@]}")
    printf "| %s | %.2f | %.2f | %s | %.2f | %.2f | %s | %.2f / %.2f | %.2f / %.2f |\n" \
        "$label" "$bdp" "$bcp" "$(ratio "$bcp" "$bdp")" "$bdg" "$bcg" "$(ratio "$bcg" "$bdg")" \
        "$(best "${dpc[@]}")" "$(best "${cpc[@]}")" "$(best "${dgc[@]}")" "$(best "${cgc[@]}")"
}

# The table also lands in BUILD/bench-results/s3.md, beside the other benchmarks' results.
mkdir -p "$build/bench-results"
exec > >(tee "$build/bench-results/s3.md")
echo "| shape | duckflow put s | curl put s | put ratio | duckflow get s | curl get s | get ratio | client CPU s, put: duckflow / curl | client CPU s, get: duckflow / curl |"
echo "|---|---|---|---|---|---|---|---|---|"
run_shape s64 "64 x $per64 MiB" "$work/in64" 8 DUCKFLOW_S3_SIGN_PAYLOAD=off
run_shape s4 "4 x $per4 MiB" "$work/in4" 4 DUCKFLOW_S3_SIGN_PAYLOAD=off
# The same with single PUTs: s3rver completes a multipart upload by copying every part
# into a new file, work that real S3 does not do on the upload's critical path.
run_shape s4single "4 x $per4 MiB, single PUT" "$work/in4" 4 DUCKFLOW_S3_SIGN_PAYLOAD=off \
    DUCKFLOW_S3_MULTIPART_THRESHOLD=4G
