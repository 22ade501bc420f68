#!/usr/bin/env bash
# t1040: `duckflow items` for dynamic steps after a run: the list printed is the one the
# run stored in <run>/<step>/_items.json; when that file is missing, items computes the
# list from the committed outputs and stores it, so a second call reads the same bytes.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..13"

cat >pipeline.yaml <<'YAML'
name: dyn
params:
  n: 3
steps:
  gen:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS k, range AS v FROM range(5)
    outputs: [t]
  per_file:
    foreach: {files: gen.t, per_task: 2}
    inputs: {t: gen.t}
    sql: CREATE TABLE c AS SELECT count(*) AS n FROM t
    outputs: [c]
  per_row:
    inputs: {t: gen.t}
    foreach: {rows: SELECT DISTINCT k FROM t ORDER BY k}
    sql: CREATE TABLE r AS SELECT getvariable('item') AS k
    outputs: [r]
YAML
S="$SCRATCH/st"

expect_ok "the run succeeds" "$DUCKFLOW" run pipeline.yaml --store "$S"
run=$(ls "$S/dyn/runs" | head -n 1)
check "one run" test -n "$run"
R="$S/dyn/runs/$run"

expect_ok "items of a rows step" "$DUCKFLOW" items pipeline.yaml --run "$run" --step per_row --store "$S"
check "one item per distinct row" test "$(cat "$out")" = '[0,1,2]'
check "the run stored that list" test "$(cat "$R/per_row/_items.json")" = '[0,1,2]'

expect_ok "items of a files step" "$DUCKFLOW" items pipeline.yaml --run "$run" --step per_file --store "$S"
cp "$out" files.json
check "is the stored list" test "$(cat files.json)" = "$(cat "$R/per_file/_items.json")"
check "two groups of at most two files, in name order" node -e '
const items = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (items.length !== 2 || items[0].files.length !== 2 || items[1].files.length !== 1) throw new Error("groups");
const all = items.flatMap(i => i.files);
if (all.join() !== [...all].sort().join()) throw new Error("order");
if (!all.every(f => /\/gen\/0000[0-2]\/.*\.parquet$/.test(f))) throw new Error("names " + all);
' files.json

# Without the stored list, items computes it from the committed outputs and stores it.
rm "$R/per_row/_items.json"
expect_ok "items recomputes a missing list" "$DUCKFLOW" items pipeline.yaml --run "$run" --step per_row --store "$S"
check "the same items" test "$(cat "$out")" = '[0,1,2]'
check "and stores them again" test "$(cat "$R/per_row/_items.json")" = '[0,1,2]'

expect_code 1 "a run whose sources never committed" "$DUCKFLOW" items pipeline.yaml --run nosuchrun --step per_row --store "$S"
check "stores no list for it" test ! -e "$S/dyn/runs/nosuchrun/per_row/_items.json"
