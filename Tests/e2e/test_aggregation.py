"""One /mcp in front of five FastMCP backends (Streamable HTTP, legacy SSE, stdio, a handshake-only HTTP server,
and one with 250 tools behind its own cursor), driven by the MCP Python SDK in both eras."""

from __future__ import annotations

import json
import re
import sqlite3
import time

import httpx2
import pytest

from backend_fixtures import BackendProcess, fixture_args, write_backends_file
from gateway import Gateway
from mcp_helpers import MODERN, bearer, modern_body, modern_headers, response_message, run_sdk_client
from oauth_helpers import obtain_tokens

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
BACKENDS = ("alpha", "beta", "delta", "gamma", "many", "twin")
MODES = ["2026-07-28", "legacy"]
CALL_TIMEOUT = 60


class Fleet:
    def __init__(self, gw: Gateway, token: str, processes: dict[str, BackendProcess]) -> None:
        self.gw = gw
        self.token = token
        self.processes = processes

    def run(self, mode: str, body, **client_kw):
        """Runs body(client) in an SDK client session of the given mode; returns its result."""

        return run_sdk_client(self.gw, self.token, body, mode, CALL_TIMEOUT, **client_kw)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    work = tmp_path_factory.mktemp("fleet")
    processes = {
        "alpha": BackendProcess(work, "alpha", "http"),
        "beta": BackendProcess(work, "beta", "sse"),
        "delta": BackendProcess(work, "delta", "http", handshake_only=True),
        "many": BackendProcess(work, "many", "http", many_tools=250),
    }
    for process in processes.values():
        process.start()
    stdio = fixture_args("gamma", "stdio")
    twin = fixture_args("twin", "stdio")
    backends_file = write_backends_file(work / "backends.json", {
        "alpha": {"url": processes["alpha"].url, "headers": {"X-Backend-Key": "${ALPHA_KEY}"}},
        "beta": {"url": processes["beta"].url, "transport": "sse"},
        "delta": {"url": processes["delta"].url},
        "many": {"url": processes["many"].url},
        "gamma": {"command": stdio[0], "args": stdio[1:], "sandbox": False, "env": {"FASTMCP_CHECK_FOR_UPDATES": "off"}},
        # Same prefix as alpha: every tool name collides, and the gateway must still expose them all.
        "twin": {"command": twin[0], "args": twin[1:], "sandbox": False, "prefix": "alpha"},
    })
    gw = Gateway(work / "gateway", {"BACKENDS_FILE": str(backends_file), "ALPHA_KEY": "k-alpha"}, name="fleet gateway")
    gw.start()
    try:
        with httpx2.Client(timeout=30, trust_env=False) as http:
            _, tokens = obtain_tokens(http, gw)
        yield Fleet(gw, tokens["access_token"], processes)
    finally:
        gw.stop()
        for process in processes.values():
            process.stop()


async def all_tools(client) -> list:
    tools, cursor = [], None
    for _ in range(20):
        page = await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            return tools
    raise AssertionError("the tool list never ended")


@pytest.mark.parametrize("mode", MODES)
def test_every_backend_is_listed_with_its_prefix(fleet, mode):
    tools = fleet.run(mode, all_tools)
    names = [t.name for t in tools]
    assert len(names) == len(set(names)), "duplicate exposed names"
    for name in names:
        assert TOOL_NAME.match(name), name
    for backend in ("alpha", "beta", "delta", "gamma", "many"):
        assert f"{backend}__echo" in names, (backend, sorted(names)[:40])
    generated = [n for n in names if n.startswith("many__gen_")]
    assert len(generated) == 250, "the gateway did not follow the backend's cursors"
    assert names == sorted(names), "the merged list is not in a stable order"


def test_the_merged_list_is_paged_by_an_opaque_cursor(fleet):
    async def pages(client):
        first = await client.list_tools()
        second = await client.list_tools(cursor=first.next_cursor)
        return first, second

    first, second = fleet.run("2026-07-28", pages)
    assert len(first.tools) == 200 and first.next_cursor
    assert not {t.name for t in first.tools} & {t.name for t in second.tools}


def test_a_cursor_the_gateway_did_not_make_is_invalid_params(fleet):
    with httpx2.Client(timeout=30, trust_env=False) as http:
        r = http.post(fleet.gw.mcp_url, json=modern_body("tools/list", {"cursor": "not-ours"}),
                      headers=modern_headers(fleet.token, "tools/list"))
    assert r.status_code == 400 and response_message(r)["error"]["code"] == -32602, r.text


@pytest.mark.parametrize("mode", MODES)
def test_a_call_reaches_each_backend(fleet, mode):
    async def calls(client):
        results = {}
        for backend in ("alpha", "beta", "delta", "gamma", "many"):
            result = await client.call_tool(f"{backend}__echo", {"text": "hi"})
            results[backend] = (result.is_error, result.content[0].text)
        return results

    for backend, (is_error, text) in fleet.run(mode, calls).items():
        assert not is_error and text == f"{backend}: hi", (backend, text)


def test_colliding_names_are_all_exposed_and_routed(fleet):
    async def body(client):
        names = [t.name for t in await all_tools(client)]
        searches = sorted(n for n in names if n.startswith("alpha__search"))
        texts = {}
        for name in searches:
            texts[name] = (await client.call_tool(name, {"query": "q"})).content[0].text
        return searches, texts

    searches, texts = fleet.run("2026-07-28", body)
    assert len(searches) == 2 and "alpha__search" in searches, searches
    assert texts["alpha__search"] == "alpha searched q"
    other = next(n for n in searches if n != "alpha__search")
    assert texts[other] == "twin searched q" and TOOL_NAME.match(other)


def test_a_70_character_tool_name_is_shortened_stably_and_callable(fleet):
    async def body(client):
        names = [t.name for t in await all_tools(client) if t.description == "A tool with a 70-character name"]
        return names, [(await client.call_tool(n, {})).content[0].text for n in names]

    names, texts = fleet.run("2026-07-28", body)
    assert len(names) == 6, names  # one per backend
    for name in names:
        assert len(name) == 64 and TOOL_NAME.match(name), name
    assert set(texts) == {"long tool ran"}
    again, _ = fleet.run("legacy", body)
    assert sorted(again) == sorted(names)


@pytest.mark.parametrize("mode", MODES)
def test_progress_notifications_are_relayed(fleet, mode):
    async def body(client):
        seen = {}
        for backend in ("alpha", "delta", "gamma"):
            updates = []

            async def on_progress(progress, total, message, updates=updates):
                updates.append((progress, total, message))

            result = await client.call_tool(f"{backend}__slow", {"seconds": 0.4}, progress_callback=on_progress)
            assert result.content[0].text == "done"
            seen[backend] = updates
        return seen

    for backend, updates in fleet.run(mode, body).items():
        assert [u[0] for u in updates] == [1, 2, 3, 4], (backend, updates)
        assert updates[-1][2] == "step 4/4"


@pytest.mark.parametrize("mode", MODES)
def test_resources_templates_and_prompts_are_merged_and_read_back(fleet, mode):
    async def body(client):
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        prompts = (await client.list_prompts()).prompts
        read = await client.read_resource("alpha+res://alpha/greeting")
        item = await client.read_resource("gamma+res://gamma/items/7")
        prompt = await client.get_prompt("beta__greet", {"person": "Ada"})
        return resources, templates, prompts, read, item, prompt

    resources, templates, prompts, read, item, prompt = fleet.run(mode, body)
    uris = {str(r.uri) for r in resources}
    assert {"alpha+res://alpha/greeting", "beta+res://beta/greeting", "gamma+res://gamma/greeting"} <= uris, uris
    assert "delta+res://delta/items/{item}" in {t.uri_template for t in templates}
    assert {"alpha__greet", "beta__greet", "gamma__greet"} <= {p.name for p in prompts}
    assert read.contents[0].text == "hello from alpha" and str(read.contents[0].uri) == "alpha+res://alpha/greeting"
    assert item.contents[0].text == "gamma item 7"
    assert "Hello Ada, from beta" in prompt.messages[0].content.text


def test_an_unknown_resource_is_invalid_params(fleet):
    with httpx2.Client(timeout=30, trust_env=False) as http:
        params = {"uri": "nobody+res://x"}
        r = http.post(fleet.gw.mcp_url, json=modern_body("resources/read", params),
                      headers={**modern_headers(fleet.token, "resources/read"), "Mcp-Name": "nobody+res://x"})
    assert response_message(r)["error"]["code"] == -32602, r.text


def test_the_client_token_never_reaches_a_backend(fleet):
    async def body(client):
        return json.loads((await client.call_tool("alpha__headers", {})).content[0].text)

    received = fleet.run("2026-07-28", body)
    assert "authorization" not in {k.lower() for k in received}, received
    assert fleet.token not in json.dumps(received)
    assert received.get("x-backend-key") == "k-alpha", received


@pytest.mark.parametrize("mode", MODES)
def test_x_mcp_header_arguments_reach_a_modern_backend(fleet, mode):
    async def body(client):
        tools = {t.name: t for t in await all_tools(client)}
        schema = tools["alpha__region_echo"].input_schema
        result = await client.call_tool("alpha__region_echo", {"city": "Oslo", "region": "Zürich"})
        return schema, result

    schema, result = fleet.run(mode, body)
    assert schema["properties"]["region"]["x-mcp-header"] == "Region"
    assert not result.is_error and result.content[0].text == "Oslo@Zürich", result


def test_status_shows_every_backend(fleet):
    with httpx2.Client(timeout=30, trust_env=False) as http:
        status = http.get(fleet.gw.url("/status"), headers=bearer(fleet.token)).json()
    by_name = {b["name"]: b for b in status["backends"]}
    assert set(by_name) == set(BACKENDS)
    assert by_name["alpha"]["era"] == "modern" and by_name["alpha"]["protocol_version"] == MODERN
    assert by_name["delta"]["era"] == "handshake", by_name["delta"]
    assert by_name["beta"]["transport"] == "sse" and by_name["gamma"]["transport"] == "stdio"
    for backend in by_name.values():
        assert backend["state"] == "up", backend
        assert backend["tools"] >= 8, backend
    assert by_name["many"]["tools"] >= 250


def test_every_call_is_audited_with_secrets_redacted(fleet):
    async def body(client):
        return await client.call_tool("gamma__echo", {"text": "audit me", "password": "hunter2"})

    fleet.run("2026-07-28", body)
    database = fleet.gw.workdir / "gateway.sqlite"
    rows = []
    for _ in range(50):  # audit rows are written in batches, within about a second

        with sqlite3.connect(database, timeout=10) as db:
            rows = db.execute(
                "SELECT client_id, backend, tool, outcome, arguments FROM audit_events WHERE backend='gamma' AND tool='echo'"
            ).fetchall()
        if any("audit me" in r[4] for r in rows):
            break
        time.sleep(0.1)
    row = next(r for r in rows if "audit me" in r[4])
    assert row[0] and row[3] in ("ok", "tool_error")
    assert "hunter2" not in row[4] and "[redacted]" in row[4]


@pytest.mark.parametrize("header,expected", [
    (None, -32020),            # argument present, header missing
    ("Paris", -32020),         # header disagrees with the body
    ("Zürich", None),          # plain non-ASCII is not a valid header value: sent encoded below
])
def test_mcp_param_headers_must_match_the_arguments(fleet, header, expected):
    import base64

    fleet.run("2026-07-28", all_tools)  # the gateway knows the tool's x-mcp-header annotation from its list
    params = {"name": "alpha__region_echo", "arguments": {"city": "Oslo", "region": "Zürich"}}
    headers = {**modern_headers(fleet.token, "tools/call"), "Mcp-Name": "alpha__region_echo", "Accept": "application/json"}
    if header == "Zürich":
        headers["Mcp-Param-Region"] = "=?base64?" + base64.b64encode(header.encode()).decode() + "?="
    elif header is not None:
        headers["Mcp-Param-Region"] = header
    with httpx2.Client(timeout=30, trust_env=False) as http:
        r = http.post(fleet.gw.mcp_url, json=modern_body("tools/call", params), headers=headers)
    message = response_message(r)
    if expected is None:
        assert message["result"]["content"][0]["text"] == "Oslo@Zürich", r.text
    else:
        assert r.status_code == 400 and message["error"]["code"] == expected, r.text
        assert "Mcp-Param-Region" in message["error"]["message"]


@pytest.mark.parametrize("mode", MODES)
def test_completions_reach_the_backend_of_the_prompt_or_template(fleet, mode):
    import mcp_types as types

    async def body(client):
        prompt = await client.complete(types.PromptReference(type="ref/prompt", name="beta__greet"),
                                       {"name": "person", "value": "A"})
        template = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri="gamma+res://gamma/items/{item}"),
            {"name": "item", "value": ""})
        unknown = await client.complete(types.PromptReference(type="ref/prompt", name="nobody__greet"),
                                        {"name": "person", "value": ""})
        return prompt, template, unknown

    prompt, template, unknown = fleet.run(mode, body)
    assert prompt.completion.values == ["beta-Ada", "beta-Alan"]
    assert template.completion.values == ["gamma-0", "gamma-1", "gamma-2"]
    assert unknown.completion.values == []
