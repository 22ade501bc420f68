#!/usr/bin/env bash
# t7101: failures on Argo as the manifest describes them: a SQL error is not retried (exit 1
# is excluded by the retryStrategy expression), its dependents are omitted while independent
# tasks finish (failFast: false), a task past its timeout is killed (activeDeadlineSeconds)
# and retried with the next attempt number, and the exit handler records the run as failed.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..15"
sup="$DUCKFLOW_TOP/tests/support/argo"
source "$sup/runid.sh"
rid=$(argo_run_id fail-1 uid-fail-1)
mkdir -p p
cat >p/pipeline.yaml <<'YAML'
name: argo_fail
defaults:
  retries: 2
steps:
  bad:
    sql: CREATE TABLE t AS SELECT * FROM no_such_table
    outputs: [t]
  after_bad:
    inputs: {t: bad.t}
    sql: CREATE TABLE u AS SELECT * FROM t
    outputs: [u]
  slow:
    retries: 1
    timeout: 1s
    sql: CREATE TABLE s AS SELECT count(*) AS n FROM range(100000000000)
    outputs: [s]
  fine:
    foreach: {range: 2}
    sql: CREATE TABLE f AS SELECT getvariable('item') AS i
    outputs: [f]
YAML
expect_ok "compile" "$DUCKFLOW" argo p/pipeline.yaml --image duckflow:test --store "$SCRATCH/store"
cp "$out" fail.yaml
expect_ok "validates" node "$sup/validate.js" fail.yaml
expect_code 1 "the replay fails" node "$sup/replay.js" fail.yaml --duckflow "$DUCKFLOW" \
    --name fail-1 --uid uid-fail-1 --workdir "$SCRATCH/pods"
expect_match "workflow failed" '^workflow fail-1 Failed$' "$out"
cp "$errout" replay.err
expect_match "bad ran once (SQL errors are not retried)" '^replay: bad attempt 1/3: exit 1$' replay.err
check "bad did not run twice" bash -c "! grep -q 'bad attempt 2/3' replay.err"
expect_match "after_bad was omitted" '^replay: after-bad: omitted' replay.err
expect_match "slow was killed at its deadline" '^replay: slow attempt 1/2: exit [0-9]+ \(past activeDeadlineSeconds\)$' replay.err
expect_match "and retried" '^replay: slow attempt 2/2: exit [0-9]+ \(past activeDeadlineSeconds\)$' replay.err
expect_match "independent fine tasks finished" '^replay: fine\(1:1\) attempt 1/3: exit 0$' replay.err
expect_match "the exit handler ran" '^replay: finish \(onExit\) attempt 1/3: exit 0$' replay.err
check "the retry ran with --attempt 2" node -e '
    const fs = require("fs"), path = require("path");
    const pods = fs.readdirSync(process.argv[1]).map((d) => JSON.parse(fs.readFileSync(path.join(process.argv[1], d, "pod.json"), "utf8")));
    const step = (p) => p.args[p.args.indexOf("--step") + 1];
    const slow = pods.filter((p) => step(p) === "slow").map((p) => p.args[p.args.indexOf("--attempt") + 1]);
    const bad = pods.filter((p) => step(p) === "bad").map((p) => p.args[p.args.indexOf("--attempt") + 1]);
    process.exit(slow.join() === "1,2" && bad.join() === "1" ? 0 : 1);' "$SCRATCH/pods"
rj="$SCRATCH/store/argo_fail/runs/$rid/run.json"
check "run.json says failed, with the failed tasks counted" node -e '
    const r = require(process.argv[1]);
    const st = (n) => r.steps.find((s) => s.name === n);
    const ok = r.status === "failed" && r.workflow_status === "Failed" && r.tasks_total === 5
        && r.tasks_done === 2 && r.tasks_failed === 3 && st("fine").status === "succeeded"
        && st("bad").status === "failed" && st("after_bad").tasks.failed === 1;
    process.exit(ok ? 0 : 1);' "$rj"
expect_ok "runs shows it failed" "$DUCKFLOW" runs --store "$SCRATCH/store"
expect_match "failed" "$rid +failed" "$out"
