"""Raw HTTP on /mcp with a valid token: the stateless 2026-07-28 era, the handshake era, JSON-RPC errors, limits."""

import base64
import json

import pytest

from mcp_helpers import (
    HANDSHAKE_VERSIONS,
    LATEST_HANDSHAKE,
    MODERN,
    bearer,
    initialize,
    messages,
    modern_body,
    modern_headers,
    modern_meta,
    open_session,
    post_modern,
    post_raw,
    post_session,
    response_message,
    result,
    rpc_error,
    session_headers,
)

# --- modern (2026-07-28) ---------------------------------------------------------------------


def test_server_discover(http, gw, access_token):
    res = result(post_modern(http, gw, access_token, "server/discover"))
    assert res["resultType"] == "complete"
    assert MODERN in res["supportedVersions"] and LATEST_HANDSHAKE in res["supportedVersions"]
    assert isinstance(res["capabilities"], dict)
    assert isinstance(res["ttlMs"], int) and res["ttlMs"] >= 0
    assert res["cacheScope"] in ("private", "public")


def test_tools_list(http, gw, access_token):
    res = result(post_modern(http, gw, access_token, "tools/list"))
    assert res["tools"] == []
    assert res["resultType"] == "complete"
    assert isinstance(res["ttlMs"], int) and res["ttlMs"] >= 0
    assert res["cacheScope"] in ("private", "public")


def test_response_keeps_the_request_id(http, gw, access_token):
    r = post_modern(http, gw, access_token, "tools/list", id="abc-123")
    assert response_message(r)["id"] == "abc-123"


def test_missing_mcp_method_header(http, gw, access_token):
    h = modern_headers(access_token, None)
    rpc_error(http.post(gw.mcp_url, json=modern_body("tools/list"), headers=h), 400, -32020)


def test_mismatched_mcp_method_header(http, gw, access_token):
    h = modern_headers(access_token, "server/discover")
    rpc_error(http.post(gw.mcp_url, json=modern_body("tools/list"), headers=h), 400, -32020)


def test_protocol_version_header_differs_from_meta(http, gw, access_token):
    h = modern_headers(access_token, "tools/list", version="2025-11-25")
    rpc_error(http.post(gw.mcp_url, json=modern_body("tools/list"), headers=h), 400, -32020)


def test_missing_meta_protocol_version(http, gw, access_token):
    meta = modern_meta()
    del meta["io.modelcontextprotocol/protocolVersion"]
    body = modern_body("tools/list", meta=meta)
    rpc_error(http.post(gw.mcp_url, json=body, headers=modern_headers(access_token, "tools/list")), 400, -32602)


def test_missing_meta_client_capabilities(http, gw, access_token):
    meta = modern_meta()
    del meta["io.modelcontextprotocol/clientCapabilities"]
    body = modern_body("tools/list", meta=meta)
    rpc_error(http.post(gw.mcp_url, json=body, headers=modern_headers(access_token, "tools/list")), 400, -32602)


def test_unsupported_version(http, gw, access_token):
    body = modern_body("server/discover", version="2099-01-01")
    h = modern_headers(access_token, "server/discover", version="2099-01-01")
    m = rpc_error(http.post(gw.mcp_url, json=body, headers=h), 400, -32022)
    data = m["error"]["data"]
    assert MODERN in data["supported"]
    assert data["requested"] == "2099-01-01"


def test_unknown_method(http, gw, access_token):
    rpc_error(post_modern(http, gw, access_token, "no/such-method"), 404, -32601)


def test_ping_is_not_modern(http, gw, access_token):
    rpc_error(post_modern(http, gw, access_token, "ping"), 404, -32601)


def test_get_without_session_in_modern_mode(http, gw, access_token):
    h = {"Accept": "text/event-stream", "MCP-Protocol-Version": MODERN, **bearer(access_token)}
    assert http.get(gw.mcp_url, headers=h).status_code == 405


def test_delete_in_modern_mode(http, gw, access_token):
    h = {"MCP-Protocol-Version": MODERN, **bearer(access_token)}
    assert http.delete(gw.mcp_url, headers=h).status_code == 405


def test_tools_call_needs_the_mcp_name_header(http, gw, access_token):
    r = post_modern(http, gw, access_token, "tools/call", params={"name": "nope", "arguments": {}})
    rpc_error(r, 400, -32020)


def test_tools_call_with_a_mismatched_mcp_name_header(http, gw, access_token):
    r = post_modern(http, gw, access_token, "tools/call", params={"name": "nope", "arguments": {}},
                    headers={"Mcp-Name": "other"})
    rpc_error(r, 400, -32020)


@pytest.mark.parametrize("name,header", [
    ("nope", "nope"),
    ("héllo", "=?base64?" + base64.b64encode("héllo".encode()).decode() + "?="),
])
def test_tools_call_of_an_unknown_tool(http, gw, access_token, name, header):
    """The headers match (plain or =?base64?…?= encoded), so the answer is about the tool: invalid params."""
    r = post_modern(http, gw, access_token, "tools/call", params={"name": name, "arguments": {}},
                    headers={"Mcp-Name": header})
    assert r.status_code in (200, 400, 404), r.text
    assert response_message(r)["error"]["code"] == -32602, r.text


def test_json_only_accept_gets_json(http, gw, access_token):
    r = post_modern(http, gw, access_token, "tools/list", headers={"Accept": "application/json"})
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    assert result(r)["tools"] == []


def test_lowercase_bearer_scheme(http, gw, access_token):
    """RFC 7235: the auth scheme is case-insensitive."""
    r = post_modern(http, gw, None, "tools/list", headers={"Authorization": f"bearer {access_token}"})
    assert r.status_code == 200, r.text


# --- handshake era ---------------------------------------------------------------------------


def test_initialize_negotiates_a_handshake_version_even_if_asked_for_modern(http, gw, access_token):
    r, session = initialize(http, gw, access_token, version=MODERN, header_version=MODERN)
    res = result(r)
    assert session, r.headers
    assert res["protocolVersion"] in HANDSHAKE_VERSIONS
    assert res["serverInfo"]["name"]


@pytest.mark.parametrize("version", ["2025-11-25", "2025-06-18", "2025-03-26"])
def test_initialize_echoes_a_supported_version(http, gw, access_token, version):
    r, session = initialize(http, gw, access_token, version=version)
    assert session
    assert result(r)["protocolVersion"] == version


def test_session_lifecycle(http, gw, access_token):
    session = open_session(http, gw, access_token)  # initialize + notifications/initialized → 202
    assert result(post_session(http, gw, access_token, session, "ping")) == {}
    assert result(post_session(http, gw, access_token, session, "tools/list"))["tools"] == []
    d = http.delete(gw.mcp_url, headers=session_headers(access_token, session))
    assert d.status_code in (200, 202, 204), d.text
    assert post_session(http, gw, access_token, session, "ping").status_code == 404


def test_notification_gets_202_without_body(http, gw, access_token):
    session = open_session(http, gw, access_token)
    r = post_session(http, gw, access_token, session, "notifications/cancelled",
                     params={"requestId": 999, "reason": "test"}, notification=True)
    assert r.status_code == 202
    assert r.content == b""


def test_unsupported_protocol_version_header_in_a_session(http, gw, access_token):
    session = open_session(http, gw, access_token)
    h = {**session_headers(access_token, session), "MCP-Protocol-Version": "1999-01-01"}
    r = http.post(gw.mcp_url, json={"jsonrpc": "2.0", "id": 77, "method": "ping"}, headers=h)
    assert r.status_code == 400, r.text


def test_request_without_session(http, gw, access_token):
    r = post_session(http, gw, access_token, None, "tools/list")
    assert r.status_code == 400, r.text


def test_unknown_session(http, gw, access_token):
    r = post_session(http, gw, access_token, "no-such-session-0123456789", "tools/list")
    assert r.status_code == 404, r.text


def test_get_stream_on_a_session(http, gw, access_token):
    session = open_session(http, gw, access_token)
    h = {**session_headers(access_token, session), "Accept": "text/event-stream"}
    with http.stream("GET", gw.mcp_url, headers=h, timeout=10) as r:
        assert r.status_code == 200
        assert r.headers.get("content-type", "").startswith("text/event-stream")
        assert "no-cache" in r.headers.get("cache-control", "")
        assert r.headers.get("x-accel-buffering", "").lower() == "no"
    # Closed without reading the body; the session is still usable.
    assert result(post_session(http, gw, access_token, session, "ping")) == {}


# --- JSON-RPC framing and limits -------------------------------------------------------------


def test_parse_error(http, gw, access_token):
    m = rpc_error(post_raw(http, gw, access_token, b'{"jsonrpc": "2.0", "id": 1, "method": '), 400, -32700)
    assert m["id"] is None


def test_invalid_request_keeps_the_id(http, gw, access_token):
    m = rpc_error(post_raw(http, gw, access_token, json.dumps({"jsonrpc": "2.0", "id": 5})), 400, -32600)
    assert m["id"] == 5


def test_wrong_jsonrpc_version(http, gw, access_token):
    body = json.dumps({"jsonrpc": "1.0", "id": 6, "method": "tools/list"})
    m = rpc_error(post_raw(http, gw, access_token, body), 400, -32600)
    assert m["id"] == 6


def test_batch_is_refused(http, gw, access_token):
    batch = [modern_body("tools/list"), modern_body("server/discover")]
    r = post_raw(http, gw, access_token, json.dumps(batch), headers={"MCP-Protocol-Version": MODERN})
    assert r.status_code == 400, r.text
    errors = [m for m in messages(r) if "error" in m]
    assert errors and all(m["error"]["code"] == -32600 for m in errors), r.text


def test_body_too_large(http, gw, access_token):
    body = modern_body("tools/list", params={"padding": "x" * (70 * 1024)})
    r = http.post(gw.mcp_url, json=body, headers=modern_headers(access_token, "tools/list"))
    assert r.status_code == 413, f"{r.status_code} {r.text[:300]}"


def test_body_just_under_the_limit(http, gw, access_token):
    body = modern_body("tools/list", params={"padding": "x" * (60 * 1024)})
    r = http.post(gw.mcp_url, json=body, headers=modern_headers(access_token, "tools/list"))
    assert r.status_code == 200, f"{r.status_code} {r.text[:300]}"


# --- Origin and CORS -------------------------------------------------------------------------


def test_foreign_origin(http, gw, access_token):
    r = post_modern(http, gw, access_token, "tools/list", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403, r.text


@pytest.mark.parametrize("origin", ["{issuer}", "http://localhost:6274", "http://127.0.0.1:6274"])
def test_allowed_origins(http, gw, access_token, origin):
    r = post_modern(http, gw, access_token, "tools/list", headers={"Origin": origin.format(issuer=gw.issuer)})
    assert r.status_code == 200, r.text


def test_cors_preflight(http, gw):
    r = http.options(gw.mcp_url, headers={
        "Origin": "http://localhost:6274",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,mcp-protocol-version,mcp-session-id",
    })
    assert 200 <= r.status_code < 300, f"{r.status_code} {r.text}"
    allowed = {h.strip().lower() for h in r.headers.get("access-control-allow-headers", "").split(",")}
    assert {"authorization", "content-type", "mcp-session-id", "mcp-protocol-version"} <= allowed or "*" in allowed, \
        r.headers
    assert "POST" in r.headers.get("access-control-allow-methods", "").upper(), r.headers


def _exposed(r) -> set[str]:
    return {h.strip().lower() for h in r.headers.get("access-control-expose-headers", "").split(",") if h.strip()}


def test_cors_exposes_www_authenticate_on_the_challenge(http, gw):
    """A browser client (MCP Inspector) can only read WWW-Authenticate if the actual response exposes it."""
    r = http.post(gw.mcp_url, json=modern_body("tools/list"),
                  headers={**modern_headers(None, "tools/list"), "Origin": "http://localhost:6274"})
    assert r.status_code == 401
    assert r.headers.get("access-control-allow-origin") in ("*", "http://localhost:6274"), r.headers
    assert "www-authenticate" in _exposed(r), dict(r.headers)


def test_cors_exposes_the_session_id_on_initialize(http, gw, access_token):
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": LATEST_HANDSHAKE, "capabilities": {}, "clientInfo": {"name": "e2e", "version": "0"}}}
    r = http.post(gw.mcp_url, json=body, headers={**bearer(access_token), "Accept": "application/json, text/event-stream",
                                                  "Origin": "http://localhost:6274"})
    assert r.status_code == 200 and r.headers.get("mcp-session-id"), r.text
    assert r.headers.get("access-control-allow-origin") in ("*", "http://localhost:6274"), r.headers
    assert "mcp-session-id" in _exposed(r), dict(r.headers)
