"""Members benchmark: what scoping costs on the hot path, and what an idle member backend costs in memory.

One run, on loopback, in front of Tests/e2e/backends/fast_server.py:
- *operator only*: the gateway with one configured backend and no members (today's single-operator install), a
  tools/call through it with the operator's OAuth token;
- *scoping on*: the same gateway with Sign in with Discord (against the in-process Discord fake) and ten members,
  each with a backend of their own (at the same fast server), a tools/call by one member to the configured backend
  and to their own backend (each call resolves the member's view: their standing, the scope policy, the pool);
- idle memory: the scoping gateway's resident memory before and after 1,000 more member backends are defined
  (defined and idle, never connected), divided by 1,000.
CPU per call comes from the gateway process's own CPU time (/proc) over each wrk run. Ratios are to the
operator-only figures of the same run. Usage: python bench/members_bench.py [--bin PATH] [--seconds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
sys.path.insert(0, str(REPO / "bench"))

import httpx2  # noqa: E402

from backend_fixtures import write_backends_file  # noqa: E402
from discord_fake import DiscordFake  # noqa: E402
from gateway import Gateway, free_port  # noqa: E402
from member_backend_helpers import me_sign_in, member_gateway, member_mcp_token, new_member, op_api, operator_token  # noqa: E402
from mcp_helpers import MODERN  # noqa: E402
from oauth_helpers import obtain_tokens  # noqa: E402
from processes import _cpu_seconds, _rss  # noqa: E402
from systems import ECHO_TEXT, FAST_SERVER, call_body, spawn, stop  # noqa: E402
from wrk import run_wrk  # noqa: E402

CONCURRENCIES = (1, 16)
IDLE_BACKENDS = 1000


def headers(token: str, tool: str) -> dict[str, str]:
    return {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
            "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool,
            "Authorization": f"Bearer {token}"}


def load(gw: Gateway, token: str, tool: str, seconds: float) -> dict[int, dict]:
    runs = {}
    for c in CONCURRENCIES:
        before = _cpu_seconds(gw.proc.pid)
        run = run_wrk(gw.mcp_url, seconds, c, "POST", call_body(tool, modern=True), headers(token, tool),
                      expect=ECHO_TEXT)
        cpu = _cpu_seconds(gw.proc.pid) - before
        run["cpu_ms_per_call"] = cpu * 1000 / run["requests"] if run["requests"] else float("nan")
        runs[c] = run
    return runs


def wait_listed(gw: Gateway, token: str, tool: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with httpx2.Client(timeout=10, trust_env=False) as http:
        while time.monotonic() < deadline:
            r = http.post(gw.mcp_url, content=call_body(tool, modern=True).replace("__ID__", "1"),
                          headers=headers(token, tool))
            if r.status_code == 200 and ECHO_TEXT in r.text:
                return
            time.sleep(0.2)
    raise RuntimeError(f"{tool} never answered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "mcp-gateway"))
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    os.environ["MCP_GATEWAY_BIN"] = str(Path(args.bin).resolve())

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        port = free_port()
        backend = spawn([sys.executable, str(FAST_SERVER), "--port", str(port)], work / "backend.log")
        fake = DiscordFake(spec_path=False).start()
        url = f"http://127.0.0.1:{port}/mcp"
        backends = write_backends_file(work / "backends.json", {"fast": {"url": url}})
        results: dict[str, dict[int, dict]] = {}
        try:
            time.sleep(1)
            plain = Gateway(work / "plain", {"LOG_LEVEL": "warning", "BACKENDS_FILE": str(backends)}).start()
            try:
                with httpx2.Client(timeout=30, trust_env=False) as http:
                    token = obtain_tokens(http, plain)[1]["access_token"]
                wait_listed(plain, token, "fast__echo")
                results["operator only: configured backend"] = load(plain, token, "fast__echo", args.seconds)
            finally:
                plain.stop()

            scoped = member_gateway(work / "scoped", fake, "scoped gateway", LOG_LEVEL="warning",
                                    BACKENDS_FILE=str(backends), GATEWAY_MEMBER_CACHE_SECONDS="30",
                                    GATEWAY_MEMBER_BACKEND_LIMIT=str(IDLE_BACKENDS)).start()
            try:
                members = [new_member(fake) for _ in range(10)]
                for index, member in enumerate(members):
                    me = me_sign_in(scoped, fake, member)
                    me.create({"name": f"member{index}", "url": url})
                    me.close()
                token = member_mcp_token(scoped, fake, members[0])
                wait_listed(scoped, token, "fast__echo")
                wait_listed(scoped, token, "member0__echo")
                results["scoping on: a member, configured backend"] = load(scoped, token, "fast__echo", args.seconds)
                results["scoping on: a member, their own backend"] = load(scoped, token, "member0__echo", args.seconds)

                operator = operator_token(scoped, "backends")
                time.sleep(6)
                before = _rss(scoped.proc.pid)
                for index in range(IDLE_BACKENDS):
                    r = op_api(scoped, operator, "POST", "", {"name": f"idle{index}", "url": url})
                    assert r.status_code == 201, r.text
                time.sleep(6)  # the pool re-reads the definitions every 5 s
                after = _rss(scoped.proc.pid)
            finally:
                scoped.stop()
        finally:
            fake.stop()
            stop(backend)

    base = results["operator only: configured backend"]
    print("| path | concurrency | req/s | ratio | p50 ms | p99 ms | CPU ms/call | CPU ratio | wrong |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in results.items():
        for c, run in runs.items():
            print(f"| {label} | {c} | {run['rps']:.0f} | {run['rps'] / base[c]['rps']:.2f} | {run['p50_ms']:.2f} | "
                  f"{run['p99_ms']:.2f} | {run['cpu_ms_per_call']:.3f} | "
                  f"{run['cpu_ms_per_call'] / base[c]['cpu_ms_per_call']:.2f} | {run['wrong'] + run['errors']} |")
    per_backend = (after - before) / IDLE_BACKENDS
    print(f"\nIdle member backends: resident memory {before / 2**20:.1f} MB before, {after / 2**20:.1f} MB after "
          f"{IDLE_BACKENDS} more were defined: {per_backend / 1024:.1f} KB each (target ≤ 100 KB).")


if __name__ == "__main__":
    main()
