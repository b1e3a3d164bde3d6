"""Logs: `LOG_FORMAT=json` gives one object per line, every request's lines carry its id (also sent back as
`X-Request-Id`), `LOG_LEVEL` filters, and no secret of the OAuth flow or of a tool call reaches the log."""

from __future__ import annotations

import json

import httpx2

from backend_fixtures import BackendProcess, gateway_in_front
from cli_helpers import status_token
from gateway import PASSWORD, Gateway, run_until_exit
from mcp_helpers import bearer, run_sdk_client
from oauth_helpers import obtain_tokens, refresh


def json_lines(gw: Gateway) -> list[dict]:
    lines = [line for line in gw.stderr().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"a log line that is not JSON: {line!r}")
    return parsed


def test_json_lines_with_request_ids_and_no_secrets(tmp_path):
    work = tmp_path
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="json-log gateway",
                          overrides={"LOG_FORMAT": "json", "LOG_LEVEL": "debug"}) as (gw, access_token):
        secrets = [PASSWORD, access_token]
        with httpx2.Client(timeout=15, trust_env=False) as http:
            client, tokens = obtain_tokens(http, gw)
            renewed = refresh(http, gw, client["client_id"], tokens["refresh_token"]).json()
            secrets += [tokens["access_token"], tokens["refresh_token"], renewed["access_token"], renewed["refresh_token"]]
            refused = refresh(http, gw, client["client_id"], tokens["refresh_token"] + "x")
            assert refused.status_code == 400
            request_id = refused.headers["x-request-id"]
            personal = status_token(gw)
            secrets.append(personal)
            assert http.get(gw.url("/status"), headers=bearer(personal)).status_code == 200

        async def call(client):
            return await client.call_tool("alpha__echo", {"text": "logged call", "api_key": "sk-test-0123456789"})

        run_sdk_client(gw, access_token, call)
        secrets.append("sk-test-0123456789")
        entries = json_lines(gw)

    assert all({"time", "level", "message", "label"} <= set(e) for e in entries), entries[:3]
    for_request = [e for e in entries if e.get("request_id") == request_id]
    messages = [e["message"] for e in for_request]
    assert "token request refused" in messages and "POST /oauth/token 400" in messages, for_request
    assert any(e["message"].startswith("POST /mcp ") and e.get("request_id") for e in entries)
    everything = json.dumps(entries)
    for secret in secrets:
        assert secret not in everything, f"a secret reached the log: {secret[:6]}…"


def test_text_lines_carry_the_request_id_and_the_level_filters(tmp_path):
    gw = Gateway(tmp_path / "info", name="text-log gateway")
    gw.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False) as http:
            answered = http.get(gw.url("/.well-known/oauth-authorization-server"))
    finally:
        gw.stop()
    line = next(line for line in gw.stderr().splitlines() if "GET /.well-known/oauth-authorization-server 200" in line)
    assert answered.headers["x-request-id"] in line, line

    quiet = Gateway(tmp_path / "warning", {"LOG_LEVEL": "warning"}, name="quiet gateway")
    quiet.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False) as http:
            http.get(quiet.url("/.well-known/oauth-authorization-server"))
    finally:
        quiet.stop()
    assert "oauth-authorization-server 200" not in quiet.stderr() and " info " not in quiet.stderr(), quiet.stderr()


def test_an_unknown_log_format_refuses_to_start(tmp_path):
    code, out, err = run_until_exit(tmp_path, {"LOG_FORMAT": "xml"})
    assert code == 78 and "LOG_FORMAT" in err and "text or json" in err, (code, out, err)
