#!/usr/bin/env bash
# t3009: when `duckflow run` itself is killed with SIGKILL (it cannot clean up), its tasks
# do not run on as orphans (they get SIGTERM when their parent dies), the run's record is
# left "running" and `duckflow runs` shows it as abandoned, and --resume finishes it.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"

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
RUN=$(jget runs.json 'm[0].run')
check "the record is left running, shown as abandoned" \
    test "$(jget runs.json 'm.length + " " + m[0].status')" = "1 abandoned"
expect_ok "runs (text)" "$DUCKFLOW" runs
expect_match "abandoned in the table" "^run-orphans +$RUN +abandoned " "$out"

printf 'n\n3\n' >data/cfg.csv
expect_ok "an abandoned run can be resumed" "$DUCKFLOW" run p.yaml --resume "$RUN"
expect_ok "runs" "$DUCKFLOW" runs
expect_match "now succeeded" "^run-orphans +$RUN +succeeded .* 2/2$" "$out"
