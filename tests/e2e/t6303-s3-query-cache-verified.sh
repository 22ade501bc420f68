#!/usr/bin/env bash
# t6303: `duckflow query` over an S3 store reuses a file already in its cache only when
# the file hashes to the manifest's SHA-256, not merely when its size is right. A cached
# file replaced by another chunk's file of the same size (a valid Parquet file: the wrong
# answer would be silent), or damaged in place, is fetched again; the answer is the
# store's, and the cache holds the right bytes afterwards. A clean cache is not fetched.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..12"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6303"
export DUCKFLOW_CACHE="$SCRATCH/cache"

# Two chunks whose files have the same size and other values.
cat >p.yaml <<'YAML'
name: cached
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  make:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') + 1 AS x FROM range(500);
    outputs: [t]
YAML
expect_ok "a run on s3" "$DUCKFLOW" run p.yaml --store "$S3"
q='SELECT sum(x) FROM make.t'
expect_ok "the first query fills the cache" "$DUCKFLOW" query --store "$S3" --format csv "$q"
cp "$out" want.csv
expect_match "500 * 1 + 500 * 2" '^1500$' want.csv
f0=$(find "$DUCKFLOW_CACHE" -path '*/make/00000/*' -name '*.parquet')
f1=$(find "$DUCKFLOW_CACHE" -path '*/make/00001/*' -name '*.parquet')
check "both chunks cached, of the same size" \
    test -n "$f0" -a -n "$f1" -a "$(stat -c %s "$f0" 2>/dev/null)" = "$(stat -c %s "$f1" 2>/dev/null)"

s3_reset
expect_ok "a query over a clean cache" "$DUCKFLOW" query --store "$S3" --format csv "$q"
clean=$(s3_op_count GetObject)

cp "$f1" "$f0"
s3_reset
expect_ok "chunk 0's cached file replaced by chunk 1's (same size)" "$DUCKFLOW" query --store "$S3" --format csv "$q"
cp "$out" got.csv
check "the answer is the store's, not the cache's 2000" cmp want.csv got.csv
check "the replaced file was fetched again: one GET more than a clean cache ($clean)" test "$(s3_op_count GetObject)" -eq $((clean + 1))
check "the cache holds chunk 0's bytes again" bash -c "! cmp -s '$f0' '$f1'"

# One byte flipped in the middle of the file: same size, damaged.
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xff; open(p, "wb").write(b)' "$f1"
s3_reset
expect_ok "a cached file damaged in place (same size)" "$DUCKFLOW" query --store "$S3" --format csv "$q"
cp "$out" got2.csv
check "the same answer" cmp want.csv got2.csv
check "fetched again ($clean + 1 GETs)" test "$(s3_op_count GetObject)" -eq $((clean + 1))
