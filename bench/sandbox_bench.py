"""Sandbox benchmark: what running a command backend in its bubblewrap sandbox costs.

One run, one gateway, Tests/e2e/backends/fast_server.py over stdio (the system's /usr/bin/python3, so that the
sandbox sees it) as two configured backends side by side:
- *unsandboxed*: `"sandbox": false`;
- *sandboxed*: the default profile, the server's folder bound read-only;
a tools/call through each under wrk at concurrency 1 and 16 (the goal: the sandbox costs under 5 % on warm calls,
by throughput and by median latency); then the first call to a cold sandboxed backend: a command backend defined
through the API (the operator's token) and called at once, which starts its sandbox, its process and the MCP
handshake on that call (median of several).
Usage: python bench/sandbox_bench.py [--bin PATH] [--seconds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "bench"))

import httpx2  # noqa: E402

from backend_fixtures import write_backends_file  # noqa: E402
from gateway import Gateway  # noqa: E402
from member_backend_helpers import op_api, operator_token  # noqa: E402
from members_bench import headers, load, wait_listed  # noqa: E402
from oauth_helpers import obtain_tokens  # noqa: E402
from systems import ECHO_TEXT, FAST_SERVER, call_body  # noqa: E402

COLD_STARTS = 5
SYSTEM_PYTHON = "/usr/bin/python3"


def first_call_ms(gw: Gateway, token: str, operator: str, scripts: Path, index: int) -> float:
    """Defines a sandboxed command backend and times its first tools/call, from the definition being in place."""
    name = f"cold{index}"
    r = op_api(gw, operator, "POST", "", {"name": name, "transport": "stdio", "command": SYSTEM_PYTHON,
                                          "args": [str(scripts / "fast_server.py"), "--stdio"],
                                          "scope": {"kind": "global"}, "sandbox": {"binds": [str(scripts)]}})
    assert r.status_code == 201, r.text
    body = call_body(f"{name}__echo", modern=True).replace("__ID__", "1")
    deadline = time.monotonic() + 60
    with httpx2.Client(timeout=60, trust_env=False) as http:
        # The pool reads new definitions within seconds: wait for this one to be known, without calling it.
        while time.monotonic() < deadline:
            list_headers = {k: v for k, v in headers(token, "").items() if k != "Mcp-Name"}
            listed = http.post(gw.mcp_url, content=call_body("x", modern=True).replace("__ID__", "1")
                               .replace('"tools/call"', '"tools/list"'),
                               headers={**list_headers, "Mcp-Method": "tools/list"})
            if f'"{name}__echo"' in listed.text:
                break
            time.sleep(0.05)
        # Listing made it; stop it again so that the timed call starts cold.
        op_api(gw, operator, "PATCH", f"/{r.json()['id']}", {"timeout_seconds": 59})
        time.sleep(6)
        started = time.monotonic()
        answer = http.post(gw.mcp_url, content=body, headers=headers(token, f"{name}__echo"))
        elapsed = (time.monotonic() - started) * 1000
    assert answer.status_code == 200 and ECHO_TEXT in answer.text, answer.text[:500]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "mcp-gateway"))
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    if not Path(SYSTEM_PYTHON).exists():
        sys.exit(f"{SYSTEM_PYTHON} is needed (the sandbox sees /usr only)")
    os.environ["MCP_GATEWAY_BIN"] = str(Path(args.bin).resolve())

    scripts = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    with tempfile.TemporaryDirectory() as folder:
        try:
            # A folder every sandbox's own host user can read.
            scripts.chmod(0o755)
            shutil.copy(FAST_SERVER, scripts / "fast_server.py")
            work = Path(folder)
            command = {"command": SYSTEM_PYTHON, "args": [str(scripts / "fast_server.py"), "--stdio"]}
            backends = write_backends_file(work / "backends.json", {
                "plain": {**command, "sandbox": False},
                "boxed": {**command, "sandbox": {"binds": [str(scripts)]}},
            })
            gw = Gateway(work / "gateway", {"LOG_LEVEL": "warning", "BACKENDS_FILE": str(backends)}).start()
            try:
                with httpx2.Client(timeout=30, trust_env=False) as http:
                    token = obtain_tokens(http, gw)[1]["access_token"]
                results = {}
                for label, tool in (("unsandboxed", "plain__echo"), ("sandboxed", "boxed__echo")):
                    wait_listed(gw, token, tool)
                    results[label] = load(gw, token, tool, args.seconds)
                operator = operator_token(gw, "backends")
                cold = [first_call_ms(gw, token, operator, scripts, index) for index in range(COLD_STARTS)]
            finally:
                gw.stop()
        finally:
            shutil.rmtree(scripts, ignore_errors=True)

    base = results["unsandboxed"]
    print("| stdio backend | concurrency | req/s | ratio | p50 ms | p50 ratio | p99 ms | gateway CPU ms/call | wrong |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in results.items():
        for c, run in runs.items():
            print(f"| {label} | {c} | {run['rps']:.0f} | {run['rps'] / base[c]['rps']:.3f} | {run['p50_ms']:.2f} | "
                  f"{run['p50_ms'] / base[c]['p50_ms']:.3f} | {run['p99_ms']:.2f} | {run['cpu_ms_per_call']:.3f} | "
                  f"{run['wrong'] + run['errors']} |")
    print(f"\nFirst call to a cold sandboxed backend (sandbox, process, handshake, listing): median "
          f"{statistics.median(cold):.0f} ms of {len(cold)} ({', '.join(f'{ms:.0f}' for ms in cold)} ms).")


if __name__ == "__main__":
    main()
