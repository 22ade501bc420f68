#!/usr/bin/env bash
# run.sh - builds the libFuzzer targets (clang, the library instrumented too: see
# CMakeLists.txt) into build-fuzz/ and runs each for FUZZ_SECONDS (default 60) from its
# checked-in corpus (tests/fuzz/corpus/<target>/, copied: new inputs go to a scratch
# folder, the seeds stay as they are). Fails when a target crashes, leaks, times out or
# cannot be built. Prints each target's last status line (coverage, corpus size, execs).
#   tests/fuzz/run.sh [TARGET...]      (default: every tests/fuzz/fuzz_*.c)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-60}
CC=${CC:-clang} cmake -S "$top" -B "$build" -DDUCKFLOW_FUZZ=ON -DDUCKFLOW_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$top"/tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
cmake --build "$build" -j "${FUZZ_JOBS:-2}" --target "${targets[@]}" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
    seeds="$top/tests/fuzz/corpus/${t#fuzz_}"
    mkdir -p "$work/$t"
    log="$work/$t.log"
    # DuckDB itself is not instrumented; its allocations are not ours to judge.
    if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/support/lsan.supp} \
        "$build/$t" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$t-" "$work/$t" "$seeds" >"$log" 2>&1; then
        echo "ok   $t: $(grep -E '^#[0-9]+' "$log" | tail -n 1)"
    else
        failed=1
        echo "FAIL $t:"
        tail -n 30 "$log" | sed 's/^/    /'
        for a in "$work/$t-"*; do
            [ -e "$a" ] && cp "$a" "$build/" && echo "    kept $build/$(basename "$a")"
        done
    fi
done
exit $failed
