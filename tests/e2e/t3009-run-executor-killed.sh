#!/usr/bin/env bash
# t3009: when `duckflow run` itself is killed with SIGKILL (it cannot clean up), its tasks
# do not run on as orphans (they get SIGTERM when their parent dies), the run's record is
# left "running" and `duckflow runs` shows it as abandoned, and --resume finishes it.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"

start_run() {
    timeout -s KILL 120 "$DUCKFLOW" run "$@" >run.out 2>run.err &
    tp=$!
    rp=
    for _ in $(seq 1 200); do
        rp=$(pgrep -P $tp) && break
        sleep 0.05
    done
}
children_of() { # waits (up to 60 s) until process $1 has $2 children; prints them
    local i
    for i in $(seq 1 600); do
        [ "$(pgrep -P "$1" | wc -l)" -ge "$2" ] && { pgrep -P "$1"; return 0; }
        sleep 0.1
    done
    return 1
}
gone() { # waits (up to 30 s) until none of the pids runs
    local i p alive
    for i in $(seq 1 300); do
        alive=
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    return 1
}

mkdir -p data
printf 'n\n1000000000\n' >data/cfg.csv
cat >p.yaml <<'YAML'
name: run-orphans
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  slow:
    foreach: {range: 2}
    inputs: {cfg: data/cfg.csv}
    sql: |
      CREATE TABLE s AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < (SELECT n FROM cfg))
        SELECT count(*) AS n FROM x;
    outputs: [s]
YAML

start_run p.yaml -j 2
kids=$(children_of $rp 2)
check "two tasks running" test "$(echo $kids | wc -w)" -eq 2
kill -KILL $rp
wait $tp
check "the executor died by SIGKILL" test $? -eq 137
check "its tasks stop too" gone $kids

expect_ok "runs" "$DUCKFLOW" runs --format json
cp "$out" runs.json
RUN=$(node -e 'const j=JSON.parse(require("fs").readFileSync("runs.json","utf8"));console.log(j[0].run)')
check "the record is left running, shown as abandoned" \
    test "$(node -e 'const j=JSON.parse(require("fs").readFileSync("runs.json","utf8"));console.log(j.length+" "+j[0].status)')" = "1 abandoned"
expect_ok "runs (text)" "$DUCKFLOW" runs
expect_match "abandoned in the table" "^run-orphans +$RUN +abandoned " "$out"

printf 'n\n3\n' >data/cfg.csv
expect_ok "an abandoned run can be resumed" "$DUCKFLOW" run p.yaml --resume "$RUN"
expect_ok "runs" "$DUCKFLOW" runs
expect_match "now succeeded" "^run-orphans +$RUN +succeeded .* 2/2$" "$out"
