#!/usr/bin/env bash
# t3305: errors that were once dropped (issue 12, point 8), on a local store:
#   - one size cap per record kind (store/caps.h): a 20 MiB run.json (over the 16 and 4 MiB
#     caps some readers had) is read by `runs`, `query`, `run --resume` and `argo finish`
#     alike; one over the 64 MiB cap is refused by each, naming it;
#   - `argo finish` reads _items.json with its own cap (a 4.8 MiB list of 300,000 items
#     is planned, not "not planned"), and one that is not a JSON list is an error (exit 3,
#     naming the key), not a step quietly counted as not planned.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"

printf 'name: caps\ndefaults: {threads: 1, memory_limit: 200MB, retries: 0}\nsteps:\n  a:\n    foreach: {range: 2}\n    sql: CREATE TABLE t AS SELECT 1 AS x\n    outputs: [t]\n' >p.yaml
expect_ok "a run" "$DUCKFLOW" run p.yaml --store "$SCRATCH/s"
R=$(ls "$SCRATCH/s/caps/runs")
RJ="$SCRATCH/s/caps/runs/$R/run.json"
pad() { # BYTES: run.json with a field of that many bytes more
    node -e 'const f = process.argv[1], r = JSON.parse(require("fs").readFileSync(f));
             r.pad = "x".repeat(Number(process.argv[2])); require("fs").writeFileSync(f, JSON.stringify(r))' "$RJ" "$1"
}
pad 20000000
expect_ok "runs lists a run with a 20 MiB run.json" "$DUCKFLOW" runs --store "$SCRATCH/s"
expect_match "as succeeded" "^caps +$R +succeeded" "$out"
expect_ok "query reads it" "$DUCKFLOW" query --store "$SCRATCH/s" --run "$R" --format csv 'SELECT count(*) FROM _run.tasks'
expect_match "two tasks" '^2$' "$out"
expect_ok "run --resume reads it" "$DUCKFLOW" run p.yaml --store "$SCRATCH/s" --resume "$R"
pad 20000000
expect_ok "argo finish keeps what it holds" "$DUCKFLOW" argo finish p.yaml --run "$R" --status Succeeded --store "$SCRATCH/s"
check "(the earlier record's field is kept)" node -e 'process.exit(require(process.argv[1]).pad.length === 20000000 ? 0 : 1)' "$RJ"
pad 70000000
expect_code 3 "runs refuses a 70 MB run.json" "$DUCKFLOW" runs --store "$SCRATCH/s"
expect_match "naming it and the cap" "run.json' is larger than 67108864 bytes" "$errout"
expect_code 3 "so does query" "$DUCKFLOW" query --store "$SCRATCH/s" --run "$R" 'SELECT 1'
expect_code 3 "and run --resume" "$DUCKFLOW" run p.yaml --store "$SCRATCH/s" --resume "$R"
expect_match "naming it" "cannot resume run '$R': .*run.json' is larger than 67108864 bytes" "$errout"

pl="$DUCKFLOW_TOP/tests/support/argo/pipelines/fanout/pipeline.yaml"
st="$SCRATCH/store"
mkdir -p "$st/argo_fanout/runs/wf-big/by_row" "$st/argo_fanout/runs/wf-bad/by_row"
node -e 'const a = []; for (let i = 0; i < 300000; i++) a.push("region-" + String(i).padStart(6, "0"));
         require("fs").writeFileSync(process.argv[1], JSON.stringify(a))' "$st/argo_fanout/runs/wf-big/by_row/_items.json"
expect_ok "argo finish with a 4.8 MB _items.json" "$DUCKFLOW" argo finish "$pl" --run wf-big --status Succeeded --store "$st"
check "its 300,000 items are planned, and those of the step over it" node -e '
    const r = require(process.argv[1]);
    const s = (n) => r.steps.find((x) => x.name === n);
    process.exit(s("by_row").planned === true && s("by_row").tasks.total === 300000
        && s("after_rows").tasks.total === 300000 ? 0 : 1);' "$st/argo_fanout/runs/wf-big/run.json"
echo '{"not": "a list"}' >"$st/argo_fanout/runs/wf-bad/by_row/_items.json"
expect_code 3 "an _items.json that is not a list fails argo finish" \
    "$DUCKFLOW" argo finish "$pl" --run wf-bad --status Succeeded --store "$st"
expect_match "naming the step and the key" "run 'wf-bad': step 'by_row': 'argo_fanout/runs/wf-bad/by_row/_items.json' is not a JSON list" "$errout"
check "no run.json recorded from it" test ! -e "$st/argo_fanout/runs/wf-bad/run.json"
