"""Foundation benchmark: what authentication and the /mcp envelope cost, as ratios to a bare /health.

Starts the gateway binary on loopback with a fresh database, obtains a token through the real OAuth
flow, then drives each endpoint with wrk (same connections, threads and duration for each) and times
refresh-token rotations. Every figure comes from one run, so the ratios compare like with like on a
noisy shared machine. Usage: python bench/foundation_bench.py [--bin PATH] [--seconds N] [--connections N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "e2e"))

import httpx2  # noqa: E402

from gateway import Gateway  # noqa: E402
from mcp_helpers import modern_body, modern_headers  # noqa: E402
from oauth_helpers import check_tokens, obtain_tokens, refresh  # noqa: E402
from wrk import run_wrk  # noqa: E402


def rotations_per_second(http: httpx2.Client, gw: Gateway, count: int) -> float:
    client, tokens = obtain_tokens(http, gw)
    started = time.perf_counter()
    for _ in range(count):
        tokens = check_tokens(refresh(http, gw, client["client_id"], tokens["refresh_token"]))
    return count / (time.perf_counter() - started)


def health_per_second_sequential(http: httpx2.Client, gw: Gateway, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        http.get(gw.url("/health")).raise_for_status()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "mcp-gateway"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rotations", type=int, default=300)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    os.environ["MCP_GATEWAY_BIN"] = str(Path(args.bin).resolve())

    with tempfile.TemporaryDirectory() as workdir:
        gw = Gateway(Path(workdir), overrides={"LOG_LEVEL": "warning"}).start()
        try:
            with httpx2.Client(timeout=30, trust_env=False) as http:
                _, tokens = obtain_tokens(http, gw)
                token = tokens["access_token"]
                c, s = args.connections, args.seconds
                results = {
                    "GET /health (no auth)": run_wrk(gw.url("/health"), s, c),
                    "GET /status (Bearer + SQLite counts)": run_wrk(
                        gw.url("/status"), s, c, headers={"Authorization": f"Bearer {token}"}),
                    "POST /mcp tools/list, 2026-07-28 (Bearer + envelope)": run_wrk(
                        gw.mcp_url, s, c, method="POST", body=json.dumps(modern_body("tools/list")),
                        headers=modern_headers(token, "tools/list")),
                    "POST /mcp without a token (401 challenge)": run_wrk(
                        gw.mcp_url, s, c, method="POST", body=json.dumps(modern_body("tools/list")),
                        headers=modern_headers(None, "tools/list")),
                }
                sequential_health = health_per_second_sequential(http, gw, args.rotations)
                rotations = rotations_per_second(http, gw, args.rotations)
        finally:
            gw.stop()

    baseline = results["GET /health (no auth)"]["rps"]
    today = datetime.date.today().isoformat()
    print(f"## Foundation benchmark ({today}, {platform.machine()}, {os.cpu_count()} cores, "
          f"wrk {args.connections} connections × {args.seconds} s, one run)\n")
    print("| endpoint | req/s | ratio to /health | p50 ms | p99 ms | socket errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['rps']:.0f} | {r['rps'] / baseline:.2f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |")
    print(f"\nRefresh-token rotations, one client in sequence: {rotations:.0f}/s "
          f"({rotations / sequential_health:.2f} × sequential GET /health at {sequential_health:.0f}/s).")


if __name__ == "__main__":
    main()
