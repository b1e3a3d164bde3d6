"""Raw JSON-RPC over HTTP on /mcp, in both protocol eras."""

from __future__ import annotations

import itertools
import json

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from gateway import Gateway

MODERN = "2026-07-28"
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_HANDSHAKE = "2025-11-25"
ACCEPT = "application/json, text/event-stream"

_ids = itertools.count(1)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def modern_meta(version: str = MODERN) -> dict:
    return {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "e2e", "version": "0.0.1"},
    }


def modern_body(method: str, params: dict | None = None, version: str = MODERN, meta: dict | None = None, id=None) -> dict:
    p = dict(params or {})
    p["_meta"] = modern_meta(version) if meta is None else meta
    return {"jsonrpc": "2.0", "id": next(_ids) if id is None else id, "method": method, "params": p}


def modern_headers(token: str | None, method: str | None, version: str | None = MODERN) -> dict[str, str]:
    h = {"Accept": ACCEPT, "Content-Type": "application/json", **bearer(token)}
    if version is not None:
        h["MCP-Protocol-Version"] = version
    if method is not None:
        h["Mcp-Method"] = method
    return h


def post_modern(http: httpx2.Client, gw: Gateway, token: str | None, method: str, params: dict | None = None,
                headers: dict[str, str] | None = None, **body_kw) -> httpx2.Response:
    body = modern_body(method, params, **body_kw)
    h = modern_headers(token, method)
    h.update(headers or {})
    return http.post(gw.mcp_url, json=body, headers=h)


def post_raw(http: httpx2.Client, gw: Gateway, token: str | None, content: bytes | str,
             headers: dict[str, str] | None = None) -> httpx2.Response:
    h = {"Accept": ACCEPT, "Content-Type": "application/json", **bearer(token)}
    h.update(headers or {})
    return http.post(gw.mcp_url, content=content, headers=h)


def messages(r: httpx2.Response) -> list[dict]:
    """The JSON-RPC messages of a response, whether it is application/json or an SSE stream."""
    return messages_in(r.headers.get("content-type", ""), r.text)


def messages_in(content_type: str, text: str) -> list[dict]:
    """The JSON-RPC messages of a response body of this content type (application/json or text/event-stream)."""
    if content_type.split(";")[0].strip().lower() == "text/event-stream":
        out, data = [], []
        for line in text.splitlines() + [""]:
            if line == "":
                if data:
                    out.append(json.loads("\n".join(data)))
                data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
        return out
    if not text:
        return []
    body = json.loads(text)
    return body if isinstance(body, list) else [body]


def response_message(r: httpx2.Response) -> dict:
    """The one JSON-RPC response (result or error) in an HTTP response."""
    for m in messages(r):
        if "result" in m or "error" in m:
            return m
    raise AssertionError(f"no JSON-RPC response in {r.status_code} {r.headers.get('content-type')}: {r.text[:1000]}")


def result(r: httpx2.Response) -> dict:
    assert r.status_code == 200, f"{r.status_code} {r.text[:1000]}"
    m = response_message(r)
    assert "result" in m, m
    return m["result"]


def rpc_error(r: httpx2.Response, status: int, code: int) -> dict:
    assert r.status_code == status, f"expected HTTP {status} / {code}, got {r.status_code}: {r.text[:1000]}"
    m = response_message(r)
    assert "error" in m, m
    assert m["error"]["code"] == code, m
    return m


def token_status(http: httpx2.Client, gw: Gateway, token: str) -> int:
    """HTTP status of a modern tools/list with this access token (200 works, 401 refused)."""
    return post_modern(http, gw, token, "tools/list").status_code


def initialize(http: httpx2.Client, gw: Gateway, token: str, version: str = LATEST_HANDSHAKE,
               header_version: str | None = None) -> tuple[httpx2.Response, str | None]:
    body = {
        "jsonrpc": "2.0",
        "id": next(_ids),
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "0.0.1"},
        },
    }
    h = {"Accept": ACCEPT, "Content-Type": "application/json", **bearer(token)}
    if header_version:
        h["MCP-Protocol-Version"] = header_version
    r = http.post(gw.mcp_url, json=body, headers=h)
    return r, r.headers.get("mcp-session-id")


def session_headers(token: str, session: str | None, version: str = LATEST_HANDSHAKE) -> dict[str, str]:
    h = {"Accept": ACCEPT, "Content-Type": "application/json", "MCP-Protocol-Version": version, **bearer(token)}
    if session:
        h["Mcp-Session-Id"] = session
    return h


def post_session(http: httpx2.Client, gw: Gateway, token: str, session: str | None, method: str,
                 params: dict | None = None, notification: bool = False) -> httpx2.Response:
    body: dict = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        body["params"] = params
    if not notification:
        body["id"] = next(_ids)
    return http.post(gw.mcp_url, json=body, headers=session_headers(token, session))


def open_session(http: httpx2.Client, gw: Gateway, token: str) -> str:
    r, session = initialize(http, gw, token)
    assert r.status_code == 200, r.text
    assert session, f"no Mcp-Session-Id on the initialize response: {r.headers}"
    n = post_session(http, gw, token, session, "notifications/initialized", notification=True)
    assert n.status_code == 202, f"{n.status_code} {n.text}"
    return session


def find_mcp_error(raised: BaseException) -> MCPError | None:
    """The JSON-RPC error inside what the SDK client raised (it wraps errors in exception groups)."""
    if isinstance(raised, MCPError):
        return raised
    for inner in getattr(raised, "exceptions", ()):
        if found := find_mcp_error(inner):
            return found
    return None


def run_sdk_client(gw: Gateway, token: str, body, mode: str = MODERN, timeout: float = 60, **client_kw):
    """Runs `await body(client)` in one MCP SDK client session on the gateway's /mcp (`mode` is "legacy" or
    "2026-07-28"), after checking the version it negotiated; returns what body returns."""

    async def main():
        with anyio.fail_after(timeout):
            async with httpx2.AsyncClient(headers=bearer(token), timeout=httpx2.Timeout(30), trust_env=False) as http:
                async with Client(streamable_http_client(gw.mcp_url, http_client=http), mode=mode,
                                  read_timeout_seconds=30, cache=None, **client_kw) as client:
                    assert client.protocol_version == (MODERN if mode == MODERN else LATEST_HANDSHAKE)
                    return await body(client)

    return anyio.run(main)
