#!/usr/bin/env bash
# image-build.sh - the build stage of the Dockerfile as a script, so that it runs (and is
# tested: tests/e2e/t7230-image-build.sh) where Docker is not available:
#   1. scripts/fetch-duckdb.sh (DuckDB for this architecture; DUCKDB_HOME skips it);
#   2. configure, build (target preinstall: relinked with the install rpath) and install
#      the program into PREFIX with CMake in the build folder BUILD (default /tmp/build;
#      created when missing), without the unit tests; the build
#      type is the Makefile's (RelWithDebInfo, -O2 -g, the one CI checks warning-free);
#      IMAGE_CMAKE_FLAGS adds CMake options after it (t7230 builds at -O0 to be quick).
#      scripts/setup.sh is not run: the Dockerfile installs the build's packages itself,
#      and the image needs none of the test tools setup.sh adds (Chromium, npm packages);
#   3. strip the program (when `strip` is there and DUCKFLOW_NO_STRIP is unset);
#   4. scripts/image-smoke.sh on the installed program: it runs with nothing on
#      LD_LIBRARY_PATH (libduckdb through its rpath), libcurl loads, and with
#      DUCKFLOW_SMOKE_STORE set a pipeline runs against that S3 store (AWS_CA_BUNDLE: the
#      CA path).
# A build folder of its own: a folder the test suite runs from is never rebuilt here.
# Usage: scripts/image-build.sh PREFIX     (the Dockerfile runs it with /usr/local)
set -euo pipefail
prefix=${1:?usage: image-build.sh PREFIX}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-/tmp/build}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cd "$top"
scripts/fetch-duckdb.sh
# shellcheck disable=SC2086 # IMAGE_CMAKE_FLAGS is a list of options
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDUCKFLOW_TESTS=OFF \
    ${IMAGE_CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "$jobs" --target preinstall >/dev/null
cmake --install "$build" --prefix "$prefix" >/dev/null
if [ -z "${DUCKFLOW_NO_STRIP:-}" ] && command -v strip >/dev/null; then
    strip "$prefix/bin/duckflow"
fi
"$top/scripts/image-smoke.sh" "$prefix/bin/duckflow"
