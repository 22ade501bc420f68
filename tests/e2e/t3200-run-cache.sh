#!/usr/bin/env bash
# t3200: content-addressed tasks across runs. A second run of an unchanged pipeline reuses
# every task (no process: no attempt folder, reused_from_run set, results equal); editing
# one SQL file reruns only that step and what its changed outputs reach; an upstream edit
# that leaves its output byte-identical reruns it alone (early cut-off); --no-cache and
# --rerun STEP run again; a damaged cache entry is a miss with one warning; another
# pipeline's cache is never consulted.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..40"

mkdir -p sql
cat >p.yaml <<'YAML'
name: cache-basic
params:
  scale: 100
  unused: 1
defaults:
  threads: 1
  memory_limit: 256MB
steps:
  gen:
    foreach: {range: 3}
    sql: sql/gen.sql
    outputs:
      nums: {order_by: [x]}
  sq:
    foreach: {each: gen}
    inputs: {n: gen.nums}
    sql: sql/sq.sql
    outputs:
      s: {order_by: [x]}
  merge:
    inputs: {s: sq.s}
    sql: sql/merge.sql
    outputs: [m]
YAML
echo "CREATE TABLE nums AS SELECT range AS x FROM range(getvariable('item') * getvariable('scale'), (getvariable('item') + 1) * getvariable('scale'));" >sql/gen.sql
echo "CREATE TABLE s AS SELECT x, x * x AS y FROM n;" >sql/sq.sql
echo "CREATE TABLE m AS SELECT count(*) AS c, sum(y)::BIGINT AS total FROM s;" >sql/merge.sql

result() { # RUN -> "c,total"
    "$DUCKFLOW" query --run "$1" --format csv "SELECT c, total FROM merge.m" | tail -n 1
}
reused() { # RUN -> number of reused tasks
    "$DUCKFLOW" query --run "$1" --format csv \
        "SELECT count(*) FROM _run.tasks WHERE reused_from_run IS NOT NULL" | tail -n 1
}

expect_ok "first run" "$DUCKFLOW" run p.yaml -j 2
R1=$(cat "$out")
cp "$errout" r1.err
check "first run: nothing reused" test "$(reused "$R1")" = 0
check "cache entries written, one per task" test "$(ls "$DUCKFLOW_STORE/cache-basic/cache" | wc -l)" -eq 7
E=$(ls "$DUCKFLOW_STORE"/cache-basic/cache/*.json | head -n 1)
check "an entry names its manifest and files" test "$(jget "$E" 'm.manifest.endsWith("/_manifest.json") && m.files.length > 0')" = true

expect_ok "second run of the unchanged pipeline" "$DUCKFLOW" run p.yaml -j 2
R2=$(cat "$out")
cp "$errout" r2.err
check "a new run" test "$R2" != "$R1"
check "every task reused from the first run" test "$("$DUCKFLOW" query --run "$R2" --format csv \
    "SELECT count(*) FILTER (reused_from_run = '$R1') FROM _run.tasks" | tail -n 1)" = 7
expect_match "summary: gen reused" '^gen +3/3 .* ok \(reused\)$' r2.err
expect_match "summary: merge reused" '^merge +1/1 .* ok \(reused\)$' r2.err
check "no task process ran (no 'ok' lines)" bash -c "! grep -qE '^ok +' r2.err"
check "no attempt folder in the second run" bash -c \
    "! find '$DUCKFLOW_STORE/cache-basic/runs/$R2' -mindepth 3 -type d | grep -q ."
check "same result" test "$(result "$R2")" = "$(result "$R1")"
expect_ok "runs lists both" "$DUCKFLOW" runs
expect_match "the second run is succeeded, 7/7" "^cache-basic +$R2 +succeeded .* 7/7" "$out"

# Edit the last step's SQL: only it runs.
echo "CREATE TABLE m AS SELECT count(*) AS c, sum(y)::BIGINT AS total, 1 AS v FROM s;" >sql/merge.sql
expect_ok "after editing merge.sql" "$DUCKFLOW" run p.yaml -j 2
R3=$(cat "$out")
cp "$errout" r3.err
expect_match "merge ran" '^ok +merge in ' r3.err
check "gen and sq did not run" bash -c "! grep -qE '^ok +(gen|sq)\\[' r3.err"
check "6 tasks reused" test "$(reused "$R3")" = 6

# Edit gen's SQL without changing what it writes: gen reruns, its files are byte-identical,
# so sq and merge keep their keys and are reused (early cut-off).
echo "-- same rows, new text
CREATE TABLE nums AS SELECT range AS x FROM range(getvariable('item') * getvariable('scale'), (getvariable('item') + 1) * getvariable('scale'));" >sql/gen.sql
expect_ok "after a cosmetic edit of gen.sql" "$DUCKFLOW" run p.yaml -j 2
R4=$(cat "$out")
cp "$errout" r4.err
check "gen's 3 tasks ran" test "$(grep -cE '^ok +gen\[' r4.err)" -eq 3
check "sq and merge did not (cut-off)" bash -c "! grep -qE '^ok +(sq|merge)' r4.err"
check "4 tasks reused" test "$(reused "$R4")" = 4

# A param the SQL reads changes the key; one it does not read does not.
expect_ok "a param no step reads" "$DUCKFLOW" run p.yaml -j 2 --param unused=2
check "everything reused" test "$(reused "$(cat "$out")")" = 7
expect_ok "a param gen reads" "$DUCKFLOW" run p.yaml -j 2 --param scale=10
R6=$(cat "$out")
check "nothing reused" test "$(reused "$R6")" = 0
check "the right result for scale=10" test "$(result "$R6")" = "30,8555"

expect_ok "--no-cache" "$DUCKFLOW" run p.yaml -j 2 --no-cache
cp "$errout" nc.err
check "--no-cache: every task ran" test "$(grep -cE '^ok +' nc.err)" -eq 7
expect_ok "--rerun sq" "$DUCKFLOW" run p.yaml -j 2 --rerun sq
cp "$errout" rr.err
check "--rerun sq: sq's 3 tasks ran, nothing else" test "$(grep -cE '^ok +' rr.err)" -eq 3
check "--rerun sq: they are sq's" test "$(grep -cE '^ok +sq\[' rr.err)" -eq 3
expect_code 2 "--rerun of an unknown step" "$DUCKFLOW" run p.yaml --rerun sqq
expect_match "names it and the closest step" "no step 'sqq'.*did you mean 'sq'" "$errout"

# A damaged entry: a miss with one warning, never a failure.
K=$("$DUCKFLOW" query --run "$R3" --format csv "SELECT cache_key FROM _run.tasks WHERE step = 'merge'" | tail -n 1)
echo '{not json' >"$DUCKFLOW_STORE/cache-basic/cache/$K.json"
expect_ok "a run with a damaged cache entry" "$DUCKFLOW" run p.yaml -j 2
cp "$errout" dm.err
expect_match "one warning names the entry" "warning: cache entry '.*$K.json' is not valid JSON" dm.err
check "one warning only" test "$(grep -c 'warning: cache entry' dm.err)" -eq 1
expect_match "merge ran" '^ok +merge in ' dm.err

# Another pipeline with the same steps never consults this pipeline's cache.
sed 's/^name: cache-basic/name: cache-other/' p.yaml >q.yaml
expect_ok "another pipeline, same steps" "$DUCKFLOW" run q.yaml -j 2
cp "$errout" q.err
check "it ran every task" test "$(grep -cE '^ok +' q.err)" -eq 7
