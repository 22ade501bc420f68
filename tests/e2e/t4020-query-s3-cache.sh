#!/usr/bin/env bash
# t4020: `duckflow query` over an S3 store (the loopback test server): the files of the
# tables the SQL names are downloaded into $DUCKFLOW_CACHE/<hash of the store URI>/<key>,
# read from there, kept for the next query (fewer GETs), and fetched again when a cached
# file has the wrong size; tables the SQL does not name are not downloaded and say so if
# read; the results equal the same query over a local run.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..19"
s3_setup
P="$DUCKFLOW_TOP/examples/tpch/pipeline.yaml"
S3="s3://$S3_TEST_BUCKET/t4020"
export DUCKFLOW_CACHE="$SCRATCH/cache"

expect_ok "run on s3" "$DUCKFLOW" run "$P" --store "$S3" --param chunks=2 --param rows=2000 -j 2
expect_ok "run on a local store" "$DUCKFLOW" run "$P" --store "$SCRATCH/local" --param chunks=2 --param rows=2000 -j 2
q='SELECT * FROM merge.totals ORDER BY ALL'

s3_reset
expect_ok "query over s3" "$DUCKFLOW" query --store "$S3" --format csv "$q"
cp "$out" s3.csv
first=$(s3_op_count GetObject)
expect_ok "the same query locally" "$DUCKFLOW" query --store "$SCRATCH/local" --format csv "$q"
cp "$out" local.csv
check "s3 and local agree" cmp s3.csv local.csv
check "only merge.totals was downloaded" test "$(find "$DUCKFLOW_CACHE" -name '*.parquet' | wc -l)" -eq 1
check "it is the totals file" test -n "$(find "$DUCKFLOW_CACHE" -path '*/merge/*/totals/*.parquet')"
expect_ok "files are read from the cache" "$DUCKFLOW" query --store "$S3" --format csv \
    "SELECT count(*) FILTER (WHERE path LIKE '$DUCKFLOW_CACHE/%/tpch/runs/%'), count(*) FROM _run.files"
expect_match "every file from the cache" '^([0-9]+),\1$' "$out"

s3_reset
expect_ok "query again" "$DUCKFLOW" query --store "$S3" --format csv "$q"
second=$(s3_op_count GetObject)
check "no parquet downloaded the second time ($second < $first GETs)" test "$second" -lt "$first"

f=$(find "$DUCKFLOW_CACHE" -path '*merge*totals*' -name '*.parquet' | head -n 1)
echo "truncated" >"$f"
expect_ok "a cached file of the wrong size is fetched again" "$DUCKFLOW" query --store "$S3" --format csv "$q"
cp "$out" again.csv
check "same result after the repair" cmp s3.csv again.csv

expect_ok "naming another table downloads it" "$DUCKFLOW" query --store "$S3" --format csv \
    'SELECT count(*) FROM "Generate" . LINEITEM'
check "2 chunks of lineitem more in the cache" test "$(find "$DUCKFLOW_CACHE" -name '*.parquet' | wc -l)" -eq 3
expect_code 1 "a table reached without its name fails clearly" "$DUCKFLOW" query --store "$S3" \
    "SELECT count(*) FROM query_table('summary.' || 'orders_summary')"
expect_match "the message names the table" "table 'summary.orders_summary' of a remote store is downloaded only when the SQL names it" "$errout"
expect_ok "its columns are known without downloading" "$DUCKFLOW" query --store "$S3" --format csv \
    "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'summary' AND table_name = 'orders_summary'"
expect_match "four columns" '^4$' "$out"
