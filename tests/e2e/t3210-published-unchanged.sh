#!/usr/bin/env bash
# t3210: the published run never changes (docs/run.md "Resume", docs/operations.md), also
# where the resume guard of t8010 did not look:
#   - `run --resume` of the published run is refused (exit 2, before anything changes)
#     when a step now plans more items (the new task would run in it), fewer (committed
#     tasks would drop out), or a step cannot be planned (a dynamic step's stored list was
#     removed and its query fails now: the run would be recorded `failed`); with the list
#     removed and the query still good, the resume plans it again and is allowed;
#   - `duckflow step` (an Argo pod, a task by hand) for a task the run has committed: the
#     same key is "nothing to do" (exit 0, the manifest untouched: an `argo retry` of a pod
#     that died after its commit); on the published run another key is refused (exit 2)
#     and the manifest and the data stay (--no-cache runs it again: asked for); on another
#     run the task runs again as before.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..31"

printf 'k\n1\n2\n' >items.csv
cat >p.yaml <<YAML
name: pubguard
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  list:
    foreach: {rows: "SELECT k FROM read_csv('$SCRATCH/items.csv') ORDER BY k"}
    sql: CREATE TABLE l AS SELECT getvariable('item') AS k
    outputs: [l]
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE g AS SELECT getvariable('item') AS x
    outputs: [g]
YAML
cp p.yaml orig.yaml
S="$DUCKFLOW_STORE/pubguard"
count() { "$DUCKFLOW" query --format csv "SELECT (SELECT count(*) FROM gen.g) || '/' || (SELECT count(*) FROM list.l)" 2>q.err | tail -n 1; }
status() { jget "$S/runs/$R/run.json" 'm.status + " " + m.tasks_done + "/" + m.tasks_total'; }

expect_ok "a run" "$DUCKFLOW" run p.yaml
R=$(tail -n 1 "$out")
check "it is the published run" test "$(jget "$S/published.json" m.run)" = "$R"
check "2 gen rows, 2 list rows" test "$(count)" = 2/2
cp "$S/runs/$R/run.json" run0.json

sed -i 's/range: 2/range: 3/' p.yaml
expect_code 2 "resume after the fan-out grew" "$DUCKFLOW" run p.yaml --resume "$R"
expect_match "refused, naming the task that would run" "cannot resume run '$R': it is the published run of 'pubguard', and task gen\\[2\\] would run \\(the run has not committed it\\); start a new run instead" "$errout"
check "nothing ran in it" test ! -e "$S/runs/$R/gen/00002"
check "its run.json is as it was" cmp run0.json "$S/runs/$R/run.json"

sed -i 's/range: 3/range: 1/' p.yaml
expect_code 2 "resume after the fan-out shrank" "$DUCKFLOW" run p.yaml --resume "$R"
expect_match "refused: committed tasks would drop out" "step 'gen' would drop 1 of its 2 committed tasks" "$errout"
check "the published data is as it was" test "$(count)" = 2/2

cp orig.yaml p.yaml
mv "$S/runs/$R/list/_items.json" items.bak
printf 'nope\n' >items.csv # the rows query now fails (no column k)
expect_code 2 "resume with a dynamic step's stored list gone" "$DUCKFLOW" run p.yaml --resume "$R"
expect_match "refused: the step cannot be planned" "step 'list' cannot be planned \(.*\); start a new run instead" "$errout"
check "run.json still says succeeded 4/4 (not failed)" test "$(status)" = "succeeded 4/4"
check "and is as it was" cmp run0.json "$S/runs/$R/run.json"
printf 'k\n1\n2\n' >items.csv
expect_ok "with the query good again, the resume plans the list again" "$DUCKFLOW" run p.yaml --resume "$R"
check "the same list" cmp items.bak "$S/runs/$R/list/_items.json"
check "still succeeded 4/4" test "$(status)" = "succeeded 4/4"

# duckflow step on the published run.
M="$S/runs/$R/gen/00000/_manifest.json"
cp "$M" m0.json
expect_ok "step of a committed task, same key" "$DUCKFLOW" step p.yaml --run "$R" --step gen --item 0
expect_match "nothing to do" "run '$R' has committed this task already, with the same key: nothing to do" "$errout"
check "the manifest is untouched, no attempt ran" bash -c "cmp m0.json '$M' && test \$(ls '$S/runs/$R/gen/00000' | wc -l) -eq 2"
sed -i "s/AS x\$/AS x, 1 AS edited/" p.yaml
expect_code 2 "step of a committed task whose SQL changed" "$DUCKFLOW" step p.yaml --run "$R" --step gen --item 0
expect_match "refused: the published run" "run '$R' is the published run of 'pubguard' and has committed this task, which would run again \\(its cache key changed\\); start a new run instead" "$errout"
check "the manifest is untouched" cmp m0.json "$M"
cp orig.yaml p.yaml
expect_ok "step --no-cache of a committed task runs it again (asked for)" "$DUCKFLOW" step p.yaml --run "$R" --step gen --item 0 --no-cache
check "a new attempt, the same key" test "$(jget "$M" m.cache_key)" = "$(jget m0.json m.cache_key)"
check "the published data is as it was" test "$(count)" = 2/2

# Another run (not published): the same key is nothing to do, another key runs again.
expect_ok "a task by hand in run hand-1" "$DUCKFLOW" step p.yaml --run hand-1 --step gen --item 1
H="$S/runs/hand-1/gen/00001/_manifest.json"
cp "$H" h0.json
expect_ok "again: nothing to do" "$DUCKFLOW" step p.yaml --run hand-1 --step gen --item 1
check "the manifest is untouched" cmp h0.json "$H"
sed -i "s/AS x\$/AS x, 1 AS edited/" p.yaml
expect_ok "after an edit it runs again" "$DUCKFLOW" step p.yaml --run hand-1 --step gen --item 1
check "with a new key" test "$(jget "$H" m.cache_key)" != "$(jget h0.json m.cache_key)"
