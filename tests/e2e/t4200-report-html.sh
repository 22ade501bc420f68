#!/usr/bin/env bash
# t4200: the HTML report leads with what failed (grouped, with the commands to see logs
# and to resume), shows every attempt on the timeline in its own colour with a legend and
# the DAG as inline SVG, names tasks by label, and has accessibility basics (table
# headers with scope, text beside colour). Headless Chromium (Debian's, installed by
# scripts/setup.sh) renders it: it loads without errors and shows one bar per attempt.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"

cat >p.yaml <<'YAML'
name: report-html
params:
  regions: [eu, us]
  slow: true
defaults: {threads: 1, memory_limit: 100MB}
steps:
  a:
    foreach: {values: regions}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS r;
    outputs: [t]
  slow:
    retries: 1
    timeout: 1s
    sql: |
      CREATE TABLE s AS SELECT count(*) AS n FROM range(CASE WHEN getvariable('slow') THEN 10000000000 ELSE 10 END);
    outputs: [s]
  b:
    inputs: {t: a.t, s: slow.s}
    sql: CREATE TABLE u AS SELECT count(*) AS n FROM t;
    outputs: [u]
YAML

expect_code 1 "a run with a retried and failed task" "$DUCKFLOW" run p.yaml -j 2
RUN=$(cat "$out")
expect_ok "report --html" "$DUCKFLOW" report "$RUN" --html r.html
R="$DUCKFLOW_STORE/report-html/runs/$RUN/run.json"
ATT=$(jget "$R" 'm.attempts.length')
check "run.json keeps every attempt (2 of a, 2 of slow)" test "$ATT" -eq 4
check "the page leads with what failed" \
    bash -c "grep -o '<h2[^>]*>[^<]*' r.html | head -n 1 | grep -q 'What failed'"
check "the resume command" grep -qF "duckflow run $SCRATCH/p.yaml --resume $RUN" r.html
check "the logs command, by label" grep -qF "duckflow logs $RUN slow" r.html
check "one bar per attempt in the HTML" test "$(grep -o 'class="att ' r.html | wc -l)" -eq "$ATT"
check "a retried attempt and a failed one, in their colours" \
    bash -c "grep -q 'class=\"att retried\"' r.html && grep -q 'class=\"att failed\"' r.html"
check "a legend names the colours" grep -qE 'class="sw retried"></span>failed, retried' r.html
check "colour is not the only signal: each bar says what it was" grep -qF '<span class="sr">attempt 2 failed</span>' r.html
check "the DAG as inline SVG" bash -c "grep -q '<svg' r.html && grep -q '>upstream_failed</text>' r.html"
check "tasks by label" grep -qF '<td>a[eu]</td>' r.html
check "table headers have a scope" bash -c "grep -q '<th scope=\"col\">' r.html && ! grep -q '<th>' r.html"
check "no scripts, no external resources" bash -c "! grep -qiE '<script|src=|href=\"http|url\\(http' r.html"

# Rendered as a person's browser would.
profile=$(mktemp -d)
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --dump-dom "file://$SCRATCH/r.html" >dom.html 2>chrome.err
check "chromium rendered the page" grep -q '</html>' dom.html
check "one bar per attempt in the rendered page" test "$(grep -o 'class="att ' dom.html | wc -l)" -eq "$ATT"
check "no page errors (console, loads, security)" \
    bash -c "! grep -E 'CONSOLE|Uncaught|ERR_|Refused|Not allowed to load' chrome.err"
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1200,900 --screenshot="$SCRATCH/shot.png" \
    "file://$SCRATCH/r.html" >/dev/null 2>&1
check "a screenshot" test -s shot.png
rm -rf "$profile"
