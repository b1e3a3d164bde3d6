"""MCP over aiohttp for the load tests and the benchmark: hundreds of connections at once, where httpx's pool
falls behind the gateway it is meant to load."""

from __future__ import annotations

import contextlib
import itertools

import aiohttp

from mcp_helpers import ACCEPT, LATEST_HANDSHAKE, bearer, session_headers

_ids = itertools.count(1)


def client(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                 timeout=aiohttp.ClientTimeout(total=60))


def rpc(method: str, params: dict | None = None) -> dict:
    body = {"jsonrpc": "2.0", "id": next(_ids), "method": method}
    if params is not None:
        body["params"] = params
    return body


async def open_session(http: aiohttp.ClientSession, url: str, token: str) -> str:
    initialize = rpc("initialize", {
        "protocolVersion": LATEST_HANDSHAKE, "capabilities": {}, "clientInfo": {"name": "load", "version": "1"}})
    async with http.post(url, json=initialize, headers={"Accept": ACCEPT, **bearer(token)}) as r:
        session = r.headers.get("mcp-session-id")
        assert r.status == 200 and session, f"initialize: {r.status} {(await r.text())[:300]}"
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    async with http.post(url, json=initialized, headers=session_headers(token, session)) as r:
        assert r.status == 202, f"initialized: {r.status} {(await r.text())[:300]}"
    return session


async def listen(streams: contextlib.AsyncExitStack, http: aiohttp.ClientSession, url: str, token: str, session: str) -> None:
    """Opens a GET event stream on the session, kept open until `streams` closes."""
    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session, "MCP-Protocol-Version": LATEST_HANDSHAKE,
               **bearer(token)}
    r = await streams.enter_async_context(http.get(url, headers=headers))
    assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream"), f"stream: {r.status}"
    first = await r.content.readline()
    assert first.startswith(b":"), first
