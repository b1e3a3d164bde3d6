"""Side-by-side benchmark: mcp-gateway next to the gateways people use today, in front of the same backend.

The backend is Tests/e2e/backends/fast_server.py (hand-written HTTP, uvloop), so the figures show what each
system in front of it costs. Each system is started on loopback (ContextForge and mcp-proxy from venvs this
script installs), timed from spawn to its first correct tools/call answer, left idle 2 s (resident memory
idle), then driven by wrk with tools/call at each concurrency for a fixed time (peak resident memory under
load; every answer checked); concurrency 16 runs three times and the run with the median CPU per call is kept.
wrk's own CPU per call is reported beside each system's, so a figure limited by the load generator shows. Then
a FastMCP server directly and behind mcp-gateway (concurrency 16), mcp-gateway with its access log at `info`,
and mcp-gateway alone: tools/list over ten backends of which one hangs, refresh token rotations, and memory
with 1,000 open sessions. Everything comes from one run; the report goes to stdout and, with --write, into
BENCHMARKS.md.

Usage: python bench/compare_bench.py [--bin PATH] [--seconds N] [--only NAME …] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "e2e"))

from gateway_only import GatewayOnlyFigures, measure_gateway_only  # noqa: E402
from processes import PeakSampler, tree_cpu_seconds, tree_rss  # noqa: E402
from report import write_report  # noqa: E402
from systems import (  # noqa: E402
    ECHO_TEXT, FAST_SERVER, LARGE_TEXT, ContextForge, DirectBackend, DirectBackendLarge, FastMCPBackend, McpGateway,
    McpProxy, System)
from wrk import run_wrk  # noqa: E402

CONCURRENCIES = (1, 16, 32, 64)
# Concurrency 16 carries the CPU figure: it runs this many times and the median run is kept.
CPU_RUNS = 3


def measure(system: System, seconds: float, concurrencies: tuple[int, ...] = CONCURRENCIES) -> dict:
    figures: dict = {"label": system.label}
    figures["ready_s"] = system.start()
    time.sleep(2)
    figures["rss_idle"] = tree_rss(system.pid, system.exclude_from_memory)
    figures["load"] = {}
    with PeakSampler(system.pid, system.exclude_from_memory) as peak:
        for c in concurrencies:
            runs = [one_run(system, seconds, c) for _ in range(CPU_RUNS if c == 16 else 1)]
            runs.sort(key=lambda run: run["cpu_ms_per_call"] if run["cpu_ms_per_call"] is not None else float("inf"))
            figures["load"][c] = runs[len(runs) // 2]
            figures["load"][c]["cpu_runs"] = [run["cpu_ms_per_call"] for run in runs]
        floor = getattr(system, "floor_url", None)
        if floor:
            # The HTTP server's own cost: what a request costs the gateway before it does anything of its own.
            cpu_before = tree_cpu_seconds(system.pid, system.exclude_from_memory)
            run = run_wrk(floor, seconds, 16)
            cpu = tree_cpu_seconds(system.pid, system.exclude_from_memory) - cpu_before
            figures["floor"] = {**run, "cpu_ms_per_call": cpu * 1000 / run["requests"] if run["requests"] else None}
    figures["rss_load"] = peak.peak
    return figures


def one_run(system: System, seconds: float, connections: int) -> dict:
    cpu_before = tree_cpu_seconds(system.pid, system.exclude_from_memory)
    run = run_wrk(system.url, seconds, connections, "POST", system.body, system.headers, expect=ECHO_TEXT)
    cpu = tree_cpu_seconds(system.pid, system.exclude_from_memory) - cpu_before
    run["cpu_ms_per_call"] = cpu * 1000 / run["requests"] if run["requests"] else None
    return run


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        swift = "swift unknown"
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0].split(" [")[0]
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python "
            f"{platform.python_version()}, {swift}, {wrk}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "mcp-gateway"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only", nargs="*", help="systems to run, by label prefix (default: all)")
    parser.add_argument("--write", action="store_true", help="write the report into BENCHMARKS.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (make bench installs it)")
    os.environ["MCP_GATEWAY_BIN"] = str(Path(args.bin).resolve())

    with tempfile.TemporaryDirectory(prefix="compare-bench-") as workdir:
        work = Path(workdir)
        backend = DirectBackend(work)
        systems: list[System] = [
            McpGateway(work, {"fast": {"url": backend.url}}, "mcp-gateway"),
            McpGateway(work, {"fast": {"command": sys.executable, "args": [str(FAST_SERVER), "--stdio"]}},
                       "mcp-gateway (stdio backend)"),
            ContextForge(work, backend.url),
            McpProxy(work),
        ]
        fastmcp = FastMCPBackend(work)
        # Measured at concurrency 16 only: the FastMCP pair, the access-log comparison and a 16 KB argument.
        extras: list[System] = [
            fastmcp,
            McpGateway(work, {"fm": {"url": fastmcp.url}}, "mcp-gateway (FastMCP backend)", tool="fm__echo"),
            McpGateway(work, {"fast": {"url": backend.url}}, "mcp-gateway (access log at info)", log_level="info"),
            DirectBackendLarge(work),
            McpGateway(work, {"fast": {"url": backend.url}}, "mcp-gateway (16 KB arguments)", text=LARGE_TEXT),
        ]
        if args.only:
            systems = [s for s in systems if any(s.label.startswith(prefix) for prefix in args.only)]
            extras = [s for s in extras if any(s.label.startswith(prefix) for prefix in args.only)]
        results = []
        extra_results = []
        try:
            results.append(measure(backend, args.seconds))
            for system in systems:
                print(f"{system.label} …", file=sys.stderr, flush=True)
                try:
                    system.prepare()
                    figures = measure(system, args.seconds)
                    figures["first_start_s"] = getattr(system, "first_start", None)
                    results.append(figures)
                finally:
                    system.stop()
            try:
                if extras and fastmcp not in extras:
                    fastmcp.start()  # the gateway in front of it still needs it
                for system in extras:
                    print(f"{system.label} …", file=sys.stderr, flush=True)
                    if system is fastmcp:
                        # Started by its measurement and left running for the gateway in front of it.
                        extra_results.append(measure(fastmcp, args.seconds, (16,)))
                        continue
                    try:
                        system.prepare()
                        extra_results.append(measure(system, args.seconds, (16,)))
                    finally:
                        system.stop()
            finally:
                fastmcp.stop()
        finally:
            backend.stop()
        gateway_only: GatewayOnlyFigures | None = None
        if not args.only or any("mcp-gateway".startswith(p) for p in args.only):
            print("mcp-gateway alone …", file=sys.stderr, flush=True)
            gateway_only = measure_gateway_only(work / "gateway-only", args.seconds)

    report = write_report(results, extra_results, gateway_only, seconds=args.seconds, concurrencies=CONCURRENCIES,
                          date=datetime.date.today().isoformat(), machine=machine(),
                          benchmarks_file=REPO / "BENCHMARKS.md" if args.write else None)
    print(report)


if __name__ == "__main__":
    main()
