#!/usr/bin/env bash
# t8005: the end-of-run summary of a resume counts the tasks run.json carries from the
# previous attempt (steps this invocation did not plan, or did not select: exec/runcarry.h)
# and says so, instead of counting only what this invocation planned ("1 of 1 tasks done"
# while run.json said 3 of 3). The step table shows a carried step's tasks, rows and bytes
# as run.json has them, marked "(N carried)".
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"

dyn_pipeline 2
cp pipeline.yaml pipeline.orig
counts() { jget "$R/run.json" '[m.tasks_done, m.tasks_total].join()'; }
keep() { cp "$errout" summary; } # the last run's summary (check overwrites $errout)
row() { grep -E "^$1 " summary; } # the step table's line of step $1

expect_ok "the run succeeds" "$DUCKFLOW" run pipeline.yaml --color never
keep
run=$(cat "$out")
R="$DUCKFLOW_STORE/dyn/runs/$run"

# A later run is published: resuming the published run would be refused (t8010).
"$DUCKFLOW" run pipeline.yaml >later.out 2>&1 || cat later.out >&2

# 1. per_row cannot be planned now: its 2 tasks are carried.
rm "$R/per_row/_items.json"
sed 's/SELECT DISTINCT k FROM t/SELECT DISTINCT nope FROM t/' pipeline.orig >pipeline.yaml
expect_code 1 "a resume whose rows query fails now fails" \
    "$DUCKFLOW" run pipeline.yaml --resume "$run" --color never
keep
expect_match "  summary: 3 of 3 tasks done, 2 carried (was: 1 of 1)" \
    "failed in .*: 3 of 3 tasks done \(2 carried from the previous attempt\); see" summary
check "  run.json agrees: 3 done of 3" test "$(counts)" = "3,3"
expect_match "  per_row's row: 2/2, 2 rows, sql_error (2 carried)" \
    '^per_row +2/2 +2 +[0-9.]+ [KM]?B +- +sql_error \(2 carried\)$' <(row per_row)
expect_match "  gen's row: kept, not carried" '^gen +1/1 .* ok \(kept\)$' <(row gen)

# 2. gen fails now: per_row, never reached, is carried.
sed 's/SELECT range AS k/SELECT nope AS k/' pipeline.orig >pipeline.yaml
expect_code 1 "a resume whose changed SQL fails, fails" \
    "$DUCKFLOW" run pipeline.yaml --resume "$run" --color never
keep
expect_match "  summary: 2 of 3 tasks done, 1 failed, 2 carried" \
    ": 2 of 3 tasks done, 1 failed \(2 carried from the previous attempt\); see" summary
check "  run.json agrees: 2 done of 3" test "$(counts)" = "2,3"
expect_match "  per_row's row: upstream_failed, 2 carried" \
    '^per_row +2/2 +2 .* upstream_failed: not run \(2 carried\)$' <(row per_row)

# 3. Selecting only gen: per_row keeps its tasks, and the summary says so.
cp pipeline.orig pipeline.yaml
expect_ok "a resume selecting only gen succeeds" \
    "$DUCKFLOW" run pipeline.yaml --resume "$run" --select gen --color never
keep
expect_match "  summary: succeeded, 2 tasks carried" \
    "succeeded in [^;]* \(2 tasks carried from the previous attempt\) \(partial: not published\); see" summary
expect_match "  per_row's row: 2/2, not selected (2 carried)" \
    '^per_row +2/2 +2 .* not selected \(2 carried\)$' <(row per_row)

# 4. The whole pipeline: nothing carried any more.
expect_ok "the full resume succeeds" "$DUCKFLOW" run pipeline.yaml --resume "$run" --color never
keep
check "  summary: nothing carried" sh -c "! grep -q carried summary"
expect_match "  summary: 3 tasks kept" "succeeded in [^;]* \(3 tasks kept from before\); see" summary

# 5. A run whose per_row[1] failed, resumed with gen failing: per_row's carried tasks are
# one done and one not run by this invocation.
sed "s/SELECT getvariable('item') AS k/SELECT CASE WHEN getvariable('item') = 1 THEN error('boom') ELSE 0 END AS k/" \
    pipeline.orig >pipeline.fail
expect_code 1 "a run with a failing task fails" "$DUCKFLOW" run pipeline.fail --color never
keep
run2=$(cat "$out")
R="$DUCKFLOW_STORE/dyn/runs/$run2"
sed 's/SELECT range AS k/SELECT nope AS k/' pipeline.fail >pipeline.yaml
expect_code 1 "its resume with gen failing fails" \
    "$DUCKFLOW" run pipeline.yaml --resume "$run2" --color never
keep
expect_match "  summary: 1 of 3 done, 1 failed, 1 not run, 2 carried" \
    ": 1 of 3 tasks done, 1 failed, 1 not run \(2 carried from the previous attempt\); see" summary
expect_match "  per_row's row: 1/2, 2 carried" '^per_row +1/2 .*\(2 carried\)$' <(row per_row)
