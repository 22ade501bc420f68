#!/usr/bin/env bash
# t3000: `duckflow run` on a 3-step pipeline (range fan-out, each, fan-in): exit 0, the run
# id alone on stdout, a summary per step on stderr, run.json succeeded, `duckflow runs`
# lists the runs oldest first (text and JSON), the outputs are right, and bad usage is 2.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..42"

# Prints a JS expression over the JSON on stdin (`j` is the parsed value).
js() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
  const v=eval(process.argv[1]);console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }

cat >p.yaml <<'YAML'
name: run-basic
params:
  chunks: 4
defaults:
  threads: 1
  memory_limit: 256MB
steps:
  gen:
    foreach: {range: chunks}
    sql: |
      CREATE TABLE nums AS
        SELECT range AS x, getvariable('item_index') AS chunk
        FROM range(getvariable('item') * 100, getvariable('item') * 100 + 100);
    outputs: [nums]
  sum:
    foreach: {each: gen}
    inputs: {n: gen.nums}
    sql: CREATE TABLE s AS SELECT min(chunk) AS chunk, count(*) AS c, sum(x) AS total FROM n;
    outputs: [s]
  merge:
    inputs: {s: sum.s}
    sql: CREATE TABLE m AS SELECT count(*) AS chunks, sum(c)::BIGINT AS c, sum(total)::BIGINT AS total FROM s;
    outputs: [m]
    checks:
      - name: each sum saw one chunk
        sql: SELECT * FROM s WHERE c <> 100
YAML

expect_ok "run succeeds" "$DUCKFLOW" run p.yaml -j 2
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
check "stdout is the run id alone" grep -qxE '[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}' run.out
check "one line on stdout" test "$(wc -l <run.out)" -eq 1
expect_match "last line names the run and how to query it" \
    "^run $RUN succeeded in .*duckflow query --run $RUN" run.err
check "the summary is the end of stderr" bash -c "tail -n 1 run.err | grep -q '^run $RUN succeeded'"
expect_match "summary row for gen" '^gen +4/4 +400 +[0-9.]+ [kKMG]?B .* ok$' run.err
expect_match "summary row for sum" '^sum +4/4 +4 .* ok$' run.err
expect_match "summary row for merge" '^merge +1/1 +1 .* ok$' run.err
expect_match "a line per finished task (stderr is not a terminal)" '^ok +sum\[3\] in ' run.err

expect_ok "merge is right" "$DUCKFLOW" query --run "$RUN" --format csv "SELECT * FROM merge.m"
cp "$out" q.csv
check "400 numbers in 4 chunks summing to 79800" grep -qx '4,400,79800' q.csv

expect_ok "runs lists it" "$DUCKFLOW" runs
cp "$out" runs.txt
expect_match "runs: header" '^PIPELINE +RUN +STATUS +STARTED +DURATION +TASKS$' runs.txt
expect_match "runs: the run, succeeded, 9/9 tasks" "^run-basic +$RUN +succeeded .* 9/9$" runs.txt

expect_ok "a second run with --param" "$DUCKFLOW" run p.yaml --param chunks=2 -j 1 --quiet
cp "$errout" quiet.err
RUN2=$(cat "$out")
check "a new run id" test "$RUN2" != "$RUN"
check "--quiet keeps only the last line" test "$(wc -l <quiet.err)" -eq 1
expect_ok "runs --format json" "$DUCKFLOW" runs --format json --pipeline run-basic
cp "$out" runs.json
check "json: two runs, oldest first" test "$(js 'j.map(r=>r.run).join(" ")' <runs.json)" = "$RUN $RUN2"
check "json: status and task counts" \
    test "$(js 'j.map(r=>r.status+":"+r.tasks_done+"/"+r.tasks_total).join(" ")' <runs.json)" = \
    "succeeded:9/9 succeeded:5/5"
expect_ok "query the second run" "$DUCKFLOW" query --run "$RUN2" --format csv "SELECT chunks, c FROM merge.m"
cp "$out" q2.csv
check "2 chunks of 100" grep -qx '2,200' q2.csv

# Only this pipeline's runs; an unknown pipeline has none.
expect_ok "runs --pipeline other" "$DUCKFLOW" runs --pipeline other --format json
cp "$out" other.json
check "no runs of another pipeline" test "$(js 'j.length' <other.json)" = 0

expect_ok "run --help" "$DUCKFLOW" run --help
expect_match "help on stdout" '^usage: duckflow run \[PIPELINE\]' "$out"
expect_ok "runs --help" "$DUCKFLOW" runs --help
expect_ok "gc --help" "$DUCKFLOW" gc --help
sed 's/^name: run-basic/name: run-other/' p.yaml >bad2.yaml
expect_code 2 "missing pipeline" "$DUCKFLOW" run
expect_code 2 "-j 0" "$DUCKFLOW" run p.yaml -j 0
expect_code 2 "bad --memory" "$DUCKFLOW" run p.yaml --memory lots
expect_code 2 "bad --param" "$DUCKFLOW" run p.yaml --param chunks
expect_code 2 "unknown param" "$DUCKFLOW" run p.yaml --param nope=1
expect_code 2 "resume of a run that does not exist" "$DUCKFLOW" run p.yaml --resume 20200101T000000Z-0000
expect_match "says so" "no such run" "$errout"
expect_code 2 "resume latest of a pipeline without runs" "$DUCKFLOW" run bad2.yaml --resume latest
expect_match "says so" "has no runs" "$errout"
expect_code 3 "a store that cannot be written is a store error" "$DUCKFLOW" run p.yaml --store /dev/null/store
expect_match "naming the run it could not create" "^duckflow: cannot create run '" "$errout"
expect_code 2 "runs --format xml" "$DUCKFLOW" runs --format xml
printf 'name: run-basic\nsteps:\n  a:\n    sql: SELECT 1\n    inputs: {x: nope.t}\n' >bad.yaml
expect_code 2 "an invalid pipeline runs nothing" "$DUCKFLOW" run bad.yaml
expect_match "error names file:line" '^duckflow: bad\.yaml:[0-9]+:[0-9]+: ' "$errout"
