#!/usr/bin/env bash
# t3300: tests/run.sh holds every program to its plan: a script that reports as many
# results as its `1..N` passes, one that stops early (fewer results than planned, exit 0),
# reports more than planned, or prints no plan at all fails, and `1..0 # SKIP` is allowed.
# Runs a copy of the runner over a tree of tiny scripts.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..12"

mkdir -p tree/tests/e2e build/tests
cp "$DUCKFLOW_TOP/tests/run.sh" tree/tests/run.sh
script() { # NAME BODY
    printf '#!/usr/bin/env bash\n%s\n' "$2" >"tree/tests/e2e/$1.sh"
}
runner() { # PATTERN -> exit status of the runner, its output in runner.out
    bash tree/tests/run.sh build "$1" >runner.out 2>&1
}

script t0001-good 'echo 1..2; echo "ok 1 - a"; echo "ok 2 - b"'
script t0002-early 'echo 1..3; echo "ok 1 - a"; exit 0'
script t0003-noplan 'echo "ok 1 - a"'
script t0004-more 'echo 1..1; echo "ok 1 - a"; echo "ok 2 - b"'
script t0005-skip 'echo "1..0 # SKIP nothing to do here"'
script t0006-silent 'exit 0'
script t0007-trailing 'echo "ok 1 - a"; echo 1..1'

check "a script that keeps its plan passes" runner t0001
expect_match "its results counted" '^2 passed, 0 failed$' runner.out
check "a script that stops early fails" bash -c '! bash tree/tests/run.sh build t0002 >runner.out 2>&1'
expect_match "it is named with both counts" 't0002-early.sh planned 3 results and reported 1' runner.out
check "a script without a plan fails" bash -c '! bash tree/tests/run.sh build t0003 >runner.out 2>&1'
expect_match "the missing plan is named" 't0003-noplan.sh printed no plan' runner.out
check "a script that reports more than planned fails" bash -c '! bash tree/tests/run.sh build t0004 >runner.out 2>&1'
expect_match "both counts are named" 't0004-more.sh planned 1 results and reported 2' runner.out
check "a script that prints nothing fails" bash -c '! bash tree/tests/run.sh build t0006 >runner.out 2>&1'
check "a plan at the end counts too" runner t0007
check "1..0 # SKIP declares nothing to run, and does not fail" \
    bash -c 'bash tree/tests/run.sh build "t0001|t0005" >runner.out 2>&1'
expect_match "the skipped script reports no failure" '^--- t0005-skip.sh: 0 passed' runner.out
