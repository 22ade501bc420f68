#!/usr/bin/env bash
# image-smoke.sh - the smoke test of an installed duckflow, run by scripts/image-build.sh on
# the build stage's prefix and by the Dockerfile's runtime stage on the image itself:
#   1. the program runs (--version) and finds its libduckdb through its rpath, with nothing
#      on LD_LIBRARY_PATH;
#   2. libcurl, which duckflow loads only when a store is an object store, loads with the
#      libraries it needs: an S3 store at an address where nothing listens fails with
#      curl's connection error (not "cannot load libcurl.so.4");
#   3. with DUCKFLOW_SMOKE_STORE=s3://BUCKET/PREFIX (and the usual AWS_* variables, and
#      AWS_CA_BUNDLE for a private CA): a one-step pipeline is run into that store and its
#      table read back through the store, so TLS with the CA bundle is exercised end to end
#      (t7230 runs it against the HTTPS S3 test server with a CA made for the test).
# Usage: scripts/image-smoke.sh BIN     (BIN: the installed program)
set -euo pipefail
bin=${1:?usage: image-smoke.sh BIN}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say() { echo "image-smoke: $*" >&2; }

env -u LD_LIBRARY_PATH "$bin" --version

# 2. Port 1 on the loopback: refused at once. One attempt, dummy keys (nothing is sent).
if env -u LD_LIBRARY_PATH -u AWS_PROFILE -u AWS_WEB_IDENTITY_TOKEN_FILE \
    AWS_ENDPOINT_URL=https://127.0.0.1:1 AWS_ACCESS_KEY_ID=smoke AWS_SECRET_ACCESS_KEY=smoke \
    AWS_REGION=us-east-1 DUCKFLOW_S3_MAX_ATTEMPTS=1 \
    "$bin" runs --store s3://smoke/x >"$tmp/curl.out" 2>"$tmp/curl.err"; then
    say "an S3 store where nothing listens did not fail"
    exit 1
fi
if ! grep -qi "connect" "$tmp/curl.err" || grep -q "cannot load" "$tmp/curl.err"; then
    say "libcurl did not load or did not try to connect:"
    cat "$tmp/curl.err" >&2
    exit 1
fi
say "libcurl loads ($(head -c 200 "$tmp/curl.err" | tr '\n' ' '))"

# 3. A store that answers.
if [ -n "${DUCKFLOW_SMOKE_STORE:-}" ]; then
    mkdir -p "$tmp/p"
    cat >"$tmp/p/pipeline.yaml" <<'YAML'
name: smoke
steps:
  one:
    sql: CREATE TABLE t AS SELECT range AS x FROM range(10)
    outputs: [t]
YAML
    env -u LD_LIBRARY_PATH "$bin" run "$tmp/p/pipeline.yaml" --store "$DUCKFLOW_SMOKE_STORE" >&2
    n=$(env -u LD_LIBRARY_PATH "$bin" query --store "$DUCKFLOW_SMOKE_STORE" --format csv \
        "SELECT count(*) FROM one.t" | tail -n 1)
    if [ "$n" != 10 ]; then
        say "read back $n rows from $DUCKFLOW_SMOKE_STORE, expected 10"
        exit 1
    fi
    say "ran a pipeline on $DUCKFLOW_SMOKE_STORE (CA bundle: ${AWS_CA_BUNDLE:-${SSL_CERT_FILE:-the system bundle}})"
fi
