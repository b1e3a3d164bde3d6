"""Personal tokens with the `mcp` scope (`mcp-gateway tokens create --scope mcp [--backends …]`): they open /mcp and
/status like an approved application's token, to every backend or only the ones named (other backends' tools,
resources and prompts are neither listed nor callable, in both protocol eras); the audit names the token; revoking
it closes /mcp at once; a `status`-only token still gets 403 on /mcp; bad backend lists create nothing."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from cli_helpers import cli
from mcp_helpers import (ACCEPT, MODERN, bearer, find_mcp_error, modern_body, post_modern, result, rpc_error,
                         run_sdk_client, token_status)

MODES = [MODERN, "legacy"]
AUDIT_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("mcp-tokens")
    processes = {"alpha": BackendProcess(work, "alpha"), "beta": BackendProcess(work, "beta")}
    with gateway_in_front(work, processes, name="mcp-token gateway") as setup:
        yield setup


@pytest.fixture
def http():
    with httpx2.Client(timeout=15, trust_env=False) as client:
        yield client


def create_token(gw, name: str, *options: str) -> str:
    """`tokens create --name NAME OPTIONS…` with the gateway's own settings (so it knows the backends)."""
    token = cli(gw, "tokens", "create", "--name", name, *options, settings=True).stdout.strip()
    assert token.startswith("mgw_"), token
    return token


def listed_tokens(gw) -> list[dict]:
    return json.loads(cli(gw, "tokens", "list", "--json", "--all").stdout)


def entry(gw, name: str) -> dict:
    return next(t for t in listed_tokens(gw) if t["name"] == name)


async def catalogue(client) -> dict[str, set[str]]:
    """Every tool, resource, resource template and prompt the session is shown, by kind."""
    return {
        "tools": {t.name for t in (await client.list_tools()).tools},
        "resources": {str(r.uri) for r in (await client.list_resources()).resources},
        "templates": {t.uri_template for t in (await client.list_resource_templates()).resource_templates},
        "prompts": {p.name for p in (await client.list_prompts()).prompts},
    }


def call_tool(gw, token: str, name: str, arguments: dict, mode: str = MODERN):
    async def body(client):
        return await client.call_tool(name, arguments)

    return run_sdk_client(gw, token, body, mode)


def refused_call(gw, token: str, name: str, arguments: dict, mode: str = MODERN):
    """The JSON-RPC error the SDK client got for a call the gateway must refuse."""
    with pytest.raises(BaseException) as raised:
        call_tool(gw, token, name, arguments, mode)
    error = find_mcp_error(raised.value)
    assert error is not None, f"the call failed, but not with a JSON-RPC error: {raised.value!r}"
    return error


def audit_rows(gw, text: str) -> list[dict]:
    """Audit rows (JSON) whose line mentions `text`, waiting for the batched writer."""
    deadline = time.monotonic() + AUDIT_TIMEOUT
    while True:
        rows = [json.loads(line) for line in cli(gw, "audit", "--json").stdout.splitlines() if text in line]
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def text_of(call_result) -> str:
    return "".join(getattr(c, "text", "") for c in call_result.content)


# ---- a token limited to one backend -----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_token_limited_to_alpha_sees_and_calls_only_alpha(setup, mode):
    gw, _ = setup
    name = f"alpha-only-{mode}"
    token = create_token(gw, name, "--scope", "mcp", "--backends", "alpha")
    listed = entry(gw, name)
    assert listed["backends"] == ["alpha"] and listed["scope"] == "mcp" and listed["state"] == "live", listed

    async def body(client):
        shown = await catalogue(client)
        echoed = await client.call_tool("alpha__echo", {"text": f"limited {mode}"})
        return shown, echoed

    shown, echoed = run_sdk_client(gw, token, body, mode)
    assert shown["tools"] and all(t.startswith("alpha__") for t in shown["tools"]), shown["tools"]
    assert "alpha__echo" in shown["tools"] and "beta__echo" not in shown["tools"]
    assert not any("beta" in r for r in shown["resources"] | shown["templates"]), shown
    assert any("res://alpha/greeting" in r for r in shown["resources"]), shown["resources"]
    assert shown["prompts"] == {"alpha__greet"}, shown["prompts"]
    assert not echoed.is_error and text_of(echoed) == f"alpha: limited {mode}", echoed

    error = refused_call(gw, token, "beta__echo", {"text": "must not reach beta"}, mode)
    assert error.code == -32602 and "Unknown tool" in error.message, error


def test_an_unrestricted_mcp_token_sees_every_backend(setup, http):
    gw, _ = setup
    token = create_token(gw, "everything", "--scope", "mcp")
    assert entry(gw, "everything")["backends"] is None

    async def body(client):
        shown = await catalogue(client)
        return shown, await client.call_tool("beta__echo", {"text": "to beta"})

    shown, echoed = run_sdk_client(gw, token, body)
    assert {"alpha__echo", "beta__echo"} <= shown["tools"], shown["tools"]
    assert {"alpha__greet", "beta__greet"} <= shown["prompts"], shown["prompts"]
    assert any("res://beta/greeting" in r for r in shown["resources"]), shown["resources"]
    assert text_of(echoed) == "beta: to beta", echoed
    # The mcp scope opens /status as well; its caller is the token.
    status = http.get(gw.url("/status"), headers=bearer(token))
    assert status.status_code == 200 and status.json()["caller"]["client_id"] == "token:everything", status.text


def test_the_audit_names_the_token_and_revoking_it_closes_mcp_at_once(setup, http):
    gw, _ = setup
    token = create_token(gw, "scripted", "--scope", "mcp", "--backends", "alpha", "--expires", "1h")
    assert entry(gw, "scripted")["expires_at"], entry(gw, "scripted")
    called = call_tool(gw, token, "alpha__echo", {"text": "audited for the script"})
    assert not called.is_error, called
    rows = audit_rows(gw, "audited for the script")
    assert rows, "no audit row for the token's call"
    assert rows[0]["client_id"] == "token:scripted" and rows[0]["backend"] == "alpha" and rows[0]["outcome"] == "ok", rows

    assert token_status(http, gw, token) == 200
    cli(gw, "tokens", "revoke", "scripted")
    r = post_modern(http, gw, token, "tools/list")
    assert r.status_code == 401, f"the revoked token still opens /mcp: {r.status_code} {r.text[:300]}"
    assert http.get(gw.url("/status"), headers=bearer(token)).status_code == 401
    assert entry(gw, "scripted")["state"] == "revoked"


def test_a_plain_http_client_lists_tools_with_the_token(setup, http):
    """What a script does with curl: one POST, the bearer token, the modern envelope, no session."""
    gw, _ = setup
    token = create_token(gw, "curl-script", "--scope", "mcp", "--backends", "alpha")
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": ACCEPT,
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/list",
    }
    r = http.post(gw.mcp_url, json=modern_body("tools/list"), headers=headers)
    tools = {t["name"] for t in result(r)["tools"]}
    assert "alpha__echo" in tools and not any(t.startswith("beta__") for t in tools), tools
    # 2026-07-28 wants the method in a header as well; without it the request is refused, not guessed.
    del headers["Mcp-Method"]
    refused = rpc_error(http.post(gw.mcp_url, json=modern_body("tools/list"), headers=headers), 400, -32020)
    assert "Mcp-Method header is missing" in refused["error"]["message"], refused


# ---- scopes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["status mcp", "mcp,status"])
def test_both_scopes_open_status_and_mcp(setup, http, scope):
    gw, _ = setup
    name = "both-" + scope.replace(" ", "-").replace(",", "-")
    token = create_token(gw, name, "--scope", scope)
    assert set(entry(gw, name)["scope"].split()) == {"status", "mcp"}, entry(gw, name)
    assert http.get(gw.url("/status"), headers=bearer(token)).status_code == 200
    assert token_status(http, gw, token) == 200
    metrics = http.get(gw.url("/metrics"), headers=bearer(token))
    assert metrics.status_code == 200, f"/metrics with the status scope: {metrics.status_code} {metrics.text[:300]}"


def test_a_status_token_is_still_refused_on_mcp(setup, http):
    gw, _ = setup
    token = create_token(gw, "status-only")
    assert http.get(gw.url("/status"), headers=bearer(token)).status_code == 200
    r = post_modern(http, gw, token, "tools/list")
    assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers.get("www-authenticate", ""), (
        r.status_code, r.headers, r.text[:300])


# ---- options that create nothing --------------------------------------------------------------------


def test_backends_without_the_mcp_scope_is_a_usage_error(setup):
    gw, _ = setup
    before = listed_tokens(gw)
    done = cli(gw, "tokens", "create", "--name", "misused", "--backends", "alpha", expect=64, settings=True)
    assert "--scope mcp" in done.stderr and not done.stdout.strip(), done
    assert listed_tokens(gw) == before


@pytest.mark.parametrize("backends", ["gamma", "alpha,gamma"])
def test_an_unknown_backend_name_creates_nothing(setup, backends):
    gw, _ = setup
    before = listed_tokens(gw)
    done = cli(gw, "tokens", "create", "--name", "typo", "--scope", "mcp", "--backends", backends, expect=65,
               settings=True)
    assert 'no backend named "gamma"' in done.stderr, done.stderr
    assert "mgw_" not in done.stdout, done.stdout
    assert listed_tokens(gw) == before, "a token was created despite the unknown backend"
