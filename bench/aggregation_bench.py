"""Aggregation benchmark: what the gateway adds to a tools/call, against the same fast backend directly.

The backend is nginx answering every POST with one fixed, valid JSON-RPC result (it serves as the
server/discover, tools/list and tools/call answer at once): a backend that costs next to nothing, so what
the figures show is the gateway's own cost. The gateway (release build, fresh database, token from the
real OAuth flow) fronts it as MCP_BACKEND_FAST. wrk drives tools/call at concurrency 1 and 32, directly
and through the gateway, in one run, so the ratios compare like with like on a noisy machine.
Usage: python bench/aggregation_bench.py [--bin PATH] [--seconds N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "bench"))

import httpx2  # noqa: E402

from backend_fixtures import BackendProcess  # noqa: E402
from foundation_bench import run_wrk  # noqa: E402
from gateway import Gateway, free_port  # noqa: E402
from mcp_helpers import modern_body, modern_headers  # noqa: E402
from oauth_helpers import obtain_tokens  # noqa: E402

FIXED_RESULT = {
    "jsonrpc": "2.0", "id": 1,
    "result": {
        "resultType": "complete", "supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}},
        "tools": [{"name": "echo", "inputSchema": {"type": "object"}}],
        "content": [{"type": "text", "text": "ok"}],
    },
}

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location /mcp {{
      default_type application/json;
      return 200 '{body}';
    }}
  }}
}}
"""


def start_backend(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=workdir, port=port, body=json.dumps(FIXED_RESULT, separators=(",", ":"))))
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(workdir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("nginx did not start")


def call_body(name: str) -> str:
    return json.dumps(modern_body("tools/call", {"name": name, "arguments": {"text": "hi"}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "mcp-gateway"))
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (make bench installs it)")
    os.environ["MCP_GATEWAY_BIN"] = str(Path(args.bin).resolve())

    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        backend, port = start_backend(work)
        backend_url = f"http://127.0.0.1:{port}/mcp"
        # A real FastMCP server as well, for what the gateway's share is next to a typical backend.
        fastmcp = BackendProcess(work, "py").start()
        gw = Gateway(
            work / "gateway",
            overrides={"LOG_LEVEL": "warning", "MCP_BACKEND_FAST": backend_url, "MCP_BACKEND_PY": fastmcp.url},
        ).start()
        try:
            with httpx2.Client(timeout=30, trust_env=False) as http:
                _, tokens = obtain_tokens(http, gw)
                token = tokens["access_token"]
                listed = http.post(gw.mcp_url, json=modern_body("tools/list"), headers=modern_headers(token, "tools/list"))
                assert "fast__echo" in listed.text, listed.text
            direct_headers = {**modern_headers(None, "tools/call"), "Mcp-Name": "echo", "Accept": "application/json"}
            gateway_headers = {**modern_headers(token, "tools/call"), "Mcp-Name": "fast__echo", "Accept": "application/json"}
            streaming_headers = {**gateway_headers, "Accept": "application/json, text/event-stream"}
            results = {}
            for connections in (1, 32):
                results[("direct", connections)] = run_wrk(
                    backend_url, args.seconds, connections, method="POST", body=call_body("echo"), headers=direct_headers)
                results[("gateway", connections)] = run_wrk(
                    gw.mcp_url, args.seconds, connections, method="POST", body=call_body("fast__echo"),
                    headers=gateway_headers)
            results[("gateway, event-stream answer", 32)] = run_wrk(
                gw.mcp_url, args.seconds, 32, method="POST", body=call_body("fast__echo"), headers=streaming_headers)
            fastmcp_headers = {**direct_headers, "Accept": "application/json, text/event-stream"}
            for connections in (1, 32):
                results[("FastMCP direct", connections)] = run_wrk(
                    fastmcp.url, args.seconds, connections, method="POST", body=call_body("echo"), headers=fastmcp_headers)
                results[("FastMCP through the gateway", connections)] = run_wrk(
                    gw.mcp_url, args.seconds, connections, method="POST", body=call_body("py__echo"),
                    headers={**gateway_headers, "Mcp-Name": "py__echo"})
        finally:
            gw.stop()
            fastmcp.stop()
            backend.kill()
            backend.wait(timeout=10)

    today = datetime.date.today().isoformat()
    print(f"## Aggregation benchmark ({today}, {platform.machine()}, {os.cpu_count()} cores, "
          f"wrk × {args.seconds} s per line, one run)\n")
    print("| tools/call | concurrency | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for (path, connections), r in results.items():
        print(f"| {path} | {connections} | {r['rps']:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['errors']} |")
    print()
    for backend, direct_key, gateway_key in (("nginx", "direct", "gateway"),
                                             ("FastMCP", "FastMCP direct", "FastMCP through the gateway")):
        for connections in (1, 32):
            direct, through = results[(direct_key, connections)], results[(gateway_key, connections)]
            print(f"- {backend}, concurrency {connections}: added p50 {through['p50_ms'] - direct['p50_ms']:.3f} ms, "
                  f"throughput through the gateway {through['rps'] / direct['rps']:.2f} × direct")


if __name__ == "__main__":
    main()
