#!/usr/bin/env bash
# t6307: `duckflow query`'s cache of an S3 store's files follows no symlink planted inside
# it (issue 12, point 3: nothing outside the cache root is created or read through it).
# A symlink where a run's folder of the cache would be (pointing outside) is refused with
# the folder named (exit 3) and nothing is written where it points; a symlink where a
# downloaded file would be, pointing at an outside copy of that very file, is not read:
# the file is downloaded again and the link replaced by it, the outside copy untouched.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6307"
export DUCKFLOW_CACHE="$SCRATCH/cache"
gen_use_pipeline qc 100
expect_ok "a run on S3" "$DUCKFLOW" run pipeline.yaml --store "$S3"
R=$(tail -n 1 "$out")
expect_ok "query fills the cache" "$DUCKFLOW" query --store "$S3" --format csv 'SELECT sum(k) FROM gen.t'
RUNDIR=$(find cache -type d -name "$R")
check "the cache holds the run's folder" test -d "$RUNDIR"

mkdir -p outside
rm -rf "$RUNDIR" && ln -s "$SCRATCH/outside" "$RUNDIR"
expect_code 3 "a symlink at the run's folder is refused" \
    "$DUCKFLOW" query --store "$S3" --format csv 'SELECT sum(k) FROM gen.t'
expect_match "naming it" "'.*/$R' in the query cache is not a folder \(a symlink or a file\); refused" "$errout"
check "nothing was written where it points" test -z "$(ls -A outside)"
rm "$RUNDIR"

expect_ok "query fills the cache again" "$DUCKFLOW" query --store "$S3" --format csv 'SELECT sum(k) FROM gen.t'
F=$(find cache -name 'part-*.parquet' | head -1)
cp "$F" outside/copy.parquet && touch -d '2000-01-01' outside/copy.parquet
rm "$F" && ln -s "$SCRATCH/outside/copy.parquet" "$F"
expect_ok "a symlink at a file: the query works" "$DUCKFLOW" query --store "$S3" --format csv 'SELECT sum(k) FROM gen.t'
check "the link was replaced by a downloaded file" test -f "$F" -a ! -L "$F"
check "the outside copy was not read (its access time is untouched)" \
    test "$(stat -c %X outside/copy.parquet)" = "$(date -d '2000-01-01' +%s)"
