#!/usr/bin/env bash
# t3209: reused tasks are shown as such (issue 10 item 3) and bad cache entries are misses
# (issue 10 "Bad input"):
#   - the terminal view (script(1) gives the run a pseudo-terminal) says "reused" for a step
#     whose tasks came from the cache and "kept" for one a resume kept;
#   - `duckflow runs` adds "(N reused)", `duckflow report` says "reused from RUN", and
#     `_run.tasks.reused_from_run` is NULL for tasks that ran;
#   - a cache entry that points at a missing manifest, or one copied from another
#     pipeline's folder, is a miss with one warning and the task runs.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..23"

cat >p.yaml <<'YAML'
name: shown
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  gen:
    foreach: {range: 3}
    sql: CREATE TABLE g AS SELECT getvariable('item') AS x;
    outputs: [g]
  slow:
    sql: CREATE TABLE s AS SELECT count(*) AS n FROM range(getvariable('n'));
    outputs: [s]
params: {n: 1000}
YAML

expect_ok "first run" "$DUCKFLOW" run p.yaml -j 1
R1=$(tail -n 1 "$out")
check "tasks that ran have no reused_from_run" test "$("$DUCKFLOW" query --run "$R1" --format csv \
    "SELECT count(*) FROM _run.tasks WHERE reused_from_run IS NULL" | tail -n 1)" = 4

# gen comes from the cache while slow runs (long enough for the view to be drawn).
check "second run on a terminal" script -qec "'$DUCKFLOW' run p.yaml -j 1 --color never --param n=3000000000" /dev/null
tr '\r' '\n' <"$out" >view.txt
R2=$(grep -aoE '[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}' view.txt | tail -n 1)
expect_match "the view: gen reused" '^  gen +3/3 +reused +3 reused' view.txt
check "the view never calls them kept" bash -c "! grep -aqE '^  gen .*kept' view.txt"
expect_match "the summary: gen ok (reused)" '^gen +3/3 .* ok \(reused\)' view.txt
expect_ok "runs" "$DUCKFLOW" runs
expect_match "runs: (3 reused)" "^shown +$R2 +succeeded.* 4/4 \\(3 reused\\)" "$out"
expect_ok "report" "$DUCKFLOW" report "$R2"
check "report: each gen task reused from the first run" test "$(grep -cE "^ gen +\| .*reused from $R1" "$out")" -eq 3
expect_ok "report --html" "$DUCKFLOW" report "$R2" --html r.html
check "the html says so" grep -q "reused from $R1" r.html
check "_run.tasks: 3 reused from the first run, slow ran" test "$("$DUCKFLOW" query --run "$R2" --format csv \
    "SELECT string_agg(step || ':' || coalesce(reused_from_run, '-'), ' ' ORDER BY step, item_index) FROM _run.tasks" | tail -n 1)" = \
    "gen:$R1 gen:$R1 gen:$R1 slow:-"

# A resume that keeps committed tasks: "kept", not "reused".
rm "$DUCKFLOW_STORE/shown/runs/$R1/slow/00000/_manifest.json"
check "a resume on a terminal" script -qec "'$DUCKFLOW' run p.yaml -j 1 --color never --resume $R1" /dev/null
tr '\r' '\n' <"$out" >view2.txt
expect_match "the view: gen kept" '^  gen +3/3 +kept +3 kept' view2.txt
check "not reused" bash -c "! grep -aqE '^  gen .*reused' view2.txt"

# Damaged entries: a miss with one warning each, the task runs.
E="$DUCKFLOW_STORE/shown/cache"
K0=$(jget "$DUCKFLOW_STORE/shown/runs/$R1/gen/00000/_manifest.json" m.cache_key)
node -e 'const fs = require("fs"); const f = process.argv[1]; const e = JSON.parse(fs.readFileSync(f, "utf8"));
    e.manifest = e.manifest.replace(/\/runs\/[^/]+\//, "/runs/20200101T000000Z-dead/"); fs.writeFileSync(f, JSON.stringify(e));' "$E/$K0.json"
# gen[1]'s entry replaced by another pipeline's entry for the same key.
K1=$(jget "$DUCKFLOW_STORE/shown/runs/$R1/gen/00001/_manifest.json" m.cache_key)
sed 's/^name: shown/name: other/' p.yaml >q.yaml
expect_ok "another pipeline with the same steps" "$DUCKFLOW" run q.yaml -j 1
check "it has an entry with gen[1]'s key" test -f "$DUCKFLOW_STORE/other/cache/$K1.json"
cp "$DUCKFLOW_STORE/other/cache/$K1.json" "$E/$K1.json"
expect_ok "a run with both entries damaged" "$DUCKFLOW" run p.yaml -j 1
cp "$errout" dmg.err
expect_match "a warning: points at a missing manifest" "warning: cache entry '.*$K0.json' points at a missing manifest" dmg.err
expect_match "a warning: not this pipeline's" "warning: cache entry '.*$K1.json' does not name a manifest of this pipeline" dmg.err
check "one warning each, no more" test "$(grep -c 'warning: cache entry' dmg.err)" -eq 2
check "gen[0] and gen[1] ran, gen[2] was reused" bash -c \
    "grep -qE '^ok +gen\\[0\\]' dmg.err && grep -qE '^ok +gen\\[1\\]' dmg.err && ! grep -qE '^ok +gen\\[2\\]' dmg.err"
