#!/usr/bin/env bash
# t6403: on S3, gc reads a run's record and manifests from its _manifests.json
# (store/runindex.h): a gc --dry-run costs one ListObjects and one GET per run
# (_manifests.json) and cache entry, none per run.json or manifest; a task with a folder the file does not know (a rerun) is
# read from its own manifest, one GET more, and gc still judges it right.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"
s3_setup t6403

cat >p.yaml <<'YAML'
name: ix
params:
  v: 1
  n: 3
defaults:
  threads: 1
steps:
  a:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT CAST(getvariable('item') AS INTEGER) AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT sum(x) + getvariable('v') AS y FROM t;
    outputs: [u]
YAML
expect_ok "run 1" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
expect_ok "run 2" "$DUCKFLOW" run -q p.yaml --param v=2 --no-cache

sdk ls t6403/ix/ >keys.txt
manifests=$(grep -cE '/_manifest\.json ' keys.txt)
gets=$(grep -cE '/_manifests\.json |/cache/[^/]+\.json ' keys.txt)
check "each run has its _manifests.json ($(grep -c '/_manifests\.json ' keys.txt) for 2 runs, $manifests manifests)" \
    test "$(grep -c '/_manifests\.json ' keys.txt)" -eq 2 -a "$manifests" -ge 8
s3_reset
expect_ok "gc --dry-run" "$DUCKFLOW" gc --dry-run
check "one ListObjects request" test "$(s3_op_count ListObjects)" -eq 1
n=$(s3_op_count GetObject)
check "GETs: one per run (_manifests.json) and cache entry, no run.json or manifest ($n for $gets)" test "$n" -eq "$gets"

# A rerun of one of a's tasks in run 1 (a new attempt folder, its manifest rewritten to
# name it). Run 2 recomputed everything (--no-cache): the cache entries name run 2's files,
# so run 1's manifests alone say what stays.
A=$(sdk ls "t6403/ix/runs/$R1/a/" | sed -nE "s|^t6403/ix/runs/$R1/a/([^/]+)/([^/]+)/t/part-00000\.parquet .*|\1 \2|p" | head -n 1)
item=${A% *} att=${A#* }
sdk get "t6403/ix/runs/$R1/a/$item/_manifest.json" m.json
sdk get "t6403/ix/runs/$R1/a/$item/$att/t/part-00000.parquet" part.parquet
sed -i "s/$att/9-beef/g" m.json
sdk put "t6403/ix/runs/$R1/a/$item/9-beef/t/part-00000.parquet" part.parquet
sdk put "t6403/ix/runs/$R1/a/$item/_manifest.json" m.json
sdk ls t6403/ix/ >keys2.txt
check "a's rerun in run 1 (item $item: $att -> 9-beef)" grep -q "/a/$item/9-beef/t/part-00000.parquet " keys2.txt
gets2=$(grep -cE '/_manifests\.json |/cache/[^/]+\.json ' keys2.txt)
s3_reset
expect_ok "gc --dry-run after the rerun" "$DUCKFLOW" gc --dry-run
cp "$out" gc.out
n=$(s3_op_count GetObject)
check "one GET more: that task's manifest ($n for $gets2 + 1)" test "$n" -eq $((gets2 + 1))
check "the old attempt would go, not the new one" bash -c "grep -q 'ix/runs/$R1/a/$item/$att ' gc.out && ! grep -q '9-beef' gc.out"
