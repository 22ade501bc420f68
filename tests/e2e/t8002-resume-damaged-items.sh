#!/usr/bin/env bash
# t8002: resuming a run whose stored list of a dynamic fan-out (<run>/<step>/_items.json)
# is damaged is refused before anything is recorded: exit 3 (a store object), one line
# naming the file and what is wrong, and the run's record (run.json, _manifests.json,
# views.sql, published.json) stays what it was — it used to be rewritten from the partial
# graph, "succeeded 2/2" becoming "failed 1/1". Removing the file, as the message says,
# lets the resume plan the step again and keep what was committed.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"

dyn_pipeline 1
cat >>pipeline.yaml <<'YAML'
  per_file:
    foreach: {files: gen.t, per_task: 1}
    inputs: {t: gen.t}
    sql: CREATE TABLE c AS SELECT count(*) AS n FROM t
    outputs: [c]
YAML

expect_ok "the run succeeds" "$DUCKFLOW" run pipeline.yaml
run=$(cat "$out")
R="$DUCKFLOW_STORE/dyn/runs/$run"
check "run.json says succeeded, 3 of 3 tasks" \
    test "$(jget "$R/run.json" '[m.status, m.tasks_done, m.tasks_total].join()')" = "succeeded,3,3"
mkdir before
cp "$R/run.json" "$R/_manifests.json" "$R/views.sql" "$DUCKFLOW_STORE/dyn/published.json" before/

printf '[0,' >"$R/per_row/_items.json"
expect_code 3 "resuming with a truncated _items.json is a store error" "$DUCKFLOW" run pipeline.yaml --resume "$run"
expect_match "  naming the file and what is wrong" \
    "^duckflow: cannot resume run '$run': 'dyn/runs/$run/per_row/_items.json' is not a json list: .*; remove it to plan step 'per_row' again$" "$errout"
check "  in one line" test "$(wc -l <"$errout")" -eq 1
for f in run.json _manifests.json views.sql; do
    check "  $f is as it was" cmp before/$f "$R/$f"
done
check "  published.json is as it was" cmp before/published.json "$DUCKFLOW_STORE/dyn/published.json"
check "  no task ran: no second attempt folder" test ! -e "$R/gen/00000/2"

# Valid JSON that is not a list, in the other kind of dynamic step.
cp "$R/per_row/_items.json" per_row.damaged
printf '[0]' >"$R/per_row/_items.json"
printf '{"files": []}' >"$R/per_file/_items.json"
expect_code 3 "an _items.json holding an object is refused too" "$DUCKFLOW" run pipeline.yaml --resume "$run"
expect_match "  naming it" "'dyn/runs/$run/per_file/_items.json' is not a json list; remove it to plan step 'per_file' again$" "$errout"
check "  run.json is still as it was" cmp before/run.json "$R/run.json"

rm "$R/per_file/_items.json"
expect_ok "with the file removed, the resume succeeds" "$DUCKFLOW" run pipeline.yaml --resume "$run"
check "  keeping every committed task" test "$(grep -c 'ok (kept)' "$errout")" -eq 3
check "  run.json says succeeded, 3 of 3 tasks" \
    test "$(jget "$R/run.json" '[m.status, m.tasks_done, m.tasks_total].join()')" = "succeeded,3,3"
