"""Load: 500 client sessions at once making 20 tool calls each without a single error, and 1,000 idle SSE
streams held open together, then released, with the gateway answering others throughout.

The backends are the fast fixture (Tests/e2e/backends/fast_server.py), one speaking the current revision and one
only the handshake era, so every client session also maps to a backend session of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time

import aiohttp
import pytest

from aiohttp_mcp import client, listen, open_session, rpc
from backend_fixtures import gateway_in_front, resident_bytes, script_backend
from mcp_helpers import messages_in, session_headers

SESSIONS = 500
CALLS_PER_SESSION = 20
STREAMS = 1000
MAXIMUM_STREAMS_PER_SESSION = 4  # the gateway's: a released stream still counted would make one more refused
MEMORY_LIMIT = 300 * 1024 * 1024


def raise_open_file_limit(needed: int) -> None:
    """Each stream is a socket at both ends; the gateway inherits this process's limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < needed:
        pytest.skip(f"the open-file limit ({hard}) is below the {needed} this test needs")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    raise_open_file_limit(2 * STREAMS + 1000)
    work = tmp_path_factory.mktemp("load")
    backends = {
        "fast": script_backend(work, "fast", "fast_server.py"),
        "legacy": script_backend(work, "legacy", "fast_server.py", "--handshake-only"),
    }
    with gateway_in_front(work, backends, name="loaded gateway", overrides={"LOG_LEVEL": "warning"}) as setup:
        yield setup


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def settled_open_files(pid: int, timeout: float = 30) -> int:
    """The gateway's open-file count once it stops falling (closed connections take a moment to be noticed)."""
    deadline = time.monotonic() + timeout
    count = open_files(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = open_files(pid)
        if now >= count:
            return now
        count = now
    return count


async def echo(http: aiohttp.ClientSession, url: str, token: str, session: str, tool: str, text: str) -> str | None:
    """None when the call came back right, else what was wrong with it."""
    try:
        call = rpc("tools/call", {"name": tool, "arguments": {"text": text}})
        async with http.post(url, json=call, headers=session_headers(token, session)) as r:
            body = await r.text()
            if r.status != 200:
                return f"{tool}: HTTP {r.status} {body[:200]}"
            answers = [m for m in messages_in(r.headers.get("content-type", ""), body) if m.get("id") == call["id"]]
        result = answers[0].get("result", {}) if answers else {}
        if result.get("isError") or (result.get("content") or [{}])[0].get("text") != text:
            return f"{tool}: {str(answers)[:200]}"
        return None
    except Exception as failure:  # noqa: BLE001 - every failure is counted and shown
        return f"{tool}: {type(failure).__name__}: {failure}"


def test_500_concurrent_sessions_of_20_calls_without_an_error(setup):
    gw, token = setup

    async def run() -> tuple[list[str], float]:
        async with client(SESSIONS) as http:
            sessions = await asyncio.gather(*(open_session(http, gw.mcp_url, token) for _ in range(SESSIONS)))
            assert len(set(sessions)) == SESSIONS

            async def session_calls(n: int, session: str) -> list[str]:
                problems = []
                for i in range(CALLS_PER_SESSION):
                    tool = "fast__echo" if i % 2 else "legacy__echo"
                    problem = await echo(http, gw.mcp_url, token, session, tool, f"session {n} call {i}")
                    if problem:
                        problems.append(problem)
                return problems

            started = time.monotonic()
            per_session = await asyncio.gather(*(session_calls(n, s) for n, s in enumerate(sessions)))
            return [p for problems in per_session for p in problems], time.monotonic() - started

    problems, seconds = asyncio.run(asyncio.wait_for(run(), timeout=100))
    calls = SESSIONS * CALLS_PER_SESSION
    print(f"\n{calls} calls over {SESSIONS} sessions in {seconds:.1f} s ({calls / seconds:.0f}/s), {len(problems)} failed")
    assert not problems, f"{len(problems)} of {calls} calls failed, e.g. {problems[:5]}"
    assert gw.running, gw.logs()


def test_1000_idle_streams_are_held_and_released(setup):
    gw, token = setup
    pid = gw.proc.pid

    async def run() -> None:
        async with client(50) as http:
            sessions = await asyncio.gather(*(open_session(http, gw.mcp_url, token) for _ in range(STREAMS)))
        files_before = await settled_open_files(pid)
        async with client(STREAMS + 50) as http:
            async with contextlib.AsyncExitStack() as streams:
                await asyncio.gather(*(listen(streams, http, gw.mcp_url, token, s) for s in sessions))
                held = open_files(pid)
                assert held >= files_before + STREAMS, f"{held} open files with {STREAMS} streams (before: {files_before})"

                # While all of them are open, the gateway serves others promptly.
                started = time.monotonic()
                async with client(1) as other:
                    async with other.get(gw.url("/health")) as r:
                        assert r.status == 200
                    newcomer = await open_session(other, gw.mcp_url, token)
                    assert await echo(other, gw.mcp_url, token, newcomer, "fast__echo", "still here") is None
                assert time.monotonic() - started < 5
                memory = resident_bytes(pid)
                print(f"\n{STREAMS} streams open: {held - files_before} more open files, {memory / 1e6:.0f} MB resident")
                assert memory < MEMORY_LIMIT, f"{memory / 1e6:.0f} MB with {STREAMS} open streams"
                await asyncio.sleep(2)

            # Released: the connections close at once, and each session may open its full share of streams again.
            released = await settled_open_files(pid)
            assert released <= files_before + 10, f"{released} open files after release ({files_before} before)"
            async with contextlib.AsyncExitStack() as streams:
                for session in sessions[:10]:
                    for _ in range(MAXIMUM_STREAMS_PER_SESSION):
                        await listen(streams, http, gw.mcp_url, token, session)

    asyncio.run(asyncio.wait_for(run(), timeout=100))
    assert gw.running, gw.logs()
