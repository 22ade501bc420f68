#!/usr/bin/env bash
# t8004: a resume that fails while planning does not rewrite the run's record into
# something false. The record keeps every task the run had: a step this invocation could
# not plan (its rows query fails now) or never reached (a step above it failed now) keeps
# the tasks of the previous record, marked "carried", with their counts; the failure is
# recorded (status failed, the step's error); _manifests.json and views.sql still name
# every committed file. It used to turn "succeeded 3/3" into "failed 1/1". A resume
# with --select keeps the tasks of the steps it does not select (they vanished too).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..26"

dyn_pipeline 2
cp pipeline.yaml pipeline.orig

expect_ok "the run succeeds" "$DUCKFLOW" run pipeline.yaml
run=$(cat "$out")
R="$DUCKFLOW_STORE/dyn/runs/$run"

# A later run is published: resuming the published run would be refused (t8010).
"$DUCKFLOW" run pipeline.yaml >later.out 2>&1 || cat later.out >&2
counts() { jget "$R/run.json" '[m.status, m.tasks_done, m.tasks_failed, m.tasks_total].join()'; }
step_of() { # STEP EXPR over s (the step's record)
    jget "$R/run.json" "(s => $2)(m.steps.find(s => s.name === '$1'))"
}
per_row_tasks() { # states of per_row's tasks, and whether they were carried
    jget "$R/run.json" "m.tasks.filter(t => t.step === 'per_row').map(t => t.state + ':' + !!t.carried).join()"
}
check "run.json: succeeded, 3 done, 0 failed, of 3" test "$(counts)" = "succeeded,3,0,3"

# 1. The rows query fails now: its stored list removed, the query edited to be wrong.
rm "$R/per_row/_items.json"
sed 's/SELECT DISTINCT k FROM t/SELECT DISTINCT nope FROM t/' pipeline.orig >pipeline.yaml
expect_code 1 "a resume whose rows query fails now fails" "$DUCKFLOW" run pipeline.yaml --resume "$run"
check "  run.json: failed, 3 done, 0 failed, of 3 (was: failed, 1 of 1)" \
    test "$(counts)" = "failed,3,0,3"
check "  per_row: failed, its 2 tasks done (carried)" \
    test "$(step_of per_row '[s.status, s.tasks.total, s.tasks.done, s.rows].join()')" = "failed,2,2,2"
check "  per_row's tasks are the previous record's" test "$(per_row_tasks)" = "done:true,done:true"
expect_match "  the step's error says why" 'Binder Error: Referenced column' \
    <(step_of per_row 's.error')
check "  _manifests.json still names both per_row manifests" \
    test "$(jget "$R/_manifests.json" "Object.keys(m.tasks).filter(k => k.startsWith('per_row/')).length")" -eq 2
check "  views.sql still reads per_row's files" test "$(grep -c '/per_row/0000' "$R/views.sql")" -eq 2

# 2. SQL edited to fail (it parses; the binder refuses it): gen runs again and fails, and
# per_row, never reached, keeps its tasks.
sed 's/SELECT range AS k/SELECT nope AS k/' pipeline.orig >pipeline.yaml
expect_code 1 "a resume whose changed SQL fails, fails" "$DUCKFLOW" run pipeline.yaml --resume "$run"
check "  run.json: failed, 2 done, 1 failed, of 3 (was: failed, 0 of 1)" \
    test "$(counts)" = "failed,2,1,3"
check "  gen: failed with a sql_error" \
    test "$(step_of gen '[s.status, s.exit_class].join()')" = "failed,sql_error"
check "  per_row: upstream_failed, its 2 tasks done (carried)" \
    test "$(step_of per_row '[s.status, s.tasks.total, s.tasks.done].join()')" = "upstream_failed,2,2"
check "  per_row's tasks are still the earlier ones" test "$(per_row_tasks)" = "done:true,done:true"
check "  _manifests.json still names both per_row manifests" \
    test "$(jget "$R/_manifests.json" "Object.keys(m.tasks).filter(k => k.startsWith('per_row/')).length")" -eq 2

# 3. SQL that no longer parses is refused before anything is recorded.
cp "$R/run.json" run.before
sed 's/SELECT getvariable/SELEC getvariable/' pipeline.orig >pipeline.yaml
expect_code 2 "a resume whose SQL does not parse is refused" "$DUCKFLOW" run pipeline.yaml --resume "$run"
expect_match "  naming the file, line and step" "pipeline.yaml:9:.*step 'per_row'.*syntax error" "$errout"
check "  run.json is as it was" cmp run.before "$R/run.json"

# 4. Fixed, the resume finishes the run; nothing is carried any more.
cp pipeline.orig pipeline.yaml
expect_ok "with the pipeline fixed, the resume succeeds" "$DUCKFLOW" run pipeline.yaml --resume "$run"
check "  run.json: succeeded, 3 done, 0 failed, of 3" test "$(counts)" = "succeeded,3,0,3"
check "  per_row's tasks are planned again (not carried)" test "$(per_row_tasks)" = "done:false,done:false"
check "  per_row's rows: 2" test "$(step_of per_row 's.rows')" -eq 2
check "  the attempts of every invocation are numbered apart" \
    test "$(ls -d "$R"/gen/00000/*/ | wc -l)" -eq 3

# 5. A resume that selects some steps keeps the tasks of the others as they were.
expect_ok "a resume selecting only gen succeeds" "$DUCKFLOW" run pipeline.yaml --resume "$run" --select gen
check "  run.json: succeeded, 3 done, 0 failed, of 3 (was: 1 of 1)" test "$(counts)" = "succeeded,3,0,3"
check "  per_row: succeeded, its 2 tasks carried" \
    test "$(step_of per_row '[s.status, s.tasks.done].join()'):$(per_row_tasks)" = "succeeded,2:done:true,done:true"
