#!/usr/bin/env bash
# build.sh - builds bench/sqlfn/sqlrun (a small DuckDB shell with the SQL functions) against
# a build folder's libduckflow_core.a. Prints the path of the binary.
#   bench/sqlfn/build.sh [BUILD_DIR]      (default: build)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
duck=${DUCKDB_HOME:-$top/deps/duckdb}
out="$build/sqlrun"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/src" -I"$duck/include" "$top/bench/sqlfn/sqlrun.c" \
    "$build/libduckflow_core.a" -L"$duck/lib" -lduckdb -Wl,-rpath,"$duck/lib" -lpthread -lm \
    -o "$out" -Wno-deprecated-declarations
echo "$out"
