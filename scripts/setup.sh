#!/usr/bin/env bash
# Installs what building and testing duckflow needs on Debian 12, and nothing that is
# already there: compilers, CMake and libraries with apt-get, Node.js and npm, the pinned
# npm packages (test servers, validators, benchmark peers) and DuckDB (fetch-duckdb.sh).
# Idempotent and quick when everything is present. Needs root only when something is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

debs=(build-essential cmake pkg-config git ca-certificates libyaml-dev libjansson-dev
    libssl-dev libcurl4-openssl-dev libcmocka-dev curl procps)
# Headless Chromium renders `duckflow report --html` in the tests (t4200), as a person's
# browser would; util-linux's script(1) gives the progress tests a pseudo-terminal.
debs+=(chromium bsdutils)
# Node.js may come from elsewhere (a newer nodesource build bundles npm, and Debian's npm
# package conflicts with it): only ask apt for what has no command yet.
command -v node >/dev/null 2>&1 || debs+=(nodejs)
command -v npm >/dev/null 2>&1 || debs+=(npm)
[ "${DUCKFLOW_SETUP_BENCH:-0}" = 1 ] && debs+=(hyperfine)
[ "${DUCKFLOW_SETUP_FUZZ:-0}" = 1 ] && debs+=(clang libclang-rt-14-dev)

missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$top/scripts/fetch-duckdb.sh"

# Pinned npm packages (package-lock.json); install scripts never run.
if [ -f "$top/package-lock.json" ]; then
    stamp="$top/node_modules/.duckflow-lock"
    if ! cmp -s "$top/package-lock.json" "$stamp" 2>/dev/null; then
        echo "setup: installing pinned npm packages" >&2
        (cd "$top" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$top/package-lock.json" "$stamp"
    fi
fi
