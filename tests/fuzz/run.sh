#!/usr/bin/env bash
# run.sh - builds the libFuzzer targets (clang, the library instrumented too: see
# CMakeLists.txt) into build-fuzz/ and runs each for FUZZ_SECONDS (default 60) from its
# checked-in corpus (tests/fuzz/corpus/<target>/, copied: new inputs go to a scratch
# folder, the seeds stay as they are). Fails when a target crashes, leaks, times out or
# cannot be built. Prints each target's last status line (coverage, corpus size, execs).
#   tests/fuzz/run.sh [TARGET...]      (default: every tests/fuzz/fuzz_*.c)
# FUZZ_CPU_SECONDS=N budgets CPU time instead of wall time: each target runs (at nice 19,
# so it only takes idle cores) until it has used N CPU seconds, then is stopped with
# SIGINT (libFuzzer prints its final stats and exits 72, counted as a clean stop).
# FUZZ_KEEP=DIR keeps the grown corpora and logs in DIR instead of a scratch folder.
# FUZZ_TIMEOUT=N: an input running longer than N seconds of wall time counts as a hang
# (default 10). On a shared, loaded machine raise it (e.g. 120): a starved fuzzer can take
# 10 s of wall time over an input that needs a millisecond of CPU.
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
cpu_budget=${FUZZ_CPU_SECONDS:-}
if [ -n "${FUZZ_KEEP:-}" ]; then
    work=$FUZZ_KEEP
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-fuzz.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
if [ -n "$cpu_budget" ]; then secs=$((cpu_budget * 100)); fi

# run_budgeted LOG CMD...: runs CMD at nice 19 and stops it with SIGINT once it has used
# $cpu_budget CPU seconds (user + system, from /proc). Returns CMD's status, 0 for that stop.
run_budgeted() {
    local log=$1 pid tck stat cpu
    shift
    nice -n 19 "$@" >"$log" 2>&1 &
    pid=$!
    tck=$(getconf CLK_TCK)
    while kill -0 "$pid" 2>/dev/null; do
        read -r -a stat <"/proc/$pid/stat" || break
        cpu=$(((stat[13] + stat[14]) / tck))
        if [ "$cpu" -ge "$cpu_budget" ]; then
            kill -INT "$pid"
            break
        fi
        sleep 10
    done
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 72 ] && rc=0
    return "$rc"
}
failed=0
for t in "${targets[@]}"; do
    seeds="$top/tests/fuzz/corpus/${t#fuzz_}"
    mkdir -p "$work/$t"
    log="$work/$t.log"
    # DuckDB itself is not instrumented; its allocations are not ours to judge.
    cmd=("$build/$t" -max_total_time="$secs" -max_len=4096 -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" "$seeds")
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/support/lsan.supp}
    rc=0
    if [ -n "$cpu_budget" ]; then
        run_budgeted "$log" "${cmd[@]}" || rc=$?
    else
        "${cmd[@]}" >"$log" 2>&1 || rc=$?
    fi
    if [ "$rc" -eq 0 ]; then
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
