# The duckflow image: what every pod of a `duckflow argo` manifest runs.
#   docker build -t registry.example.com/duckflow:0.1.0 .
# Two stages on Debian 12 slim: the first installs the build dependencies, fetches DuckDB
# 1.4.4 with `npm pack` (scripts/fetch-duckdb.sh: tarballs only, no install scripts) and
# builds and installs duckflow with CMake into /usr/local; the second holds only
# the program, the libduckdb.so it finds through its rpath (/usr/local/lib/duckflow), the
# shared libraries they need and CA certificates, and runs as an unprivileged user
# (uid/gid 10001, which the manifests' securityContext names).
# The build stage's steps are scripts/image-build.sh, which the tests run without Docker.
# Both stages start from Debian 12.12 slim (bookworm) pinned by digest, so a rebuild gets
# the same base until the digest is changed here on purpose; t7297 checks that every FROM
# carries one. To move to a newer Debian 12 point release, print the tag's current
# digest and replace both lines:
#   docker buildx imagetools inspect debian:12-slim --format '{{json .Manifest.Digest}}'
#   crane digest debian:12-slim
# (docs/argo.md, "Refreshing the base image").

FROM debian:12.12-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c AS build
ARG DEBIAN_FRONTEND=noninteractive
# The build's packages (scripts/setup.sh's list less the test tools), and npm for
# fetch-duckdb.sh.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config git \
        ca-certificates libyaml-dev libjansson-dev libssl-dev libcurl4-openssl-dev \
        libcmocka-dev curl procps nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# DuckDB (65 MB, for the build's architecture) in a layer of its own, before the sources:
# a change to the sources does not fetch it again.
COPY scripts/fetch-duckdb.sh scripts/
RUN scripts/fetch-duckdb.sh
COPY . .
# CMake directly (not scripts/setup.sh, which would add the test tools): no unit tests, the
# Makefile's build type (RelWithDebInfo, -O2 -g, the one CI checks warning-free); strip
# drops the debug info; then the smoke test of the installed program.
RUN BUILD=/tmp/build scripts/image-build.sh /usr/local

FROM debian:12.12-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libcurl4 libyaml-0-2 \
        libjansson4 libssl3 libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 duckflow \
 && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/duckflow \
        --shell /usr/sbin/nologin duckflow \
 && mkdir -p /scratch && chown duckflow:duckflow /scratch
COPY --from=build /usr/local/bin/duckflow /usr/local/bin/duckflow
COPY --from=build /usr/local/lib/duckflow/ /usr/local/lib/duckflow/
# The manifests mount an emptyDir at /scratch and set TMPDIR to it; this default serves
# `docker run` as well.
ENV TMPDIR=/scratch
USER 10001:10001
WORKDIR /home/duckflow
# The smoke test on the image itself (scripts/image-smoke.sh, bound from the build stage,
# not copied; RUN --mount needs BuildKit, Docker's default builder since 23.0): the program
# runs, finds its libduckdb, and libcurl loads with what it needs.
RUN --mount=type=bind,from=build,source=/src/scripts/image-smoke.sh,target=/tmp/image-smoke.sh \
    bash /tmp/image-smoke.sh /usr/local/bin/duckflow
ENTRYPOINT ["duckflow"]
CMD ["--help"]
