#!/usr/bin/env bash
# t7230: the image's build steps without Docker. scripts/fetch-duckdb.sh picks the DuckDB
# package for the architecture (x86_64, aarch64; others refused); the Dockerfile fetches
# DuckDB in a layer before the sources and runs scripts/image-build.sh, which this test
# runs into a scratch prefix (with the suite's build folder, so only the install step
# runs); the installed program finds its libduckdb through its rpath and, as the image's
# smoke step, runs a pipeline against the S3 test server (libcurl loaded on first use).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
source "$DUCKFLOW_TOP/tests/support/s3/start.sh"
echo "1..12"
fetch="$DUCKFLOW_TOP/scripts/fetch-duckdb.sh"
DUCKDB_ARCH=x86_64 "$fetch" --print >x64.txt 2>&1
check "x86_64 fetches the linux-x64 bindings" grep -q '^@duckdb/node-bindings-linux-x64@1\.4\.4' x64.txt
DUCKDB_ARCH=aarch64 "$fetch" --print >arm.txt 2>&1
check "aarch64 fetches the linux-arm64 bindings" grep -q '^@duckdb/node-bindings-linux-arm64@1\.4\.4' arm.txt
expect_code 2 "another architecture is refused" env DUCKDB_ARCH=s390x "$fetch" --print
expect_match "naming it" "architecture 's390x'" "$errout"

df="$DUCKFLOW_TOP/Dockerfile"
check "the Dockerfile fetches DuckDB before it copies the sources" awk '
    /^RUN scripts\/fetch-duckdb.sh/ && !f { f = NR }
    /^COPY \. \./ && !c { c = NR }
    END { exit !(f && c && f < c) }' "$df"
check "and builds with scripts/image-build.sh" grep -q '^RUN .*scripts/image-build.sh /usr/local' "$df"

build=$(cd "$(dirname "$DUCKFLOW")" && pwd)
expect_ok "image-build.sh installs into a prefix" env BUILD="$build" \
    DUCKDB_HOME="$DUCKFLOW_TOP/deps/duckdb" "$DUCKFLOW_TOP/scripts/image-build.sh" "$SCRATCH/prefix"
bin="$SCRATCH/prefix/bin/duckflow"
check "the program and libduckdb are installed" test -x "$bin" -a -f "$SCRATCH/prefix/lib/duckflow/libduckdb.so"
check "libduckdb is found through the rpath" bash -c \
    "env -u LD_LIBRARY_PATH ldd '$bin' | grep -q 'libduckdb.so => $SCRATCH/prefix/bin/../lib/duckflow/libduckdb.so'"

mkdir -p p
cat >p/pipeline.yaml <<'YAML'
name: smoke
steps:
  one:
    sql: CREATE TABLE t AS SELECT range AS x FROM range(10)
    outputs: [t]
YAML
expect_ok "the installed program runs a pipeline on the S3 test server" \
    env -u LD_LIBRARY_PATH "$bin" run p/pipeline.yaml --store "s3://$S3_TEST_BUCKET/t7230"
expect_ok "and reads it back" env -u LD_LIBRARY_PATH "$bin" query --store "s3://$S3_TEST_BUCKET/t7230" \
    --format csv "SELECT count(*) FROM one.t"
expect_match "10 rows" '^10$' "$out"
