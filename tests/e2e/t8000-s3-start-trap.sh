#!/usr/bin/env bash
# t8000: tests/support/s3/start.sh, sourced, keeps the caller's EXIT trap: when the
# caller exits the test server stops and then the caller's own trap still runs (quoting
# intact); without an earlier trap it stops the server alone.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..5"

# caller.sh MARK: sets an EXIT trap that writes MARK (quotes and a space in it), sources
# start.sh, prints the server's pid and exits 7.
cat >caller.sh <<'SH'
trap 'printf "%s\n" "it'\''s \"done\" $1" >"$1"' EXIT
source "$DUCKFLOW_TOP/tests/support/s3/start.sh" || exit 9
echo "$S3_FRONT_PID"
exit 7
SH
cat >alone.sh <<'SH'
source "$DUCKFLOW_TOP/tests/support/s3/start.sh" || exit 9
echo "$S3_FRONT_PID"
SH

expect_code 7 "the caller's exit status is kept" bash caller.sh "$SCRATCH/mark"
pid=$(cat "$out")
check "the caller's own EXIT trap ran, its quoting intact" \
    grep -qxF "it's \"done\" $SCRATCH/mark" "$SCRATCH/mark"
check "the server was stopped" bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"

expect_ok "without an earlier trap" bash alone.sh
pid=$(cat "$out")
check "  the server is stopped too" bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"
