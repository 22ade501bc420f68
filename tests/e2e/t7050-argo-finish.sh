#!/usr/bin/env bash
# t7050: `duckflow argo finish` (the exit handler) records a run's end in run.json with the
# fields `duckflow runs`/`query` read, counts tasks from the committed manifests, keeps
# fields an earlier record had, and refuses bad input.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..27"
pl="$DUCKFLOW_TOP/tests/support/argo/pipelines/fanout/pipeline.yaml"
st="$SCRATCH/store"
rj() { echo "$st/argo_fanout/runs/$1/run.json"; }

expect_ok "finish a run with nothing committed" "$DUCKFLOW" argo finish "$pl" --run wf-empty \
    --status Failed --created-at 2026-01-02T03:04:05Z --store "$st"
expect_match "says so on stderr" "run 'wf-empty' of 'argo_fanout' failed" "$errout"
cp "$out" last.out
check "nothing on stdout" test ! -s last.out
check "run.json: failed, static tasks planned, none done" node -e '
    const r = require(process.argv[1]);
    const s = (n) => r.steps.find((x) => x.name === n);
    const ok = r.format === 1 && r.pipeline === "argo_fanout" && r.run === "wf-empty"
        && r.status === "failed" && r.executor === "argo" && r.workflow_status === "Failed"
        && r.started_at === "2026-01-02T03:04:05Z" && r.finished_at && r.elapsed_ms > 0
        && r.tasks_done === 0 && s("seq").tasks.total === 3 && s("regions").tasks.total === 3
        && s("per_region").tasks.total === 3 && s("seq").status === "failed"
        && s("by_row").planned === false && r.steps.length === 8 && r.params.scale === 10
        && /^[0-9a-f]{64}$/.test(r.spec_hash);
    process.exit(ok ? 0 : 1);' "$(rj wf-empty)"

# One step's tasks committed: counted from its manifests.
for i in 0 1 2; do
    expect_ok "seq item $i" "$DUCKFLOW" step "$pl" --run wf-part --step seq --item $i --store "$st"
done
expect_ok "finish with the Error status" "$DUCKFLOW" argo finish "$pl" --run wf-part --status Error --store "$st"
check "seq counted done, the run failed" node -e '
    const r = require(process.argv[1]);
    const s = r.steps.find((x) => x.name === "seq");
    const ok = r.status === "failed" && s.tasks.done === 3 && s.status === "succeeded" && s.rows === 30
        && s.bytes > 0 && r.tasks_done === 3 && r.tasks_failed === r.tasks_total - 3;
    process.exit(ok ? 0 : 1);' "$(rj wf-part)"

# An earlier record's fields are kept; started_at stays when no --created-at is given.
mkdir -p "$st/argo_fanout/runs/wf-kept"
printf '{"custom": "kept", "started_at": "2026-02-03T04:05:06Z", "status": "running"}\n' >"$(rj wf-kept)"
expect_ok "finish over an earlier record" "$DUCKFLOW" argo finish "$pl" --run wf-kept --status Succeeded --store "$st"
check "custom field and start kept, status replaced" node -e '
    const r = require(process.argv[1]);
    process.exit(r.custom === "kept" && r.started_at === "2026-02-03T04:05:06Z" && r.status === "succeeded" ? 0 : 1);' "$(rj wf-kept)"
expect_ok "runs lists the runs" "$DUCKFLOW" runs --store "$st"
expect_match "wf-kept succeeded" 'wf-kept +succeeded' "$out"
expect_match "wf-empty failed" 'wf-empty +failed' "$out"

# Params given to finish are the run's params.
expect_ok "finish with a param" "$DUCKFLOW" argo finish "$pl" --run wf-param --status Succeeded --param n=7 --store "$st"
check "params recorded" node -e 'process.exit(require(process.argv[1]).params.n === 7 ? 0 : 1)' "$(rj wf-param)"

# A controller in another time zone gives {{workflow.creationTimestamp}} with its offset.
expect_ok "finish takes an RFC 3339 time with an offset" "$DUCKFLOW" argo finish "$pl" --run wf-tz \
    --status Succeeded --created-at 2026-01-02T05:04:05.250+02:00 --store "$st"
check "started_at is kept in UTC" node -e '
    process.exit(require(process.argv[1]).started_at === "2026-01-02T03:04:05Z" ? 0 : 1)' "$(rj wf-tz)"
expect_ok "and a negative one" "$DUCKFLOW" argo finish "$pl" --run wf-tz2 \
    --status Succeeded --created-at 2026-01-01T22:34:05-04:30 --store "$st"
check "started_at in UTC" node -e '
    process.exit(require(process.argv[1]).started_at === "2026-01-02T03:04:05Z" ? 0 : 1)' "$(rj wf-tz2)"
expect_code 2 "unknown status" "$DUCKFLOW" argo finish "$pl" --run wf-x --status Done --store "$st"
expect_match "names it" "workflow status 'Done' is not Succeeded, Failed or Error" "$errout"
expect_code 2 "bad run id" "$DUCKFLOW" argo finish "$pl" --run ../up --status Succeeded --store "$st"
expect_code 2 "bad time" "$DUCKFLOW" argo finish "$pl" --run wf-x --status Succeeded --created-at yesterday --store "$st"
expect_code 2 "no --status" "$DUCKFLOW" argo finish "$pl" --run wf-x --store "$st"
expect_code 2 "no --run" "$DUCKFLOW" argo finish "$pl" --status Succeeded --store "$st"
check "no record for refused calls" test ! -e "$st/argo_fanout/runs/wf-x"
