#!/usr/bin/env bash
# t4102: on Argo a task's log also goes to the pod's stdout (issue 13 point 5): the pods
# run `duckflow argo step`, which sends the task log to stdout whatever env Argo's
# executor sets (DUCKFLOW_LOG_STDOUT=0 turns it off); it is the same text as the stored
# <attempt>/_log.txt, for a task that succeeds and for one that fails. Plain `duckflow
# step` keeps stdout for itself (the log goes to stderr).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..14"
S="$DUCKFLOW_STORE"
unset ARGO_NODE_ID DUCKFLOW_LOG_STDOUT

cat >p.yaml <<'YAML'
name: pod
params:
  bad: 0
defaults:
  threads: 1
  retries: 0
steps:
  hello:
    sql: |
      SELECT 'hello from the pod' AS greeting;
      CREATE TABLE t AS SELECT 1 AS x;
    outputs: [t]
    checks:
      - name: not bad
        sql: SELECT 'bad row' AS why WHERE getvariable('bad') = 1
YAML
expect_ok "the Argo manifest" "$DUCKFLOW" argo p.yaml --image img --store "$S"
H=$(grep -m1 -A1 -- '"--bundle"' "$out" | tail -1 | tr -d ' "-')
check "names a bundle" test ${#H} -eq 64
expect_ok "argo bundle" "$DUCKFLOW" argo bundle p.yaml --bundle "$H" --store "$S"

expect_ok "argo step (a pod)" "$DUCKFLOW" argo step pod --bundle "$H" --run wf-1 --step hello \
    --item 0 --attempt 1 --store "$S"
cp "$out" pod.out
A=$(jget "$S/pod/runs/wf-1/hello/00000/_manifest.json" m.attempt_dir)
expect_match "the pod's stdout has the SELECT's row" '^hello from the pod$' pod.out
check "and is the stored log, byte for byte" cmp pod.out "$S/pod/runs/wf-1/hello/00000/$A/_log.txt"

expect_code 1 "a failing pod" "$DUCKFLOW" argo step pod --bundle "$H" --run wf-2 --step hello \
    --item 0 --attempt 1 --store "$S" --param bad=1
cp "$out" bad.out
expect_match "its stdout has the failing check" "check 'not bad' failed" bad.out
expect_match "and its row" 'bad row' bad.out
AB=$(ls "$S/pod/runs/wf-2/hello/00000/")
check "the same text as its stored log" cmp bad.out "$S/pod/runs/wf-2/hello/00000/$AB/_log.txt"

expect_ok "DUCKFLOW_LOG_STDOUT=0 turns it off" env DUCKFLOW_LOG_STDOUT=0 "$DUCKFLOW" argo step pod \
    --bundle "$H" --run wf-3 --step hello --item 0 --attempt 1 --store "$S" --no-cache
cp "$errout" off.err
check "(stdout empty, the log on stderr)" bash -c "test ! -s '$out' && grep -qx 'hello from the pod' off.err"
expect_ok "plain duckflow step" "$DUCKFLOW" step p.yaml --run r-4 --step hello --no-cache
cp "$errout" step.err
check "keeps its stdout clean (the log went to stderr)" \
    bash -c "test ! -s '$out' && grep -qx 'hello from the pod' step.err"
