"""The benchmark's figures for mcp-gateway alone: tools/list over ten backends of which one hangs, refresh-token
rotations per second, and resident memory with 1,000 open sessions (and an idle event stream on each)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from aiohttp_mcp import client, listen, open_session
from gateway import Gateway, free_port
from mcp_helpers import modern_meta
from oauth_helpers import check_tokens, obtain_tokens, refresh
from processes import tree_rss
from systems import DirectBackend, McpGateway, spawn, stop
from wrk import run_wrk

HANGING_SERVER = Path(__file__).resolve().parent.parent / "Tests" / "e2e" / "backends" / "hanging_server.py"
FAST_BACKENDS = 9
SESSIONS = 1000


@dataclass
class GatewayOnlyFigures:
    list_ready_s: float = 0.0
    tools_list: dict = field(default_factory=dict)
    rotations_sequential: float = 0.0
    rotations_concurrent: float = 0.0
    rotation_clients: int = 16
    rss_before_sessions: int = 0
    rss_with_sessions: int = 0
    rss_with_streams: int = 0


def measure_tools_list(work: Path, seconds: float, figures: GatewayOnlyFigures) -> None:
    backends = [DirectBackend(work / f"fast-{i}") for i in range(FAST_BACKENDS)]
    hanging_port = free_port()
    hanging = spawn([sys.executable, str(HANGING_SERVER), str(hanging_port)], work / "hanging.log")
    try:
        for backend in backends:
            backend.start()
        entries = {f"b{i}": {"url": b.url} for i, b in enumerate(backends)}
        entries["hanging"] = {"url": f"http://127.0.0.1:{hanging_port}/mcp"}
        gateway = McpGateway(work, entries, "mcp-gateway, ten backends, one hanging", tool="b0__echo")
        gateway.prepare()
        try:
            body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "tools/list", "params": {"_meta": modern_meta()}},
                              separators=(",", ":")).replace('"id":0', '"id":__ID__', 1)
            headers = {**gateway.headers, "Mcp-Method": "tools/list"}
            del headers["Mcp-Name"]
            last_tool = f"b{FAST_BACKENDS - 1}__echo"
            # Each backend's tools appear once it is connected; the hanging one never is.
            figures.list_ready_s = gateway.start_until(gateway.url, headers, body, expect=last_tool)
            figures.tools_list = {c: run_wrk(gateway.url, seconds, c, "POST", body, headers, expect=last_tool)
                                  for c in (1, 16, 64)}
        finally:
            gateway.stop()
    finally:
        for backend in backends:
            backend.stop()
        stop(hanging)


def measure_rotations(work: Path, figures: GatewayOnlyFigures, count: int = 300) -> None:
    gw = Gateway(work / "rotations", overrides={"LOG_LEVEL": "warning"}).start()
    try:
        clients = figures.rotation_clients
        ready = threading.Barrier(clients + 1)

        def rotate(rotations: int, wait: bool) -> tuple[float, float]:
            """Times `rotations` refreshes in a row by one client (registration and consent come first, untimed)."""
            with httpx2.Client(timeout=30, trust_env=False) as http:
                client, tokens = obtain_tokens(http, gw)
                if wait:
                    ready.wait(timeout=120)
                started = time.perf_counter()
                for _ in range(rotations):
                    tokens = check_tokens(refresh(http, gw, client["client_id"], tokens["refresh_token"]))
                return started, time.perf_counter()

        started, ended = rotate(count, wait=False)
        figures.rotations_sequential = count / (ended - started)
        per_client = count // clients + 1
        with ThreadPoolExecutor(clients) as pool:
            spans = [pool.submit(rotate, per_client, True) for _ in range(clients)]
            ready.wait(timeout=120)
            times = [span.result(timeout=300) for span in spans]
        figures.rotations_concurrent = per_client * clients / (max(e for _, e in times) - min(s for s, _ in times))
    finally:
        gw.stop()


def measure_sessions(work: Path, figures: GatewayOnlyFigures) -> None:
    backend = DirectBackend(work / "sessions-backend")
    backend.start()
    gateway = McpGateway(work, {"fast": {"url": backend.url}}, "mcp-gateway, 1,000 sessions")
    gateway.prepare()
    try:
        gateway.start()
        time.sleep(2)
        figures.rss_before_sessions = tree_rss(gateway.pid)
        asyncio.run(asyncio.wait_for(hold_sessions(gateway, figures), timeout=300))
    finally:
        gateway.stop()
        backend.stop()


async def hold_sessions(gateway: McpGateway, figures: GatewayOnlyFigures) -> None:
    async with client(SESSIONS + 50) as http:
        gate = asyncio.Semaphore(50)

        async def new_session() -> str:
            async with gate:
                return await open_session(http, gateway.url, gateway.token)

        sessions = await asyncio.gather(*(new_session() for _ in range(SESSIONS)))
        await asyncio.sleep(1)
        figures.rss_with_sessions = tree_rss(gateway.pid)
        async with contextlib.AsyncExitStack() as streams:
            for session in sessions:
                await listen(streams, http, gateway.url, gateway.token, session)
            await asyncio.sleep(1)
            figures.rss_with_streams = tree_rss(gateway.pid)


def measure_gateway_only(work: Path, seconds: float) -> GatewayOnlyFigures:
    work.mkdir(parents=True, exist_ok=True)
    figures = GatewayOnlyFigures()
    measure_tools_list(work / "tools-list", seconds, figures)
    measure_rotations(work, figures)
    measure_sessions(work / "sessions", figures)
    return figures
