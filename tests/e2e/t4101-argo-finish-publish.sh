#!/usr/bin/env bash
# t4101: on Argo the exit handler (`duckflow argo finish`) does what the end of a local run
# does for consumers: a Succeeded workflow publishes its run, writes views.sql and the
# OpenLineage events (START included: no executor wrote it); a Failed one changes nothing
# that consumers read.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..9"
S="$DUCKFLOW_STORE"
cat >p.yaml <<'YAML'
name: wf
steps:
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i;
    outputs: [t]
YAML
for i in 0 1; do "$DUCKFLOW" step p.yaml --run wf-ok --step gen --item $i >/dev/null 2>&1; done
expect_ok "finish a Succeeded workflow" "$DUCKFLOW" argo finish p.yaml --run wf-ok --status Succeeded --store "$S"
check "it is published" test "$(jget "$S/wf/published.json" m.run)" = wf-ok
check "published.sql is its views.sql" cmp "$S/wf/published.sql" "$S/wf/runs/wf-ok/views.sql"
check "lineage: START first, COMPLETE last" bash -c "head -1 '$S/wf/runs/wf-ok/lineage.jsonl' | grep -q '\"eventType\":\"START\"' && tail -1 '$S/wf/runs/wf-ok/lineage.jsonl' | grep -q '\"eventType\":\"COMPLETE\"'"
"$DUCKFLOW" step p.yaml --run wf-bad --step gen --item 0 >/dev/null 2>&1
expect_ok "finish a Failed workflow" "$DUCKFLOW" argo finish p.yaml --run wf-bad --status Failed --store "$S"
check "the published run did not change" test "$(jget "$S/wf/published.json" m.run)" = wf-ok
check "the failed run has its views.sql" test -s "$S/wf/runs/wf-bad/views.sql"
expect_ok "query reads the published run" "$DUCKFLOW" query --format csv 'SELECT count(*) FROM gen.t'
expect_match "both items" '^2$' "$out"
