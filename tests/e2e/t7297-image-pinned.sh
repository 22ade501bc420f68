#!/usr/bin/env bash
# t7297: the Dockerfile's base images are pinned by digest. Every FROM names an image as
# NAME[:TAG]@sha256:<64 hex digits> (after ARG defaults are substituted) or an earlier
# stage; the checker is tried on crafted Dockerfiles first so that it is known to refuse
# an unpinned tag, a short digest, an ARG without a pinned default and a lone digest-less
# --platform line. docs/argo.md says how to refresh the digest.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..9"

# pinned FILE: exit 0 when every FROM is pinned; prints the offending lines otherwise.
pinned() {
    awk '
    function subst(s,   name) {
        while (match(s, /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/)) {
            name = substr(s, RSTART, RLENGTH); gsub(/[${}]/, "", name)
            s = substr(s, 1, RSTART - 1) arg[name] substr(s, RSTART + RLENGTH)
        }
        return s
    }
    toupper($1) == "ARG" { split($2, kv, "="); arg[kv[1]] = kv[2]; next }
    toupper($1) == "FROM" {
        n++; i = 2
        while ($i ~ /^--/) i++
        img = subst($i)
        if (toupper($(i + 1)) == "AS") stage[tolower($(i + 2))] = 1
        if (img in stage) next
        # (no {64}: mawk has no interval expressions)
        if (img !~ /^[^@ ]+@sha256:[0-9a-f]+$/ || length(img) - index(img, "@sha256:") - 7 != 64) {
            print FILENAME ":" FNR ": " $0; bad = 1
        }
    }
    END { exit bad || n == 0 }' "$1"
}

d=sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c
printf 'FROM debian:12-slim AS build\nRUN true\nFROM debian:12-slim@%s\n' "$d" >tag.Dockerfile
expect_code 1 "the checker refuses a tag without a digest" pinned tag.Dockerfile
expect_match "and names the line" '^tag.Dockerfile:1: FROM debian:12-slim AS build' "$out"
printf 'FROM debian:12-slim@sha256:d5d3f9c2\n' >short.Dockerfile
expect_code 1 "a short digest" pinned short.Dockerfile
printf 'ARG BASE=debian:12-slim\nFROM ${BASE}\n' >arg.Dockerfile
expect_code 1 "an ARG whose default has no digest" pinned arg.Dockerfile
printf 'ARG BASE=debian:12-slim@%s\nFROM --platform=$BUILDPLATFORM ${BASE} AS b\nFROM b\nFROM --platform=linux/arm64 debian:12-slim\n' "$d" >plat.Dockerfile
expect_code 1 "a --platform line without one (an ARG default and a stage name pass)" pinned plat.Dockerfile
expect_match "only that line is named" '^plat.Dockerfile:4:' "$out"

df="$DUCKFLOW_TOP/Dockerfile"
expect_ok "every FROM of the Dockerfile is pinned by digest" pinned "$df"
check "both stages start from the same Debian 12 slim digest" bash -c \
    "test \"\$(grep -E '^FROM ' '$df' | grep -oE 'debian:12[.0-9]*-slim@sha256:[0-9a-f]{64}' | sort -u | wc -l)\" = 1 && test \"\$(grep -cE '^FROM ' '$df')\" = 2"
check "docs/argo.md says how to refresh it" bash -c \
    "grep -q 'docker buildx imagetools inspect debian:12-slim' '$DUCKFLOW_TOP/docs/argo.md' && grep -q 'crane digest debian:12-slim' '$DUCKFLOW_TOP/docs/argo.md'"
