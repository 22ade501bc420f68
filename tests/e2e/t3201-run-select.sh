#!/usr/bin/env bash
# t3201: partial runs. --select merge+ runs merge and what is downstream of it, taking
# the steps upstream of it from the cache or, when the cache does not have them, from
# --from RUN; with neither, exit 2 before anything runs, naming the missing step and
# leaving nothing in the store. dbt's grammar (s, s+, +s, +s+, several, repeated),
# --exclude, and the bad inputs: an unknown step (closest name suggested), a token that
# does not parse, an unknown --from run.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..35"

cat >p.yaml <<'YAML'
name: select
defaults: {threads: 1, memory_limit: 256MB}
steps:
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE g AS SELECT range AS x FROM range(getvariable('item') * 10, getvariable('item') * 10 + 10);
    outputs:
      g: {order_by: [x]}
  side:
    sql: CREATE TABLE s AS SELECT 42 AS v;
    outputs: [s]
  merge:
    inputs: {g: gen.g}
    sql: CREATE TABLE m AS SELECT count(*) AS n, sum(x)::BIGINT AS total FROM g;
    outputs: [m]
  report:
    inputs: {m: merge.m}
    sql: CREATE TABLE r AS SELECT n * 2 AS n2 FROM m;
    outputs: [r]
YAML
S="$DUCKFLOW_STORE/select"

expect_ok "a full run" "$DUCKFLOW" run p.yaml -j 2
R1=$(cat "$out")

# Edit merge: --select merge+ runs merge and report; gen comes from the cache, side is not
# selected and not needed.
sed -i 's/sum(x)::BIGINT AS total/sum(x)::BIGINT AS total, 1 AS v/' p.yaml
expect_ok "--select merge+ (upstream from the cache)" "$DUCKFLOW" run p.yaml --select merge+ -j 2
R2=$(cat "$out")
cp "$errout" sel.err
expect_match "merge ran" '^ok +merge in ' sel.err
expect_match "report ran" '^ok +report in ' sel.err
check "gen did not run" bash -c "! grep -qE '^ok +gen' sel.err"
expect_match "gen reused" '^gen +2/2 .* ok \(reused\)' sel.err
expect_match "side not selected" '^side +.* not selected' sel.err
check "side has no task in the run" test ! -e "$S/runs/$R2/side"
expect_ok "the result" "$DUCKFLOW" query --run "$R2" --format csv "SELECT n, total, v FROM merge.m"
check "190 over 20 rows" test "$(tail -n 1 "$out")" = "20,190,1"

# Without the cache: --from RUN supplies gen; without --from, exit 2 and nothing stored.
rm -rf "$S/cache"
sed -i 's/AS total, 1 AS v/AS total, 2 AS v/' p.yaml
runs_before=$(ls "$S/runs" | wc -l)
expect_code 2 "--select merge+ with neither the cache nor --from" "$DUCKFLOW" run p.yaml --select merge+
expect_match "names the missing step" "step 'gen' \\(item 0\\) is not selected and the cache does not have its outputs" "$errout"
check "nothing left in the store" test "$(ls "$S/runs" | wc -l)" -eq "$runs_before"
check "no run id printed" test ! -s "$out"
expect_ok "--select merge+ --from R1" "$DUCKFLOW" run p.yaml --select merge+ --from "$R1" -j 2
R3=$(cat "$out")
cp "$errout" from.err
check "gen did not run" bash -c "! grep -qE '^ok +gen' from.err"
expect_ok "gen's files are R1's" "$DUCKFLOW" query --run "$R3" --format csv \
    "SELECT count(*) FILTER (reused_from_run = '$R1') FROM _run.tasks WHERE step = 'gen'"
check "both gen tasks" test "$(tail -n 1 "$out")" = 2
expect_ok "the result" "$DUCKFLOW" query --run "$R3" --format csv "SELECT n, total, v FROM merge.m"
check "from R1's gen" test "$(tail -n 1 "$out")" = "20,190,2"
expect_ok "a run of side alone" "$DUCKFLOW" run p.yaml --select side --no-cache
R4=$(cat "$out")
expect_code 2 "--from a run that lacks the step" "$DUCKFLOW" run p.yaml --select report --from "$R4" --no-cache
expect_match "names the step and the run" "step 'gen' \(item 0\) is not selected, and neither the cache nor run '$R4' has its outputs" "$errout"

# The grammar.
expect_ok "+merge: merge and its upstream" "$DUCKFLOW" run p.yaml --select +merge --no-cache -j 2
cp "$errout" g1.err
check "gen and merge ran, report did not" bash -c \
    "grep -qE '^ok +gen' g1.err && grep -qE '^ok +merge' g1.err && ! grep -qE '^ok +report' g1.err"
expect_ok "several tokens, one value" "$DUCKFLOW" run p.yaml --select 'side report' --rerun side --rerun report -j 2
cp "$errout" g2.err
check "side and report ran, merge came from the cache" bash -c \
    "grep -qE '^ok +side' g2.err && grep -qE '^ok +report' g2.err && ! grep -qE '^ok +merge in' g2.err"
expect_ok "repeated --select and --exclude" "$DUCKFLOW" run p.yaml --select side --select +report --exclude report --no-cache -j 2
cp "$errout" g3.err
check "everything but report ran" bash -c \
    "grep -qE '^ok +side' g3.err && grep -qE '^ok +merge' g3.err && ! grep -qE '^ok +report' g3.err"

expect_code 2 "an unknown step" "$DUCKFLOW" run p.yaml --select mrege+
expect_match "suggests the closest" "--select: no step 'mrege' in pipeline 'select' \\(did you mean 'merge'\\?\\)" "$errout"
expect_code 2 "a token that does not parse" "$DUCKFLOW" run p.yaml --select '++merge'
expect_match "names the token" "--select: cannot parse '\\+\\+merge'" "$errout"
expect_code 2 "an unknown --from run" "$DUCKFLOW" run p.yaml --select merge --from nosuchrun
expect_match "says so" "--from: no run 'nosuchrun' of pipeline 'select'" "$errout"
