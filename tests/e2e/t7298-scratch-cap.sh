#!/usr/bin/env bash
# t7298: a step's `scratch: SIZE` (and $DUCKFLOW_SCRATCH_SIZE, what an Argo pod passes)
# caps what a task puts in its scratch folder: DuckDB's spill and the inputs it stages from
# an object store share the size, and going past it fails classed spill_full (exit 15)
# before anything is written past the cap, as the kubelet would otherwise evict the pod.
# - Local store: a sort that spills fails spill_full with `scratch: 1MiB`, commits without.
# - The same through DUCKFLOW_SCRATCH_SIZE alone.
# - S3 store: an input bigger than the scratch size fails spill_full before its download
#   (no GET of its file), naming the input and the sizes; an s3:// external input is
#   refused after its download and removed; with room, the spill budget DuckDB gets is the
#   scratch size less the staged bytes (less the usual margin).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"

cat >pipeline.yaml <<'YAML'
name: cap
defaults:
  memory_limit: 64MB
steps:
  sort:
    sql: |
      CREATE TABLE sorted AS
        SELECT range AS i, md5(range::VARCHAR) AS s FROM range(1000000) ORDER BY s;
    outputs: [sorted]
  sortcap:
    scratch: 1MiB
    sql: |
      CREATE TABLE sorted AS
        SELECT range AS i, md5(range::VARCHAR) AS s FROM range(1000000) ORDER BY s;
    outputs: [sorted]
YAML
S=$DUCKFLOW_STORE
expect_code 15 "a spilling task past its scratch: 1MiB fails spill_full (exit 15)" \
    "$DUCKFLOW" step pipeline.yaml --run r1 --step sortcap --threads 2
expect_match "saying the spill folder is full" "step 'sortcap' item 0: .*max_temp_directory_size" "$errout"
E=$(ls "$S"/cap/runs/r1/sortcap/00000/*/_error.json 2>/dev/null | head -n 1)
check "_error.json says spill_full" test "$(jget "$E" m.class)" = spill_full
check "and nothing is committed" test ! -e "$S/cap/runs/r1/sortcap/00000/_manifest.json"
expect_code 15 "DUCKFLOW_SCRATCH_SIZE (what the pod passes) caps it the same way" \
    env DUCKFLOW_SCRATCH_SIZE=1048576 "$DUCKFLOW" step pipeline.yaml --run r1 --step sort --threads 2
E=$(ls "$S"/cap/runs/r1/sort/00000/*/_error.json 2>/dev/null | head -n 1)
check "classed spill_full" test "$(jget "$E" m.class)" = spill_full
expect_ok "without the cap the same SQL spills and commits" \
    "$DUCKFLOW" step pipeline.yaml --run r2 --step sort --threads 2
check "having spilled" test "$(jget "$S/cap/runs/r2/sort/00000/_manifest.json" 'm.spilled_bytes > 0')" = true

# Staging on an S3 store.
s3_setup cap
head -c 1500000 /dev/urandom | od -An -tx1 | tr -d ' ' >big.csv # ~3 MB of hex lines
sed -i '1i h' big.csv
check "upload an external input of 3 MB" sdk put ext/big.csv big.csv
cat >s3.yaml <<YAML
name: s3cap
steps:
  big:
    sql: CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) || md5((range * 7)::VARCHAR) AS s FROM range(60000)
    outputs: [t]
  tiny:
    scratch: 1MiB
    inputs: {t: big.t}
    sql: CREATE TABLE m AS SELECT count(*) AS n FROM t
    outputs: [m]
  ext:
    scratch: 1MiB
    inputs: {e: {uri: "s3://$S3_TEST_BUCKET/ext/big.csv", format: csv}}
    sql: CREATE TABLE m AS SELECT count(*) AS n FROM e
    outputs: [m]
  probe:
    scratch: 400MiB
    inputs: {t: big.t}
    sql: CREATE TABLE m AS SELECT current_setting('max_temp_directory_size') AS v, (SELECT count(*) FROM t) AS n
    outputs: [m]
  probe0:
    scratch: 400MiB
    sql: CREATE TABLE m AS SELECT current_setting('max_temp_directory_size') AS v
    outputs: [m]
YAML
expect_ok "the upstream step writes a table of about 2 MB" "$DUCKFLOW" step s3.yaml --run s1 --step big
sdk get cap/s3cap/runs/s1/big/00000/_manifest.json big.json >/dev/null 2>&1
bytes=$(jget big.json m.tables.t.bytes)
check "bigger than 1 MiB" test "${bytes:-0}" -gt 1048576
expect_code 15 "an input bigger than the scratch size fails spill_full" \
    env DUCKFLOW_DEBUG=1 "$DUCKFLOW" step s3.yaml --run s1 --step tiny
expect_match "naming the input and the sizes" \
    "input 't': staging 1 file needs $bytes bytes of scratch, but 1048576 of its 1048576 are left" "$errout"
check "before downloading it (no GET of its Parquet file)" bash -c "! grep -E 'GET .*big/00000/.*\.parquet' '$errout'"
expect_code 15 "an s3:// external input past the scratch size fails spill_full too" \
    "$DUCKFLOW" step s3.yaml --run s1 --step ext
expect_match "naming it" "input 'e': staging 's3://$S3_TEST_BUCKET/ext/big.csv' needs [0-9]+ bytes of scratch" "$errout"
expect_ok "with room, staged inputs and spill share the scratch size" \
    "$DUCKFLOW" step s3.yaml --run s1 --step probe
"$DUCKFLOW" step s3.yaml --run s1 --step probe0 >/dev/null 2>&1
"$DUCKFLOW" query --run s1 --format csv "SELECT v FROM probe.m" >with.csv 2>/dev/null
"$DUCKFLOW" query --run s1 --format csv "SELECT v FROM probe0.m" >without.csv 2>/dev/null
# DuckDB prints the setting in MiB with one decimal: the difference is the staged file.
check "the spill budget is lower by the staged bytes" node -e '
    const fs = require("fs"), mib = (f) => parseFloat(fs.readFileSync(f, "utf8").split("\n")[1]);
    const a = mib("without.csv"), b = mib("with.csv"), d = a - b, want = Number(process.argv[1]) / 1048576;
    console.log(a, b, d, want);
    process.exit(a > 100 && Math.abs(d - want) < 0.3 ? 0 : 1);' "$bytes"
