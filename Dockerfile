# The duckflow image: what every pod of a `duckflow argo` manifest runs.
#   docker build -t registry.example.com/duckflow:0.1.0 .
# Two stages on Debian 12 slim: the first installs the build dependencies, fetches DuckDB
# 1.4.4 with `npm pack` (scripts/fetch-duckdb.sh: tarballs only, no install scripts) and
# builds and installs duckflow with `make install PREFIX=/usr/local`; the second holds only
# the program, the libduckdb.so it finds through its rpath (/usr/local/lib/duckflow), the
# shared libraries they need and CA certificates, and runs as an unprivileged user
# (uid/gid 10001, which the manifests' securityContext names).
# The build stage's steps are scripts/image-build.sh, which the tests run without Docker.
# Pin the base image by digest for reproducible images:
#   docker build --build-arg BASE=debian:12-slim@sha256:<digest> .
# (`docker buildx imagetools inspect debian:12-slim` prints the current digest.)

ARG BASE=debian:12-slim
FROM ${BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
# What scripts/setup.sh would install (so it finds everything present), and npm for
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
# .dockerignore leaves out package.json and the lock, so setup.sh installs no npm test
# tools; the unit tests are not built. The build type is the Makefile's (RelWithDebInfo,
# -O2 -g), the one CI checks warning-free; strip drops the debug info from the image.
RUN BUILD=/tmp/build scripts/image-build.sh /usr/local

FROM ${BASE}
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
RUN duckflow --version
ENTRYPOINT ["duckflow"]
CMD ["--help"]
