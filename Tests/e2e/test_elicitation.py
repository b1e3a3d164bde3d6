"""A backend asks the user something mid-call (elicitation), across each pairing of client and backend eras."""

from __future__ import annotations

import httpx2
import mcp_types as types
import pytest

from backend_fixtures import BackendProcess, fixture_args, gateway_in_front
from mcp_helpers import (
    MODERN, find_mcp_error, modern_body, modern_headers, response_message, run_sdk_client)

# alpha speaks 2026-07-28 (input_required); delta only the handshake era (elicitation/create); gamma is stdio.
BACKENDS = ["alpha", "delta", "gamma"]
MODES = ["2026-07-28", "legacy"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("elicitation")
    stdio = fixture_args("gamma", "stdio", handshake_only=True)
    processes = {"alpha": BackendProcess(work, "alpha"), "delta": BackendProcess(work, "delta", handshake_only=True)}
    with gateway_in_front(work, processes, {"gamma": {"command": stdio[0], "args": stdio[1:], "sandbox": False}},
                          name="elicitation gateway") as setup:
        yield setup


def call(setup, mode: str, tool: str, **client_kw):
    gw, token = setup

    async def body(client):
        return await client.call_tool(tool, {})

    return run_sdk_client(gw, token, body, mode, **client_kw)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_question_reaches_the_user_and_the_answer_the_backend(setup, mode, backend):
    asked = []

    async def on_elicit(context, params: types.ElicitRequestParams):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"value": f"Ada-{backend}"})

    result = call(setup, mode, f"{backend}__ask_name", elicitation_callback=on_elicit)
    assert asked == ["What is your name?"], asked
    assert not result.is_error, result
    assert result.content[0].text == f"accept:Ada-{backend}", result.content[0].text


@pytest.mark.parametrize("mode", MODES)
def test_a_declined_question_reaches_the_backend(setup, mode):
    async def on_elicit(context, params):
        return types.ElicitResult(action="decline")

    result = call(setup, mode, "delta__ask_name", elicitation_callback=on_elicit)
    assert result.content[0].text.startswith("decline"), result.content[0].text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_client_without_the_capability_is_refused_cleanly(setup, mode, backend):
    """No elicitation callback means no elicitation capability: an error, never a hang."""
    try:
        result = call(setup, mode, f"{backend}__ask_name")
    except BaseException as raised:  # the SDK raises from inside its task group
        error = find_mcp_error(raised)
        assert error is not None, raised
        assert error.error.code == -32021 and "elicitation" in str(error).lower(), error
        return
    assert result.is_error, result
    assert "elicitation" in result.content[0].text.lower(), result.content[0].text


def test_a_forged_request_state_is_invalid_params(setup):
    gw, token = setup
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
    }
    params = {"name": "delta__ask_name", "arguments": {}, "requestState": "gw1.AAAAforged",
              "inputResponses": {"gateway": {"action": "accept", "content": {"value": "x"}}}}
    with httpx2.Client(timeout=30, trust_env=False) as http:
        r = http.post(gw.mcp_url, json=modern_body("tools/call", params, meta=meta),
                      headers={**modern_headers(token, "tools/call"), "Mcp-Name": "delta__ask_name",
                               "Accept": "application/json"})
    error = response_message(r)["error"]
    assert error["code"] == -32602 and "requestState" in error["message"], r.text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_sampling_is_relayed_like_elicitation(setup, mode, backend):
    prompts = []

    async def on_sample(context, params: types.CreateMessageRequestParams):
        prompts.append(params.messages[0].content.text)
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="short"),
                                         model="test-model", stop_reason="endTurn")

    gw, token = setup

    async def body(client):
        return await client.call_tool(f"{backend}__summarize", {"text": "a long text"})

    result = run_sdk_client(gw, token, body, mode, sampling_callback=on_sample)
    assert prompts == ["Summarize: a long text"], prompts
    assert not result.is_error and result.content[0].text == "sampled: short", result
