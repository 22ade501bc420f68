#!/usr/bin/env bash
# Runs the whole suite against a build folder: every unit-test binary (cmocka, TAP output)
# and every end-to-end script tests/e2e/tNNNN-*.sh (TAP through tests/e2e/lib.sh), each
# script in a fresh scratch folder. Counts every "ok"/"not ok" line and ends with
# "N passed, N failed". Exit status 0 only when nothing failed. Every program declares its
# plan ("1..N"; cmocka prints one per group, they add up): one that prints none, or whose
# count of results differs from it, fails, so a script that stops early cannot pass.
# "1..0 # SKIP reason" declares a program that has nothing to run here.
#   tests/run.sh [BUILD] [PATTERN]   PATTERN filters test names (grep -E)
# TEST_TIMEOUT=SECONDS bounds each end-to-end script (default 300; a unit-test binary gets
# twice that). The sanitizer build runs 3-10x slower and uses TEST_TIMEOUT=900.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
pattern=${2:-.}
export DUCKFLOW="$build/duckflow" DUCKFLOW_TOP="$top" DUCKFLOW_BUILD="$build"
export CMOCKA_MESSAGE_OUTPUT=TAP
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
e2e_timeout=${TEST_TIMEOUT:-300}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-tests.XXXXXX")

# One test program -> its TAP in $logdir/<name>.tap, and a synthetic failure when it
# exits non-zero without reporting one (a crash, a timeout).
run_one() {
    local kind=$1 path=$2 name
    name=$(basename "$path")
    local out="$logdir/$name.tap" scratch start=$SECONDS
    if [ "$kind" = unit ]; then
        (cd "$logdir" && timeout $((2 * e2e_timeout)) "$path") >"$out" 2>&1
    else
        scratch=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-e2e.XXXXXX")
        (cd "$scratch" && SCRATCH="$scratch" timeout "$e2e_timeout" bash "$path") >"$out" 2>&1
        local rc=$?
        [ $rc -eq 0 ] && rm -rf "$scratch"
        (exit $rc)
    fi
    local rc=$?
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
        echo "not ok - $name exited with status $rc" >>"$out"
    fi
    local planned reported
    planned=$(awk '/^1\.\.[0-9]+/ { n += substr($1, 4); p = 1 } END { if (p) print n }' "$out")
    reported=$(grep -cE '^(ok|not ok) ' "$out")
    if [ -z "$planned" ]; then
        echo "not ok - $name printed no plan (1..N)" >>"$out"
    elif [ "$planned" -ne "$reported" ]; then
        echo "not ok - $name planned $planned results and reported $reported" >>"$out"
    elif [ "$planned" -eq 0 ] && ! grep -qE '^1\.\.0 +# *SKIP' "$out"; then
        echo "not ok - $name planned no results without saying why (1..0 # SKIP reason)" >>"$out"
    fi
    echo $((SECONDS - start)) >"$logdir/$name.secs"
}
export -f run_one
export logdir e2e_timeout

{
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] && echo "unit $t"
    done
    for t in "$top"/tests/e2e/t[0-9]*.sh; do
        [ -f "$t" ] && echo "e2e $t"
    done
} | grep -E "$pattern" >"$logdir/.list"
xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"' <"$logdir/.list"

# A program whose runner was killed (xargs then starts no more of them) wrote no .secs:
# each one listed but not finished is a failure, so a cut-short run cannot pass.
while read -r _ path; do
    name=$(basename "$path")
    [ -f "$logdir/$name.secs" ] || echo "not ok - $name did not run to its end (its runner was killed)" >>"$logdir/$name.tap"
done <"$logdir/.list"

passed=0
failed=0
for f in "$logdir"/*.tap; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .tap)
    secs=$(cat "$logdir/$name.secs" 2>/dev/null || echo "?")
    p=$(grep -cE '^ok ' "$f")
    n=$(grep -cE '^not ok ' "$f")
    passed=$((passed + p))
    failed=$((failed + n))
    if [ "$n" -gt 0 ]; then
        echo "--- $name: $n failed (${secs}s)"
        grep -vE '^ok ' "$f" | tail -n 40 | sed 's/^/    /'
    else
        echo "--- $name: $p passed (${secs}s)"
    fi
done
rm -rf "$logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
