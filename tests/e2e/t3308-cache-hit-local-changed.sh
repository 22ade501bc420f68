#!/usr/bin/env bash
# t3308: a cache hit on a local store is not taken when a file of the task it names was
# modified after its manifest was written (same size, another mtime): a task reading the
# file refuses it (docs/store.md, "What is verified"), so reusing the task would fail
# every run downstream of it until someone passed --rerun. The task runs again instead,
# with a warning naming the file, and the step after it succeeds.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..7"

cat >p.yaml <<'YAML'
name: hit
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT range + 1000 * getvariable('item') AS i FROM range(1000)
    outputs: [t]
  agg:
    inputs: {t: gen.t}
    sql: sql/agg.sql
    outputs: [a]
YAML
mkdir -p sql
echo 'CREATE TABLE a AS SELECT count(*) AS n FROM t' >sql/agg.sql
expect_ok "a run" "$DUCKFLOW" run p.yaml
F=$(find .duckflow/hit/runs -path '*/gen/00000/*' -name 'part-*.parquet')
check "gen[0] wrote one file" test -f "$F"
# Rewritten in place: the same bytes, so the same size, and a new mtime.
cp "$F" copy.parquet && sleep 0.01 && cat copy.parquet >"$F"
echo 'CREATE TABLE a AS SELECT count(*) AS n, sum(i) AS s FROM t' >sql/agg.sql
expect_ok "the next run succeeds" "$DUCKFLOW" run p.yaml
expect_match "warning that the hit's file was modified" \
    "warning: cache entry '.*' names '.*/gen/00000/.*part-00000\.parquet', which was modified after its manifest was written: running the task" "$errout"
expect_match "gen[0] ran again, gen[1] was reused" '^gen +2/2 .*ok \(1 reused\)' "$errout"
expect_ok "query the run" "$DUCKFLOW" query --format csv 'SELECT n, s FROM agg.a'
expect_match "every row, once" '^2000,1999000$' "$out"
