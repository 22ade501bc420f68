#!/usr/bin/env bash
# t7255: a step's own `argo: {tasks_per_pod: N}` that cannot take effect - on a step
# without foreach (one task) or on an `each` step (it runs as the step it maps over does)
# - gets one compile-time warning naming FILE:LINE and why; one on a fan-out gets none,
# and the manifest still compiles.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..8"
img=(--image img:1 --store s3://bucket/prefix)
mkdir -p p
cat >p/pipeline.yaml <<'YAML'
name: tpp
steps:
  fan:
    foreach: {range: 4}
    argo: {tasks_per_pod: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item')::INT AS i
    outputs: [t]
  per:
    foreach: {each: fan}
    inputs: {t: fan.t}
    argo: {tasks_per_pod: 3}
    sql: CREATE TABLE u AS SELECT i FROM t
    outputs: [u]
  one:
    inputs: {u: per.u}
    argo:
      tasks_per_pod: 5
    sql: CREATE TABLE v AS SELECT count(*) AS n FROM u
    outputs: [v]
YAML

expect_ok "the pipeline compiles" "$DUCKFLOW" argo p/pipeline.yaml "${img[@]}"
cp "$out" warned.yaml
cp "$errout" warned.err
expect_match "the step without foreach: file:line and why" \
    "^duckflow argo: warning: p/pipeline.yaml:17: step 'one': tasks_per_pod has no effect without foreach" "$errout"
expect_match "the each step: file:line and why" \
    "^duckflow argo: warning: p/pipeline.yaml:11: step 'per': tasks_per_pod has no effect on an .each. step" "$errout"
check "each warned once" test "$(grep -c 'tasks_per_pod has no effect' warned.err)" -eq 2
check "none for the fan-out that uses it" bash -c "! grep -q \"step 'fan'\" warned.err"
check "the fan-out still runs 2 items per pod" grep -q -- '--tasks-per-pod' warned.yaml

sed -i 's/^ *argo: {tasks_per_pod: 3}$//; /^    argo:$/,/tasks_per_pod: 5/d' p/pipeline.yaml
expect_ok "without them it compiles" "$DUCKFLOW" argo p/pipeline.yaml "${img[@]}"
cp "$errout" quiet.err
check "with no tasks_per_pod warning" bash -c "! grep -q tasks_per_pod quiet.err"
