# mcp-gateway container image.
#
#   docker build -t mcp-gateway:local --build-arg MCP_GATEWAY_COMMIT=$(git rev-parse --short HEAD) .
#   docker run --init --stop-timeout 30 -p 127.0.0.1:4444:4444 -v mcp-gateway-data:/data \
#     -e OAUTH_ISSUER_URL=https://gateway.example.com mcp-gateway:local
#
# Two stages on the same distribution, Debian 12 (bookworm): the official Swift 6.3 toolchain image to
# build, debian:bookworm-slim to run. Bookworm because it is what the gateway is developed and tested on
# (the system SQLite 3.40 that GRDB builds against included), and because building and running on one
# release keeps glibc and libsqlite3 identical between the two stages.

# ---------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build

# GRDB compiles against the system SQLite. The toolchain image ships the headers already; asking for
# them here keeps the build correct should that ever change. (Package versions are left to the
# release's security updates; the image tags pin the release.)
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies first, in a layer of their own: it is rebuilt only when the manifest (or the lock file,
# when there is one) changes, not on every source edit.
COPY Package.* ./
RUN swift package resolve

# SwiftPM checks that every target in the manifest has its folder, test targets included, so Tests/
# comes along even though only the executable is built (.dockerignore leaves out the pytest suite).
# The BuildInfo plugin runs scripts/build-info.sh to record the commit. The page templates are not
# needed: they are built into the binary from Swift source (Sources/GatewayApp/BuiltInTemplates.swift).
COPY Plugins ./Plugins
COPY scripts/build-info.sh ./scripts/build-info.sh
COPY Sources ./Sources
COPY Tests ./Tests

# The commit `mcp-gateway --version` reports. The build context has no .git, so it is passed in:
# `docker build --build-arg MCP_GATEWAY_COMMIT=$(git rev-parse --short HEAD) .`, or with compose
# `MCP_GATEWAY_COMMIT=$(git rev-parse --short HEAD) docker compose build`. Declared here, after the
# dependency layer, so a new commit does not invalidate `swift package resolve`.
ARG MCP_GATEWAY_COMMIT=unknown

# --static-swift-stdlib links the Swift runtime and Foundation into the binary: the runtime image needs
# no Swift toolchain. Nothing links FoundationNetworking or FoundationXML, so no libcurl or libxml2.
RUN MCP_GATEWAY_COMMIT="$MCP_GATEWAY_COMMIT" swift build -c release --product mcp-gateway --static-swift-stdlib \
    && mkdir -p /staging \
    && cp "$(swift build -c release --show-bin-path)/mcp-gateway" /staging/ \
    && strip /staging/mcp-gateway

# ---------------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# What the static binary still loads from the system: glibc (in the base image), libstdc++ and zlib
# (normally there already, listed so that stays true), the system SQLite, and the CA roots that outbound
# TLS (Discord, https backends, client metadata documents) verifies against. No tzdata: log times are
# UTC, as the container has no local zone anyway. bubblewrap and socat: the sandbox command backends run
# in, and the relay of its proxied network (prlimit and setpriv come with util-linux, always there).
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends ca-certificates libsqlite3-0 libstdc++6 zlib1g \
        bubblewrap socat \
    && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid, so volume ownership is predictable on any host. /data is created here,
# owned by that user, so a named volume mounted there starts out writable by the gateway. /app, its
# home and working directory, stays owned by root.
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin gateway \
    && mkdir -p /app /data \
    && chown 10001:10001 /data

COPY --from=build /staging/mcp-gateway /usr/local/bin/mcp-gateway
# The health check: owned by root, so read-only to the gateway. (No templates: they are in the binary.)
COPY deploy/healthcheck.sh /usr/local/bin/mcp-gateway-healthcheck

WORKDIR /app

# Container defaults. Listening on all interfaces is what makes the port reachable from outside the
# container; the gateway then insists on an https OAUTH_ISSUER_URL, which the operator sets (in .env
# with docker compose). The state lives in the /data volume: the database (/data/gateway.sqlite, its
# default there) and a generated first password (/data/initial-operator-password). Everything else
# keeps the defaults documented in .env.example.
ENV GATEWAY_BIND_ADDR=0.0.0.0 \
    GATEWAY_PORT=4444 \
    GATEWAY_DATA_DIR=/data

VOLUME ["/data"]
USER 10001:10001
EXPOSE 4444

# /health through bash's /dev/tcp (see deploy/healthcheck.sh): no curl in the image for one GET.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "/usr/local/bin/mcp-gateway-healthcheck"]

# The gateway stops cleanly on SIGTERM, letting calls in flight finish (GATEWAY_SHUTDOWN_TIMEOUT, 15 s,
# plus up to 10 s of teardown): give it `docker run --stop-timeout 30` (compose: stop_grace_period). It may
# run stdio backends as child processes, so run it under an init that reaps orphans: `docker run --init`,
# or `init: true` in compose (docker-compose.yml does both).
ENTRYPOINT ["mcp-gateway"]
CMD ["serve"]
