"""A backend's tool list changes: the gateway's view follows, and clients hear of it (modern: subscriptions/listen;
handshake: the session's GET stream)."""

from __future__ import annotations

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from backend_fixtures import BackendProcess, gateway_in_front
from mcp_helpers import bearer, modern_body, modern_headers


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("listchanges")
    processes = {"alpha": BackendProcess(work, "alpha"), "delta": BackendProcess(work, "delta", handshake_only=True)}
    with gateway_in_front(work, processes, name="list-changes gateway") as setup:
        yield setup


def client(setup, http, mode, **kw) -> Client:
    gw, _ = setup
    return Client(streamable_http_client(gw.mcp_url, http_client=http), mode=mode, read_timeout_seconds=30, cache=None, **kw)


def http_client(setup) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers=bearer(setup[1]), timeout=httpx2.Timeout(30), trust_env=False)


@pytest.mark.parametrize("backend", ["alpha", "delta"])
def test_a_modern_listener_hears_of_a_new_tool(setup, backend):
    new_tool = f"fresh_{backend}_modern"

    async def main():
        with anyio.fail_after(30):
            async with http_client(setup) as http, client(setup, http, "2026-07-28") as listener, \
                    client(setup, http, "legacy") as actor:
                async with listener.listen(tools_list_changed=True) as subscription:
                    assert subscription.honored.tools_list_changed
                    result = await actor.call_tool(f"{backend}__grow", {"name": new_tool})
                    assert result.content[0].text == f"added {new_tool}"
                    await subscription.__anext__()
                names = {t.name for t in (await listener.list_tools()).tools}
                return names, await listener.call_tool(f"{backend}__{new_tool}", {})

    names, result = anyio.run(main)
    assert f"{backend}__{new_tool}" in names
    assert result.content[0].text == f"{new_tool} ran"


@pytest.mark.parametrize("backend", ["alpha", "delta"])
def test_a_handshake_client_hears_of_a_new_tool_on_its_stream(setup, backend):
    new_tool = f"fresh_{backend}_legacy"
    heard = anyio.Event()

    async def on_message(message) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            heard.set()

    async def main():
        with anyio.fail_after(30):
            async with http_client(setup) as http, client(setup, http, "legacy", message_handler=on_message) as listener, \
                    client(setup, http, "2026-07-28") as actor:
                await listener.list_tools()
                await anyio.sleep(0.5)  # the SDK opens its GET stream in the background
                await actor.call_tool(f"{backend}__grow", {"name": new_tool})
                await heard.wait()
                return {t.name for t in (await listener.list_tools()).tools}

    assert f"{backend}__{new_tool}" in anyio.run(main)


def test_listen_without_a_filter_is_invalid_params(setup):
    gw, token = setup
    with httpx2.Client(timeout=30, trust_env=False) as http:
        r = http.post(gw.mcp_url, json=modern_body("subscriptions/listen", {}),
                      headers=modern_headers(token, "subscriptions/listen"))
    assert r.status_code == 400 and r.json()["error"]["code"] == -32602, r.text
