#!/usr/bin/env bash
# image-build.sh - the build stage of the Dockerfile as a script, so that it runs (and is
# tested: tests/e2e/t7230-image-build.sh) where Docker is not available:
#   1. scripts/fetch-duckdb.sh (DuckDB for this architecture; DUCKDB_HOME skips it);
#   2. make install PREFIX=PREFIX (BUILD, default /tmp/build; no unit tests), or only the
#      install step when BUILD is a configured build folder already;
#   3. strip the program (when `strip` is there and DUCKFLOW_NO_STRIP is unset);
#   4. smoke test: the installed program runs (--version) and finds its libduckdb through
#      its rpath, with nothing on LD_LIBRARY_PATH.
# Usage: scripts/image-build.sh PREFIX     (the Dockerfile runs it with /usr/local)
set -euo pipefail
prefix=${1:?usage: image-build.sh PREFIX}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-/tmp/build}
cd "$top"
scripts/fetch-duckdb.sh
if [ -f "$build/CMakeCache.txt" ]; then
    # A build folder configured already (the tests pass theirs): install what it holds.
    cmake --build "$build" --target preinstall >/dev/null
    cmake --install "$build" --prefix "$prefix" >/dev/null
else
    make install PREFIX="$prefix" BUILD="$build" CMAKE_FLAGS="-DDUCKFLOW_TESTS=OFF"
fi
if [ -z "${DUCKFLOW_NO_STRIP:-}" ] && command -v strip >/dev/null; then
    strip "$prefix/bin/duckflow"
fi
env -u LD_LIBRARY_PATH "$prefix/bin/duckflow" --version
