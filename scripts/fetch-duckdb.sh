#!/usr/bin/env bash
# Fetches DuckDB 1.4.4 (library and C header) from the npm registry into deps/duckdb,
# without running any install script: `npm pack` only downloads the tarballs, whose
# integrity npm checks against the registry. DUCKDB_HOME (a folder with lib/libduckdb.so
# and include/duckdb.h) skips the download and uses a system install instead.
# The library package follows the machine's architecture (uname -m, or DUCKDB_ARCH):
# x86_64/amd64 -> linux-x64, aarch64/arm64 -> linux-arm64 (the Dockerfile's build stage runs
# this on the image's platform). `fetch-duckdb.sh --print` prints the two packages it would
# fetch and exits.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/deps/duckdb"
if [ -n "${DUCKDB_HOME:-}" ] && [ "${1:-}" != --print ]; then
    [ -f "$DUCKDB_HOME/lib/libduckdb.so" ] && [ -f "$DUCKDB_HOME/include/duckdb.h" ] || {
        echo "fetch-duckdb: DUCKDB_HOME='$DUCKDB_HOME' lacks lib/libduckdb.so or include/duckdb.h" >&2
        exit 2
    }
    exit 0
fi
arch=${DUCKDB_ARCH:-$(uname -m)}
case $arch in
x86_64 | amd64 | x64) LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4" ;;
# The arm64 bindings of DuckDB 1.4.4 were last published as r.3 (the x64 ones as r.4).
aarch64 | arm64) LIB_PKG="@duckdb/node-bindings-linux-arm64@1.4.4-r.3" ;;
*)
    echo "fetch-duckdb: no DuckDB package for architecture '$arch' (x86_64 or aarch64); set DUCKDB_HOME to a local install" >&2
    exit 2
    ;;
esac
HDR_PKG="duckdb@1.4.4"
if [ "${1:-}" = --print ]; then
    echo "$LIB_PKG"
    echo "$HDR_PKG"
    exit 0
fi

if [ -f "$dest/lib/libduckdb.so" ] && [ -f "$dest/include/duckdb.h" ] &&
    [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$LIB_PKG $HDR_PKG" ]; then
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-duckdb: downloading $LIB_PKG and $HDR_PKG with npm pack" >&2
(cd "$tmp" && npm pack --silent "$LIB_PKG" "$HDR_PKG" >/dev/null)
mkdir -p "$tmp/lib" "$tmp/hdr"
tar -xzf "$tmp"/duckdb-node-bindings-linux-*.tgz -C "$tmp/lib" package/libduckdb.so
tar -xzf "$tmp"/duckdb-1.4.4.tgz -C "$tmp/hdr" package/src/duckdb/src/include/duckdb.h
rm -rf "$dest"
mkdir -p "$dest/lib" "$dest/include"
mv "$tmp/lib/package/libduckdb.so" "$dest/lib/"
mv "$tmp/hdr/package/src/duckdb/src/include/duckdb.h" "$dest/include/"
echo "$LIB_PKG $HDR_PKG" >"$dest/VERSION"
