#!/usr/bin/env bash
# t4003: `duckflow report`: text tables and a self-contained HTML page from a run's
# manifests; unknown runs; --help.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..30"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"
mkdir -p "$S/p/runs/r1/gen/00000" "$S/p/runs/r1/gen/00001" "$S/p/runs/r1/merge/00000"
echo '{"status":"succeeded","started_at":"2026-11-27T10:00:00.000Z"}' >"$S/p/runs/r1/run.json"
task() { # STEP INDEX ATTEMPT START END ROWS PEAK
    cat >"$S/p/runs/r1/$1/0000$2/_manifest.json" <<EOF
{"format":1,"pipeline":"p","run":"r1","step":"$1","item_index":$2,"item_key":"0000$2",
 "attempt":$3,"attempt_dir":"$3-abcd","exit_class":"ok","started_at":"$4","finished_at":"$5",
 "timings_ms":{"start":2,"inputs":1,"sql":1200,"checks":0,"write":300,"total":1600},
 "peak_rss_bytes":$7,"memory_limit":1073741824,"threads":1,"spilled_bytes":0,
 "tables":{"t<x>":{"rows":$6,"bytes":2048,"schema":[],"files":[]}}}
EOF
}
task gen 0 1 2026-11-27T10:00:00.000Z 2026-11-27T10:00:01.600Z 1000 104857600
task gen 1 2 2026-11-27T10:00:00.500Z 2026-11-27T10:00:02.100Z 1500 209715200
task merge 0 1 2026-11-27T10:00:02.200Z 2026-11-27T10:00:03.800Z 4 52428800

expect_ok "text report of the latest run" "$DUCKFLOW" report
expect_match "headline" '^pipeline p, run r1: succeeded, 3\.80s' "$out"
expect_match "step summary: tasks, retried, rows" '^ gen +\| +2 \| +1 \| +2500 \|' "$out"
expect_match "max peak RSS per step" '^ gen .*209\.7 MB' "$out"
expect_match "a task row" '^ gen +\| 1 +\| +2 \| ok +\| +\+0\.500s \| +1\.60s \| +1\.20s \| +0\.30s \| +1500 \|' "$out"
expect_match "merge task (unfanned: no item)" '^ merge +\| - ' "$out"
expect_ok "report RUN" "$DUCKFLOW" report r1
expect_ok "html report" "$DUCKFLOW" report r1 --html "$SCRATCH/r.html"
check "html written" test -s "$SCRATCH/r.html"
expect_match "a page" '^<!DOCTYPE html>' "$SCRATCH/r.html"
expect_match "inline css" '<style>' "$SCRATCH/r.html"
expect_match "a bar per task" 'class="att ok" style="left:13\.16%;width:42\.11%"' "$SCRATCH/r.html"
expect_match "tasks named by step and item" '<td>gen\[1\]</td>' "$SCRATCH/r.html"
check "self-contained: no links out" bash -c "! grep -Eiq 'https?://|<script|<link|src=' '$SCRATCH/r.html'"
expect_ok "html to stdout" "$DUCKFLOW" report --html -
expect_match "page on stdout" '</html>' "$out"
expect_code 3 "unknown run" "$DUCKFLOW" report r9
expect_match "names it" "run 'r9' not found" "$errout"
expect_code 2 "two runs" "$DUCKFLOW" report r1 r2
expect_ok "--help" "$DUCKFLOW" report --help
expect_match "usage" '^usage: duckflow report' "$out"

# A run with a failed task: the report lists the tasks that have no manifest, from run.json.
cat >fails.yaml <<'EOF'
name: fails
defaults: {retries: 0}
steps:
  a:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT CASE WHEN getvariable('item') = 1 THEN error('boom <b>') ELSE 1 END AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS FROM t;
    outputs: [u]
EOF
expect_code 1 "a failing run" "$DUCKFLOW" run fails.yaml --store "$SCRATCH/f" -j 1
expect_ok "report of a failed run" "$DUCKFLOW" report --store "$SCRATCH/f"
expect_match "headline says failed" '^pipeline fails, run .*: failed' "$out"
expect_match "the committed task, by label" '^ a +\| 0 +\| +1 \| ok ' "$out"
expect_match "the failed task and its error" '^ a +\| 1 +\| failed .*\| sql_error .*boom <b>' "$out"
expect_match "the task not run" '^ b +\| - +\| upstream_failed ' "$out"
expect_ok "html report of a failed run" "$DUCKFLOW" report --store "$SCRATCH/f" --html "$SCRATCH/f.html"
expect_match "failed tasks in the page, escaped" '<td>sql_error</td>' "$SCRATCH/f.html"
expect_match "error text escaped" 'boom &lt;b&gt;' "$SCRATCH/f.html"
