"""Side-by-side benchmark: mcp-gateway next to the gateways people use today, in front of the same backend.

The backend is Tests/e2e/backends/fast_server.py (hand-written HTTP, uvloop), so the figures show what each
system in front of it costs. Each system is started on loopback (ContextForge and mcp-proxy from venvs this
script installs), timed from spawn to its first correct tools/call answer, left idle 2 s (resident memory
idle), then driven by wrk with tools/call at each concurrency for a fixed time (peak resident memory under
load; every answer checked). Then mcp-gateway alone: tools/list over ten backends of which one hangs, refresh
token rotations, and memory with 1,000 open sessions. Everything comes from one run; the report goes to stdout
and, with --write, into BENCHMARKS.md.

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
    ECHO_TEXT, FAST_SERVER, ContextForge, DirectBackend, McpGateway, McpProxy, System)
from wrk import run_wrk  # noqa: E402

CONCURRENCIES = (1, 16, 64)


def measure(system: System, seconds: float) -> dict:
    figures: dict = {"label": system.label}
    figures["ready_s"] = system.start()
    time.sleep(2)
    figures["rss_idle"] = tree_rss(system.pid, system.exclude_from_memory)
    figures["load"] = {}
    with PeakSampler(system.pid, system.exclude_from_memory) as peak:
        for c in CONCURRENCIES:
            cpu_before = tree_cpu_seconds(system.pid, system.exclude_from_memory)
            run = run_wrk(system.url, seconds, c, "POST", system.body, system.headers, expect=ECHO_TEXT)
            cpu = tree_cpu_seconds(system.pid, system.exclude_from_memory) - cpu_before
            run["cpu_ms_per_call"] = cpu * 1000 / run["requests"] if run["requests"] else None
            figures["load"][c] = run
    figures["rss_load"] = peak.peak
    return figures


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
        if args.only:
            systems = [s for s in systems if any(s.label.startswith(prefix) for prefix in args.only)]
        results = []
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
        finally:
            backend.stop()
        gateway_only: GatewayOnlyFigures | None = None
        if not args.only or any("mcp-gateway".startswith(p) for p in args.only):
            print("mcp-gateway alone …", file=sys.stderr, flush=True)
            gateway_only = measure_gateway_only(work / "gateway-only", args.seconds)

    report = write_report(results, gateway_only, seconds=args.seconds, concurrencies=CONCURRENCIES,
                          date=datetime.date.today().isoformat(), machine=machine(),
                          benchmarks_file=REPO / "BENCHMARKS.md" if args.write else None)
    print(report)


if __name__ == "__main__":
    main()
