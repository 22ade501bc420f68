#!/usr/bin/env bash
# t2103: `duckflow step` blocks SIGINT and SIGTERM before it opens the store, so a signal
# that arrives during its first S3 calls (here: every request answered after 4 s by the
# test front) ends the task as `interrupted` (exit 19, _error.json class interrupted, no
# manifest), not as a process killed by the signal (143/130). Also with --item LABEL,
# whose item lookup reads the store before the task starts.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..9"
s3_setup
S3="s3://$S3_TEST_BUCKET/t2103"

cat >p.yaml <<'YAML'
name: sig
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  quick:
    foreach: {values: [eu, us]}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS region
    outputs: [t]
YAML

stepsig() { # SIG RUN ARGS...: starts the step with every S3 answer slow, signals it once
            # its first request is in flight, lets the rest go fast; sets rc
    local sig=$1 run=$2
    shift 2
    s3_reset
    s3_test_faults '{"slowMs": 4000}'
    timeout -s KILL 120 "$DUCKFLOW" step p.yaml --store "$S3" --run "$run" --step quick "$@" \
        >"$run.out" 2>"$run.err" &
    local tp=$! pid=
    for _ in $(seq 1 200); do
        pid=$(pgrep -P $tp) && break
        sleep 0.05
    done
    for _ in $(seq 1 200); do # the first request has reached the front
        [ "$(s3_test_stats | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).requests))')" -ge 1 ] && break
        sleep 0.05
    done
    kill -"$sig" "$pid"
    s3_test_faults '{}'
    wait $tp
    rc=$?
}

stepsig TERM r-term --item 0
check "SIGTERM during the first S3 call: exit 19 (interrupted), not 143 ($rc)" test "$rc" -eq 19
expect_match "one line saying it was interrupted" "^duckflow: .*[Ii]nterrupted" r-term.err
sdk ls t2103/sig/runs/r-term/ >term.keys
check "no manifest" bash -c "! grep -q _manifest.json term.keys"
sdk get "$(grep -o 't2103/sig/runs/r-term/quick/00000/[^ ]*/_error.json' term.keys | head -n 1)" term-error.json
check "_error.json says interrupted" grep -q '"class":"interrupted"' term-error.json

stepsig INT r-int --item us
check "SIGINT during the item lookup (--item us): exit 19, not 130 ($rc)" test "$rc" -eq 19
expect_match "one line" "^duckflow: .*[Ii]nterrupted" r-int.err
sdk ls t2103/sig/runs/r-int/ >int.keys
check "no manifest" bash -c "! grep -q _manifest.json int.keys"

expect_ok "the same step without a signal commits" "$DUCKFLOW" step p.yaml --store "$S3" --run r-ok --step quick --item us
sdk ls t2103/sig/runs/r-ok/ >ok.keys
check "a manifest" grep -q 'quick/00001/_manifest.json' ok.keys
