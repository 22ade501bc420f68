#!/usr/bin/env bash
# t6201: the cache on an S3 store (the loopback test server), issue 10 items 1 and 3:
#   - an object-store external input's key + size + ETag are in the task's key: the same
#     objects again is a hit; an object rewritten with the same size (new ETag) or a new
#     object matching the glob is a miss, and the result follows the new data;
#   - a cache hit's files are checked (one listing of the folder they are in): an earlier
#     run's file replaced by one of another size makes that task a miss, with a warning
#     naming the file, and the run is still right;
#   - edit one SQL file and run again: only that step runs, the rest is reused, and the
#     results equal a clean run's.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..24"
s3_setup t6201
B=$S3_TEST_BUCKET

mkdir -p sql
cat >p.yaml <<YAML
name: s3keys
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  load:
    inputs:
      r: {uri: "s3://$B/ext/regions-*.csv", format: csv, options: {header: true}}
    sql: CREATE TABLE l AS SELECT region, w FROM r;
    outputs:
      l: {order_by: [region]}
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE g AS SELECT range AS x FROM range(getvariable('item') * 10, getvariable('item') * 10 + 10);
    outputs:
      g: {order_by: [x]}
  total:
    inputs: {l: load.l, g: gen.g}
    sql: sql/total.sql
    outputs: [t]
YAML
echo "CREATE TABLE t AS SELECT (SELECT sum(w) FROM l)::BIGINT AS w, (SELECT sum(x) FROM g)::BIGINT AS x;" >sql/total.sql
total() { # RUN -> "w,x"
    "$DUCKFLOW" query --run "$1" --format csv "SELECT w, x FROM total.t" 2>q.err | tail -n 1
}
reused_of() { # RUN STEP -> the run each task of STEP was reused from ("-" when it ran), space separated
    "$DUCKFLOW" query --run "$1" --format csv \
        "SELECT string_agg(coalesce(reused_from_run, '-'), ' ' ORDER BY item_index) FROM _run.tasks WHERE step = '$2'" 2>q.err | tail -n 1
}

printf 'region,w\nEU,1\nUS,2\n' >r1.csv
sdk put ext/regions-1.csv r1.csv >/dev/null
expect_ok "first run" "$DUCKFLOW" run p.yaml
R1=$(tail -n 1 "$out")
check "its result" test "$(total "$R1")" = "3,190"
expect_ok "the same objects again" "$DUCKFLOW" run p.yaml
R2=$(tail -n 1 "$out")
check "load is a hit" test "$(reused_of "$R2" load)" = "$R1"
check "so is everything else" test "$(reused_of "$R2" gen) $(reused_of "$R2" total)" = "$R1 $R1 $R1"

# The object rewritten with the same size: only its ETag tells.
printf 'region,w\nEU,5\nUS,2\n' >r1b.csv
check "same size" test "$(stat -c %s r1.csv)" = "$(stat -c %s r1b.csv)"
sdk put ext/regions-1.csv r1b.csv >/dev/null
expect_ok "after the object changed (same size)" "$DUCKFLOW" run p.yaml
R3=$(tail -n 1 "$out")
check "load ran again" test "$(reused_of "$R3" load)" = "-"
check "gen did not" test "$(reused_of "$R3" gen)" = "$R1 $R1"
check "the result follows the new object" test "$(total "$R3")" = "7,190"
sdk get "t6201/s3keys/runs/$R1/load/00000/_manifest.json" m1.json >/dev/null 2>&1
sdk get "t6201/s3keys/runs/$R3/load/00000/_manifest.json" m3.json >/dev/null 2>&1
node -e '
    const fs = require("fs");
    const [a, b] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")).cache_parts);
    const diff = Object.keys(a).filter((k) => a[k] !== b[k]);
    process.exit(diff.join() === "inputs" ? 0 : 1);' m1.json m3.json
check "of the key's parts only 'inputs' changed" test $? -eq 0
expect_ok "unchanged again" "$DUCKFLOW" run p.yaml
R4=$(tail -n 1 "$out")
check "load is a hit again (from the run that read the new object)" test "$(reused_of "$R4" load)" = "$R3"

# A new object matching the glob.
printf 'region,w\nAPAC,10\n' >r2.csv
sdk put ext/regions-2.csv r2.csv >/dev/null
expect_ok "after a new object matched the glob" "$DUCKFLOW" run p.yaml
R5=$(tail -n 1 "$out")
check "load ran again, reading both objects" test "$(reused_of "$R5" load) $(total "$R5")" = "- 17,190"

# A hit's files are checked: the first run's gen[1] file replaced by a shorter one.
f=$(sdk ls "t6201/s3keys/runs/$R1/gen/00001/" | awk '/\.parquet /{print $1}' | head -n 1)
check "the first run's gen[1] file" test -n "$f"
printf 'PAR1 truncated' >short.bin
sdk put "$f" short.bin >/dev/null
expect_ok "a run after the damage" "$DUCKFLOW" run p.yaml
R6=$(tail -n 1 "$out")
expect_match "warns, naming the file" "cache entry '.*' names '${f#t6201/}', whose size differs from its manifest's: running the task" "$errout"
check "gen[0] reused, gen[1] ran" test "$(reused_of "$R6" gen)" = "$R1 -"
check "the result is still right" test "$(total "$R6")" = "17,190"

# Edit one SQL file: only that step runs; the results equal a clean run's.
echo "CREATE TABLE t AS SELECT (SELECT sum(w) FROM l)::BIGINT AS w, (SELECT sum(x) FROM g)::BIGINT AS x, 1 AS edited;" >sql/total.sql
expect_ok "after editing total.sql" "$DUCKFLOW" run p.yaml
R7=$(tail -n 1 "$out")
check "only total ran" test "$(reused_of "$R7" load) $(reused_of "$R7" gen) $(reused_of "$R7" total)" = "$R5 $R1 $R6 -"
expect_ok "a clean run" "$DUCKFLOW" run p.yaml --no-cache
CLEAN=$(tail -n 1 "$out")
"$DUCKFLOW" query --run "$R7" --format csv "SELECT * FROM total.t" >a.csv 2>q.err
"$DUCKFLOW" query --run "$CLEAN" --format csv "SELECT * FROM total.t" >b.csv 2>q.err
check "equal to the clean run's" cmp a.csv b.csv
