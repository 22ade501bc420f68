#!/usr/bin/env bash
# t6202: an object-store input with a "**" glob (DuckDB's any number of folders) on the S3
# test server: the task reads every matching object, deep ones included, and its cache key
# covers them, so an object rewritten two folders down (same size, new ETag) makes the
# task run again instead of reusing stale rows (issue 10 item 1). The lookup is one GET of
# <pipeline>/cache/<key>.json per task, and the entry is written after the manifest
# (DUCKFLOW_DEBUG=1 logs every request).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..11"
s3_setup t6202
B=$S3_TEST_BUCKET

cat >p.yaml <<YAML
name: deepkeys
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  load:
    inputs:
      r: {uri: "s3://$B/ext/**/*.csv", format: csv, options: {header: true}}
    sql: CREATE TABLE l AS SELECT count(*) AS n, sum(w)::BIGINT AS w FROM r;
    outputs: [l]
YAML
result() { "$DUCKFLOW" query --run "$1" --format csv "SELECT n, w FROM load.l" 2>q.err | tail -n 1; }
reused() { "$DUCKFLOW" query --run "$1" --format csv "SELECT coalesce(reused_from_run, '-') FROM _run.tasks" 2>q.err | tail -n 1; }

printf 'w\n1\n' >top.csv
printf 'w\n2\n' >deep.csv
sdk put ext/top.csv top.csv >/dev/null
sdk put ext/a/b/deep.csv deep.csv >/dev/null
sdk put ext/a/b/skip.txt deep.csv >/dev/null
expect_ok "first run" env DUCKFLOW_DEBUG=1 "$DUCKFLOW" run p.yaml
R1=$(tail -n 1 "$out")
grep 'duckflow: s3: ' "$errout" | grep -E '/cache/|/_manifest.json' >req.log
check "one GET of the cache entry, by its key" \
    test "$(grep -cE "GET [^ ]+ t6202/deepkeys/cache/[0-9a-f]{64}\.json -> 404" req.log)" -eq 1
check "no other read of the cache" test "$(grep -c 'GET .*/cache/' req.log)" -eq 1
check "the entry is written after the manifest commit" bash -c \
    "grep -nE 'PUT .*/runs/$R1/load/00000/_manifest.json -> 200' req.log | cut -d: -f1 >m.n &&
     grep -nE 'PUT .*/cache/[0-9a-f]{64}\.json -> 200' req.log | cut -d: -f1 >e.n &&
     test -s m.n -a -s e.n && test \$(cat m.n) -lt \$(cat e.n)"
check "it read the top object and the one two folders down, not the .txt" test "$(result "$R1")" = "2,3"
expect_ok "the same objects again" "$DUCKFLOW" run p.yaml
R2=$(tail -n 1 "$out")
check "a hit" test "$(reused "$R2")" = "$R1"
printf 'w\n7\n' >deep2.csv
check "same size" test "$(stat -c %s deep.csv)" = "$(stat -c %s deep2.csv)"
sdk put ext/a/b/deep.csv deep2.csv >/dev/null
expect_ok "after the deep object changed" "$DUCKFLOW" run p.yaml
R3=$(tail -n 1 "$out")
check "the task ran again" test "$(reused "$R3")" = "-"
check "on the new rows" test "$(result "$R3")" = "2,8"
