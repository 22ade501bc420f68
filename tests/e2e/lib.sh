# lib.sh - helpers for end-to-end scripts (sourced). Each script runs in a fresh scratch
# folder ($SCRATCH, also the working directory), declares its plan right after sourcing
# this file (`echo "1..N"`, N = the results it reports: tests/run.sh fails a script whose
# count differs or that prints no plan) and reports TAP lines:
#   expect_ok "what" cmd...         the command exits 0
#   expect_code N "what" cmd...     the command exits N (stdout/stderr kept in $out/$errout)
#   expect_match "what" REGEX FILE  FILE has a line matching REGEX
#   check "what" cmd...             alias of expect_ok, for plain assertions (test, grep, ...)
#   jget FILE EXPR                  a value out of a JSON file (manifests, run.json)
#   skip_all N REASON               the script's N results as skips, then exit 0
#   have_tmpfs_ns                   a tmpfs can be mounted in a private mount namespace
#   s3_setup [PREFIX]               the loopback S3 test front (sdk, s3_stat, s3_op_count,
#                                   s3_reset, s3_rerun below); PREFIX: DUCKFLOW_STORE in
#                                   its bucket
#   first_run_id, follow_log, feed_fifo   a run followed while a task blocks on a FIFO
# $DUCKFLOW is the binary under test, $DUCKFLOW_TOP the source tree.
set -u
: "${DUCKFLOW:?DUCKFLOW must point at the duckflow binary}"
: "${DUCKFLOW_TOP:?}"
SCRATCH=${SCRATCH:-$(pwd)}
# DUCKFLOW_TEST_STORE runs a script against another store (t6100 reruns some on S3).
export DUCKFLOW_STORE="${DUCKFLOW_TEST_STORE:-$SCRATCH/.duckflow}"
_n=0
out="$SCRATCH/.out"
errout="$SCRATCH/.err"

_report() { # status what
    _n=$((_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_n - $2"
    else
        echo "not ok $_n - $2"
        sed 's/^/#   stdout: /' "$out" 2>/dev/null | head -n 20
        sed 's/^/#   stderr: /' "$errout" 2>/dev/null | head -n 20
    fi
}

# skip_all N REASON: the whole script is skipped (its N planned results reported as
# skips, with the reason), e.g. when the machine lacks what it needs.
skip_all() {
    local i
    for i in $(seq 1 "$1"); do echo "ok $i # SKIP $2"; done
    exit 0
}
# have_tmpfs_ns: 0 when a tmpfs can be mounted in a private mount namespace (unshare -m),
# as the full-disk tests do.
have_tmpfs_ns() {
    unshare -m sh -c 'mkdir -p probe && mount -t tmpfs -o size=64k tmpfs probe' 2>/dev/null
}

expect_code() {
    local want=$1 what=$2
    shift 2
    "$@" >"$out" 2>"$errout"
    local rc=$?
    [ "$rc" -eq "$want" ] || echo "# expected exit $want, got $rc: $*" >>"$errout"
    [ "$rc" -eq "$want" ]
    _report $? "$what"
}

expect_ok() {
    local what=$1
    shift
    expect_code 0 "$what" "$@"
}

check() {
    local what=$1
    shift
    "$@" >"$out" 2>"$errout"
    _report $? "$what"
}

expect_match() {
    local what=$1 re=$2 file=$3
    grep -qE -- "$re" "$file"
    local rc=$?
    [ $rc -eq 0 ] || echo "# no line matches /$re/ in $file" >>"$errout"
    _report $rc "$what"
}

# jget FILE EXPR: evaluates the JavaScript expression EXPR over the JSON file FILE (as `m`)
# and prints the result (objects as JSON): `jget "$M" m.tables.t.rows`.
jget() {
    node 2>/dev/null -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
             const v = eval(process.argv[2]); console.log(typeof v === "object" ? JSON.stringify(v) : v);' "$1" "$2"
}

# Starts `duckflow run ARGS` in the background, bounded to 2 minutes whatever happens;
# sets tp (the timeout wrapper: `wait $tp` gives the run's exit code) and rp (the run
# process). Output goes to run.out and run.err.
start_run() {
    timeout -s KILL 120 "$DUCKFLOW" run "$@" >run.out 2>run.err &
    tp=$!
    rp=
    for _ in $(seq 1 200); do
        rp=$(pgrep -P $tp) && break
        sleep 0.05
    done
}

# Waits (up to 60 s) until process $1 has $2 children; prints them.
children_of() {
    local i
    for i in $(seq 1 600); do
        [ "$(pgrep -P "$1" | wc -l)" -ge "$2" ] && { pgrep -P "$1"; return 0; }
        sleep 0.1
    done
    return 1
}

# Waits (up to 30 s) until none of the pids runs.
gone() {
    local i p alive
    for i in $(seq 1 300); do
        alive=
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    return 1
}

# s3_setup [PREFIX]: starts the strict loopback S3 test front (tests/support/s3/start.sh,
# sourced: it exports AWS_* and S3_TEST_* and stops the front when the script exits) and,
# with PREFIX, exports DUCKFLOW_STORE=s3://$S3_TEST_BUCKET/PREFIX. Then:
#   sdk ARGS...     tests/support/s3/sdk.js (put, get, ls, ... in the test bucket)
#   s3_stat EXPR    the JavaScript EXPR over the front's counters `s`: s3_stat s.deleteBatches
#   s3_op_count OP  requests of operation OP (PutObject, GetObject, ...) since the last reset
#   s3_reset        zeroes the front's counters (and clears injected faults)
s3_setup() {
    source "$DUCKFLOW_TOP/tests/support/s3/start.sh" || return 1
    [ -z "${1:-}" ] || export DUCKFLOW_STORE="s3://$S3_TEST_BUCKET/$1"
}
sdk() { node "$DUCKFLOW_TOP/tests/support/s3/sdk.js" "$@"; }
s3_stat() { s3_test_stats | node -e "const s=JSON.parse(require('fs').readFileSync(0,'utf8')); console.log($1)"; }
s3_op_count() { s3_stat "s.byOp['$1'] || 0"; }
s3_reset() { curl -sf ${S3_TEST_CA:+--cacert "$S3_TEST_CA"} -X POST "$S3_TEST_ENDPOINT/_front/reset" >/dev/null; }
# s3_rerun SCRIPT PREFIX: runs tests/e2e/SCRIPT.sh again in $SCRATCH/PREFIX with its store
# at s3://$S3_TEST_BUCKET/PREFIX (after s3_setup; for scripts that reach the store only
# through $DUCKFLOW_STORE) and reports one result: it exited 0 and passed every check of
# its plan, none failed. Its failures are repeated as comments.
s3_rerun() {
    local d="$SCRATCH/$2" rc oks bad plan
    mkdir -p "$d"
    (cd "$d" && SCRATCH="$d" DUCKFLOW_TEST_STORE="s3://$S3_TEST_BUCKET/$2" timeout 600 \
        bash "$DUCKFLOW_TOP/tests/e2e/$1.sh") >"$d.tap" 2>&1
    rc=$?
    oks=$(grep -cE '^ok ' "$d.tap")
    bad=$(grep -cE '^not ok ' "$d.tap")
    plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$d.tap" | head -n 1)
    grep -E '^not ok |^#' "$d.tap" | head -n 20 | sed 's/^/# /'
    check "$2 on s3: exit 0, $oks checks passed of the ${plan:-?} planned, none failed" \
        test "$rc" -eq 0 -a "$bad" -eq 0 -a "$oks" -gt 0 -a "$oks" = "${plan:-none}"
}

# A run followed while its task blocks reading the FIFO $SCRATCH/feed.csv (t3404, t6401):
#   first_run_id PIPELINE   waits (up to 60 s) until `duckflow runs --pipeline PIPELINE`
#                           lists a run; prints the first one's id (nothing if none came)
#   follow_log RUN STEP LINE  starts `duckflow logs RUN STEP --follow` in the background
#                           (killed after 100 s; follow.out, follow.err; fp = its pid) and
#                           waits (up to 60 s) until it has printed a line matching LINE
#   feed_fifo PID           writes lines into feed.csv in the background (wp = the feeder's
#                           pid) as long as process PID runs (DuckDB may open it more than
#                           once: sniffing, then reading)
first_run_id() {
    local r= i
    for i in $(seq 1 600); do
        r=$("$DUCKFLOW" runs --pipeline "$1" 2>/dev/null | awk 'NR > 1 {print $2}' | head -1)
        [ -n "$r" ] && break
        sleep 0.1
    done
    echo "$r"
}
follow_log() {
    timeout -s KILL 100 "$DUCKFLOW" logs "$1" "$2" --follow >follow.out 2>follow.err &
    fp=$!
    local i
    for i in $(seq 1 600); do grep -q -- "$3" follow.out && break; sleep 0.1; done
}
feed_fifo() {
    (while kill -0 "$1" 2>/dev/null; do timeout 2 sh -c "printf 'x\n' >feed.csv"; done) &
    wp=$!
}

# Small pipelines several tests start from, written to ./pipeline.yaml.
# gen_use_pipeline NAME N: step gen makes N rows (k = 0..N-1), step use sums them.
gen_use_pipeline() {
    cat >pipeline.yaml <<YAML
name: $1
steps:
  gen:
    sql: CREATE TABLE t AS SELECT range AS k FROM range($2)
    outputs: [t]
  use:
    inputs: {t: gen.t}
    sql: CREATE TABLE u AS SELECT sum(k) AS s FROM t
    outputs: [u]
YAML
}
# dyn_pipeline N: pipeline 'dyn', step gen makes N rows, step per_row fans out over them
# (foreach: rows, so its items are stored in _items.json).
dyn_pipeline() {
    cat >pipeline.yaml <<YAML
name: dyn
steps:
  gen:
    sql: CREATE TABLE t AS SELECT range AS k FROM range($1)
    outputs: [t]
  per_row:
    inputs: {t: gen.t}
    foreach: {rows: SELECT DISTINCT k FROM t ORDER BY k}
    sql: CREATE TABLE r AS SELECT getvariable('item') AS k
    outputs: [r]
YAML
}
