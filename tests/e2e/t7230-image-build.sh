#!/usr/bin/env bash
# t7230: the image's build steps without Docker. scripts/fetch-duckdb.sh picks the DuckDB
# package for the architecture (x86_64, aarch64; others refused); the Dockerfile fetches
# DuckDB in a layer before the sources, runs scripts/image-build.sh and, in the runtime
# stage, scripts/image-smoke.sh. This test runs image-build.sh in a CMake build folder of
# its own, never the suite's (which other tests run from while this one builds): by default
# $DUCKFLOW_BUILD/image-build, a separate tree kept between runs so that only what changed
# is compiled again (a build from nothing, even at -O0, can pass the runner's 300 s on a
# loaded machine); T7230_BUILD names another (an empty folder: a build from nothing). It
# installs into a scratch prefix; the installed program finds
# its libduckdb through its rpath and, as the smoke step, loads libcurl and runs a pipeline
# against the S3 test server over HTTPS, trusting the server's CA (made by openssl for this
# test) through AWS_CA_BUNDLE. Without the CA the same program refuses the server.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
S3_TEST_TLS=1 source "$DUCKFLOW_TOP/tests/support/s3/start.sh"
echo "1..17"
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
check "builds with scripts/image-build.sh" grep -q '^RUN .*scripts/image-build.sh /usr/local' "$df"
check "and smoke-tests the runtime stage with scripts/image-smoke.sh" awk '
    /^FROM / { stage++ }
    stage == 2 && /image-smoke\.sh \/usr\/local\/bin\/duckflow/ { ok = 1 }
    END { exit !ok }' "$df"

suite_build=$(cd "${DUCKFLOW_BUILD:-$(dirname "$DUCKFLOW")}" && pwd)
before=$(stat -c %Y "$suite_build/duckflow")
ib=${T7230_BUILD:-$suite_build/image-build}
check "the S3 test server speaks HTTPS with a CA of its own" bash -c \
    "case '$S3_TEST_ENDPOINT' in https://127.0.0.1:*) exit 0;; esac; exit 1"
expect_ok "image-build.sh builds in its own folder, installs and smoke-tests over TLS" env \
    BUILD="$ib" IMAGE_CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS=-O0" \
    DUCKDB_HOME="$DUCKFLOW_TOP/deps/duckdb" AWS_CA_BUNDLE="$S3_TEST_CA" \
    DUCKFLOW_SMOKE_STORE="s3://$S3_TEST_BUCKET/t7230" "$DUCKFLOW_TOP/scripts/image-build.sh" "$SCRATCH/prefix"
cp "$errout" build.err
check "the build folder is the test's own CMake tree" bash -c \
    "test -f '$ib/CMakeCache.txt' && grep -q '^CMAKE_CACHEFILE_DIR:INTERNAL=$ib\$' '$ib/CMakeCache.txt' && test '$ib' != '$suite_build'"
check "the suite's program was not rebuilt" test "$(stat -c %Y "$suite_build/duckflow")" = "$before"
expect_match "the smoke step loaded libcurl" '^image-smoke: libcurl loads' build.err
expect_match "and ran a pipeline on the HTTPS store with the test CA" \
    "^image-smoke: ran a pipeline on s3://$S3_TEST_BUCKET/t7230 \(CA bundle: $S3_TEST_CA\)" build.err
bin="$SCRATCH/prefix/bin/duckflow"
check "the program and libduckdb are installed" test -x "$bin" -a -f "$SCRATCH/prefix/lib/duckflow/libduckdb.so"
check "libduckdb is found through the rpath" bash -c \
    "env -u LD_LIBRARY_PATH ldd '$bin' | grep -q 'libduckdb.so => $SCRATCH/prefix/bin/../lib/duckflow/libduckdb.so'"

# The CA path is what let it in: without the bundle the server's certificate is refused.
expect_code 3 "without AWS_CA_BUNDLE the installed program refuses the server's certificate" \
    env -u LD_LIBRARY_PATH -u AWS_CA_BUNDLE -u SSL_CERT_FILE DUCKFLOW_S3_MAX_ATTEMPTS=1 \
    "$bin" query --store "s3://$S3_TEST_BUCKET/t7230" --format csv "SELECT count(*) FROM one.t"
expect_match "saying which variable names a CA" 'certificate.*AWS_CA_BUNDLE' "$errout"
