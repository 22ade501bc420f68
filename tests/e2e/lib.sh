# lib.sh - helpers for end-to-end scripts (sourced). Each script runs in a fresh scratch
# folder ($SCRATCH, also the working directory), declares its plan right after sourcing
# this file (`echo "1..N"`, N = the results it reports: tests/run.sh fails a script whose
# count differs or that prints no plan) and reports TAP lines:
#   expect_ok "what" cmd...         the command exits 0
#   expect_code N "what" cmd...     the command exits N (stdout/stderr kept in $out/$errout)
#   expect_match "what" REGEX FILE  FILE has a line matching REGEX
#   check "what" cmd...             alias of expect_ok, for plain assertions (test, grep, ...)
#   jget FILE EXPR                  a value out of a JSON file (manifests, run.json)
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
