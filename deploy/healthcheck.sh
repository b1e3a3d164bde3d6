#!/usr/bin/env bash
# Container health check: asks the gateway's own /health over loopback and succeeds only on {"status":"ok"}.
# Plain bash (its /dev/tcp redirection) instead of curl, so the runtime image needs no HTTP client at all.
# The port follows GATEWAY_PORT, so a container started with another port is still checked correctly.
set -euo pipefail

port="${GATEWAY_PORT:-4444}"
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
grep -q '"status":"ok"' <&3
