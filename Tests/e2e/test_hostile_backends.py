"""A backend that answers garbage, an enormous body, a stream cut mid-message, another request's id, or
nothing: each call fails as a tool error or a JSON-RPC error (never 5xx), the gateway stays up with bounded
memory, and the other backend is not affected."""

from __future__ import annotations

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front, resident_bytes, script_backend
from mcp_helpers import post_modern, response_message

HOSTILE_TOOLS = ["garbage", "enormous", "cut_stream", "wrong_id", "empty"]
MEMORY_LIMIT = 250 * 1024 * 1024  # the enormous answer is 64 MiB; the gateway must never hold it


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    hostile = script_backend(work, "hostile", "hostile_server.py")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha"), "hostile": hostile},
                          name="hostile-backend gateway") as setup:
        yield setup


def call(http, gw, token, name: str, arguments: dict | None = None) -> tuple[int, dict]:
    r = post_modern(http, gw, token, "tools/call", {"name": name, "arguments": arguments or {}}, headers={"Mcp-Name": name})
    return r.status_code, response_message(r)


@pytest.mark.parametrize("tool", HOSTILE_TOOLS)
def test_a_misbehaving_answer_is_an_error_and_the_rest_goes_on(setup, tool):
    gw, token = setup
    with httpx2.Client(timeout=60, trust_env=False) as http:
        for _ in range(3 if tool == "enormous" else 1):
            status, message = call(http, gw, token, f"hostile__{tool}")
            assert status < 500, message
            failed = "error" in message or message.get("result", {}).get("isError") is True
            assert failed, f"{tool}: {message}"
        status, message = call(http, gw, token, "alpha__add", {"a": 2, "b": 3})
        assert status == 200 and message.get("result", {}).get("isError") is not True, message
    assert gw.running, gw.logs()
    assert resident_bytes(gw.proc.pid) < MEMORY_LIMIT, f"{resident_bytes(gw.proc.pid) / 1e6:.0f} MB after {tool}"
