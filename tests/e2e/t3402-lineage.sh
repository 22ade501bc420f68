#!/usr/bin/env bash
# t3402: OpenLineage run events (issue 13 point 6): START then COMPLETE/FAIL for the run and
# one job per step, with datasets named by store URI and table, schema and row counts; in
# the run folder as JSON lines and POSTed to $OPENLINEAGE_URL (a server started here on
# 127.0.0.1); validated with ajv against OpenLineage's own schemas (../shared/openlineage);
# an endpoint that fails once is retried; an unreachable one is one warning, run unaffected.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..26"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
S="$DUCKFLOW_STORE"
OL="$DUCKFLOW_TOP/tests/support/openlineage"

cat >p.yaml <<'YAML'
name: lin
params:
  bad: 0
defaults:
  threads: 1
  memory_limit: 256MB
  retries: 0
steps:
  gen:
    foreach: {range: 3}
    inputs: {cfg: data/cfg.csv}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i, range AS r, k FROM range(5), cfg;
    outputs: [t]
  total:
    inputs: {t: gen.t}
    sql: CREATE TABLE s AS SELECT count(*) AS c, sum(i)::BIGINT AS si FROM t;
    outputs: [s]
    checks:
      - name: not bad
        sql: SELECT 1 WHERE getvariable('bad') = 1
YAML
mkdir -p data
printf 'k\nv\n' >data/cfg.csv

node "$OL/server.js" port got 1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.05; done
export OPENLINEAGE_URL="http://127.0.0.1:$(cat port)"
export OPENLINEAGE_API_KEY=t0ken

expect_ok "a run with OPENLINEAGE_URL set (the endpoint fails once)" "$DUCKFLOW" run -q p.yaml
R=$(cat "$out")
check "no warning: the one failure was retried" bash -c "! grep -q 'lineage' '$errout'"
EV="$S/lin/runs/$R/lineage.jsonl"
check "events in the run folder" test -s "$EV"
check "6 events: run START, 2 per step, run COMPLETE" test "$(wc -l <"$EV")" -eq 6
check "the server got the same events" cmp <(node -e 'for (const l of require("fs").readFileSync(process.argv[1],"utf8").split("\n").filter(Boolean)) console.log(JSON.stringify(JSON.parse(l)))' "$EV") \
    <(node -e 'for (const l of require("fs").readFileSync(process.argv[1],"utf8").split("\n").filter(Boolean)) console.log(JSON.stringify(JSON.parse(l)))' got)
expect_match "POSTed as JSON to /api/v1/lineage with the API key" '^POST /api/v1/lineage application/json Bearer t0ken$' got.requests
check "7 requests: one failed and was retried" test "$(wc -l <got.requests)" -eq 7
if [ -d "$shared/openlineage" ]; then
    expect_ok "every event validates against OpenLineage's schemas" node "$OL/validate.js" "$shared/openlineage" "$EV"
else
    echo "ok - # SKIP $shared/openlineage is absent"
fi
ev() { node -e 'const ls=require("fs").readFileSync(process.argv[1],"utf8").split("\n").filter(Boolean).map(JSON.parse); const v=eval(process.argv[2]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"; }
check "run START first, COMPLETE last" test "$(ev "$EV" 'ls.map(e=>e.eventType+":"+e.job.name).join(" ")')" = \
    "START:lin START:lin.gen COMPLETE:lin.gen START:lin.total COMPLETE:lin.total COMPLETE:lin"
check "one run id per job, UUID-shaped" test "$(ev "$EV" 'new Set(ls.map(e=>e.run.runId)).size+" "+ls.every(e=>/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(e.run.runId))')" = "3 true"
check "gen's output: store URI namespace, pipeline.step.table" test "$(ev "$EV" 'ls[2].outputs.map(d=>d.namespace+" "+d.name).join()')" = "file://$S lin.gen.t"
check "with 15 rows, 3 files" test "$(ev "$EV" 'ls[2].outputs[0].outputFacets.outputStatistics.rowCount+" "+ls[2].outputs[0].outputFacets.outputStatistics.fileCount')" = "15 3"
check "and its schema" test "$(ev "$EV" 'ls[2].outputs[0].facets.schema.fields.map(f=>f.name+":"+f.type).join()')" = "i:BIGINT,r:BIGINT,k:VARCHAR"
check "gen reads the local file" test "$(ev "$EV" 'ls[2].inputs.map(d=>d.namespace+" "+d.name).join()')" = "file $SCRATCH/data/cfg.csv"
check "total reads gen.t" test "$(ev "$EV" 'ls[4].inputs.map(d=>d.name).join()')" = "lin.gen.t"

: >got
expect_code 1 "a failing run" "$DUCKFLOW" run -q p.yaml --param bad=1
R2=$(cat "$out")
EV2="$S/lin/runs/$R2/lineage.jsonl"
check "ends with FAIL for the step and the run" test "$(ev "$EV2" 'ls.slice(-2).map(e=>e.eventType+":"+e.job.name).join(" ")')" = "FAIL:lin.total FAIL:lin"
check "with the error message" bash -c "grep -q \"check 'not bad' failed\" <<<\"\$(tail -1 '$EV2')\""
if [ -d "$shared/openlineage" ]; then
    expect_ok "the failing run's events validate too" node "$OL/validate.js" "$shared/openlineage" "$EV2"
else
    echo "ok - # SKIP $shared/openlineage is absent"
fi
check "the server got them" test "$(wc -l <got)" -eq "$(wc -l <"$EV2")"

# An endpoint nobody listens on: one warning, the run succeeds, the events are still kept.
kill $srv 2>/dev/null; wait $srv 2>/dev/null
expect_ok "a run with an unreachable endpoint succeeds" "$DUCKFLOW" run -q p.yaml
R3=$(cat "$out")
check "one warning" test "$(grep -c 'cannot send lineage events' "$errout")" -eq 1
check "events still in the run folder" test "$(wc -l <"$S/lin/runs/$R3/lineage.jsonl")" -eq 6
OPENLINEAGE_DISABLED=true expect_ok "OPENLINEAGE_DISABLED=true" "$DUCKFLOW" run -q p.yaml
check "emits nothing" test ! -e "$S/lin/runs/$(cat "$out")/lineage.jsonl"
check "nor warns" bash -c "! grep -q lineage '$errout'"
