#!/usr/bin/env bash
# t2000: `duckflow step` on a tiny pipeline against a local store: outputs land under the
# attempt folder, the manifest lists them with the right rows, bytes and sha256, params
# (with --param overrides) and the item are visible through getvariable, nothing goes to
# stdout, and each step sees exactly its upstream's committed files.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..38"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

mkdir -p sql
cat >pipeline.yaml <<'YAML'
name: tiny
params:
  chunks: 3
  label: hello
  factor: 2
defaults:
  memory_limit: 256MB
  threads: 1
steps:
  gen:
    foreach: {range: chunks}
    sql: sql/gen.sql
    outputs: [nums]
  sum:
    foreach: {each: gen}
    inputs:
      n: gen.nums
    sql: |
      CREATE TABLE s AS
        SELECT getvariable('item_index') AS idx, count(*) AS c, sum(x) AS total,
               min(item) AS item FROM n;
    outputs: [s]
  again:
    foreach: {each: sum}
    inputs:
      n: gen.nums
      s: sum.s
    sql: CREATE TABLE a AS SELECT (SELECT count(*) FROM n) AS n, (SELECT count(*) FROM s) AS s, (SELECT min(item) FROM n) AS item
    outputs: [a]
    checks:
      - name: each over each narrows both inputs
        sql: SELECT * FROM a WHERE n <> 10 OR s <> 1 OR item <> getvariable('item_index')
  merge:
    inputs:
      s: sum.s
      n: gen.nums
    sql: CREATE TABLE m AS SELECT sum(c) AS c, sum(total) AS total, (SELECT count(*) FROM n) AS n FROM s
    outputs: [m]
    checks:
      - name: sum sees only its own chunk
        sql: SELECT * FROM s WHERE c <> 10 OR item <> idx
      - name: fan-in sees every chunk
        sql: SELECT * FROM m WHERE c <> 30 OR n <> 30 OR total <> 435 * getvariable('factor') / 2
YAML
cat >sql/gen.sql <<'SQL'
-- ten numbers per chunk, tagged with the params and the item
CREATE TABLE nums AS
  SELECT range * getvariable('factor') / 2 AS x, getvariable('label') AS label,
         getvariable('item') AS item
  FROM range(getvariable('item') * 10, getvariable('item') * 10 + 10);
SQL

for i in 0 1 2; do
    expect_ok "gen item $i commits" "$DUCKFLOW" step pipeline.yaml --run r1 --step gen --item $i
done
check "step prints nothing on stdout" test ! -s "$out"

M="$S/tiny/runs/r1/gen/00001/_manifest.json"
check "manifest of gen item 1 exists" test -f "$M"
att=$(jget "$M" m.attempt_dir)
check "attempt folder is <n>-<4 hex>" bash -c "[[ '$att' =~ ^1-[0-9a-f]{4}$ ]]"
f="$S/tiny/runs/r1/gen/00001/$(jget "$M" 'm.tables.nums.files[0].path')"
check "output file is under the attempt folder" test -f "$S/tiny/runs/r1/gen/00001/$att/nums/part-00000.parquet"
check "manifest path names that file" test "$f" -ef "$S/tiny/runs/r1/gen/00001/$att/nums/part-00000.parquet"
check "the manifest was written after the output" \
    node -e 'const fs = require("fs"); process.exit(fs.statSync(process.argv[1]).mtimeMs >= fs.statSync(process.argv[2]).mtimeMs ? 0 : 1)' "$M" "$f"
sha=$(sha256sum "$f" | cut -d' ' -f1)
check "manifest sha256 matches sha256sum" test "$sha" = "$(jget "$M" 'm.tables.nums.files[0].sha256')"
check "manifest bytes match the file size" test "$(stat -c %s "$f")" = "$(jget "$M" 'm.tables.nums.files[0].bytes')"
check "manifest rows" test "$(jget "$M" 'm.tables.nums.rows')" = 10
check "manifest table bytes" test "$(stat -c %s "$f")" = "$(jget "$M" 'm.tables.nums.bytes')"
check "manifest schema" test "$(jget "$M" 'm.tables.nums.schema.map(c => c.name + ":" + c.type).join(",")')" = "x:DOUBLE,label:VARCHAR,item:BIGINT"
check "manifest fields" test "$(jget "$M" '[m.format, m.pipeline, m.run, m.step, m.item_index, m.item_key, m.item, m.attempt, m.exit_class, m.threads, m.memory_limit].join(",")')" = "1,tiny,r1,gen,1,00001,1,1,ok,1,256000000"
check "cache key is a sha256" bash -c "[[ '$(jget "$M" m.cache_key)' =~ ^[0-9a-f]{64}$ ]]"
check "timings and peak rss recorded" test "$(jget "$M" 'm.timings_ms.total >= m.timings_ms.sql && m.peak_rss_bytes > 0')" = true

for i in 0 1 2; do
    expect_ok "sum item $i commits" "$DUCKFLOW" step pipeline.yaml --run r1 --step sum --item $i
done
expect_ok "each over each: item 2 sees only chunk 2 of both" "$DUCKFLOW" step pipeline.yaml --run r1 --step again --item 2
expect_ok "merge (fan-in, checks) commits" "$DUCKFLOW" step pipeline.yaml --run r1 --step merge
MM="$S/tiny/runs/r1/merge/00000/_manifest.json"
check "merge records 3 files per input" test "$(jget "$MM" 'm.inputs.map(i => i.name + "=" + i.files.length).join(",")')" = "s=3,n=3"
check "input records carry upstream checksums" test "$(jget "$MM" 'm.inputs[1].files[1].sha256')" = "$sha"

# --param overrides reach SQL: factor 4 doubles every x, so the fan-in check must fail...
for i in 0 1 2; do
    expect_ok "gen item $i with factor 4" "$DUCKFLOW" step pipeline.yaml --run r2 --step gen --item $i --param factor=4
done
check "param override changes the data" test "$(jget "$S/tiny/runs/r2/gen/00001/_manifest.json" m.cache_key)" != "$(jget "$M" m.cache_key)"
for i in 0 1 2; do
    expect_ok "sum item $i (run r2)" "$DUCKFLOW" step pipeline.yaml --run r2 --step sum --item $i
done
# ...unless merge is given the same factor.
expect_code 1 "merge without the override fails its check" "$DUCKFLOW" step pipeline.yaml --run r2 --step merge
expect_match "the failed check is named" "check 'fan-in sees every chunk' failed" "$errout"
expect_ok "merge with the override commits" "$DUCKFLOW" step pipeline.yaml --run r2 --step merge --param factor=4 --attempt 2
check "attempt number recorded" test "$(jget "$S/tiny/runs/r2/merge/00000/_manifest.json" 'm.attempt + ":" + m.attempt_dir.split("-")[0]')" = "2:2"

expect_code 20 "a fan-in before every upstream task committed fails (upstream_failed)" "$DUCKFLOW" step pipeline.yaml --run r3 --step merge
expect_match "it says what is missing" "step 'sum' has committed 0 of its 3 tasks" "$errout"
check "and leaves no manifest" test ! -e "$S/tiny/runs/r3/merge/00000/_manifest.json"
