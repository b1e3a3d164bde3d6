"""`/metrics`: Prometheus' text format, behind a personal token with the `status` scope, with the gateway's
families for HTTP, tool calls, backends and the authorization server after some traffic of each kind."""

from __future__ import annotations

import re

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from cli_helpers import status_token
from gateway import PASSWORD
from mcp_helpers import bearer, run_sdk_client
from oauth_helpers import (WEB_REDIRECT, authorization, obtain_tokens, open_consent, refresh, register, submit_consent)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("metrics")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="metrics gateway") as (gw, token):
        yield gw, token, status_token(gw)


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples by metric name; every line must be a comment or a well-formed sample."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples.setdefault(name, []).append((pairs, float(value)))
    return samples


def value(samples, name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if all(found.get(k) == want for k, want in labels.items()))


def scrape(gw, token: str) -> dict:
    with httpx2.Client(timeout=15, trust_env=False) as http:
        r = http.get(gw.url("/metrics"), headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    return parse(r.text)


def test_metrics_need_a_status_token(setup):
    gw, access_token, _ = setup
    with httpx2.Client(timeout=15, trust_env=False) as http:
        assert http.get(gw.url("/metrics")).status_code == 401
        assert http.get(gw.url("/metrics"), headers=bearer("mgw_not-a-token")).status_code == 401
        # A client's access token is for /mcp (and /status), not for the operator's metrics.
        refused = http.get(gw.url("/metrics"), headers=bearer(access_token))
        assert refused.status_code == 403 and 'scope="status"' in refused.headers["www-authenticate"]


def test_the_families_are_there_after_traffic(setup):
    gw, access_token, token = setup

    async def calls(client):
        await client.call_tool("alpha__echo", {"text": "counted"})
        await client.call_tool("alpha__add", {"a": 1, "b": 2})
        await client.call_tool("alpha__add", {"a": "not a number", "b": 2})  # the tool answers with an error

    run_sdk_client(gw, access_token, calls)
    with httpx2.Client(timeout=15, trust_env=False) as http:
        client, tokens = obtain_tokens(http, gw)
        assert refresh(http, gw, client["client_id"], tokens["refresh_token"]).status_code == 200
        assert refresh(http, gw, client["client_id"], "not-a-refresh-token").status_code == 400
        assert http.post(gw.url("/register"), json={"redirect_uris": ["ftp://x"]}).status_code == 400
        other = register(http, gw, [WEB_REDIRECT])
        form = open_consent(http, authorization(gw, other["client_id"], WEB_REDIRECT).url(gw))
        assert submit_consent(http, form, "a-wrong-password-0000").status_code == 401
        assert submit_consent(http, form, PASSWORD, decision="deny").status_code == 303

    samples = scrape(gw, token)
    assert value(samples, "mcp_gateway_tool_calls_total", backend="alpha", tool="echo", outcome="ok") >= 1
    assert value(samples, "mcp_gateway_tool_calls_total", backend="alpha", tool="add", outcome="ok") >= 1
    assert value(samples, "mcp_gateway_tool_calls_total", backend="alpha", tool="add", outcome="tool_error") >= 1
    assert value(samples, "mcp_gateway_tool_call_duration_seconds_count", backend="alpha", tool="add") >= 1
    assert value(samples, "mcp_gateway_tool_call_duration_seconds_bucket", backend="alpha", tool="add", le="+Inf") >= 1

    assert value(samples, "mcp_gateway_http_requests_total", route="/mcp", method="POST", status="200") >= 1
    assert value(samples, "mcp_gateway_http_request_duration_seconds_count", route="/mcp") >= 1

    assert value(samples, "mcp_gateway_backend_state", backend="alpha", state="up") == 1
    assert value(samples, "mcp_gateway_backend_state", backend="alpha", state="down") == 0
    assert value(samples, "mcp_gateway_backend_tools", backend="alpha") > 3

    assert value(samples, "mcp_gateway_oauth_registrations_total", outcome="registered") >= 3
    assert value(samples, "mcp_gateway_oauth_registrations_total", outcome="invalid_redirect_uri") >= 1
    assert value(samples, "mcp_gateway_oauth_consents_total", decision="approved") >= 2
    assert value(samples, "mcp_gateway_oauth_consents_total", decision="wrong_password") >= 1
    assert value(samples, "mcp_gateway_oauth_consents_total", decision="denied") >= 1
    assert value(samples, "mcp_gateway_oauth_token_requests_total", grant_type="authorization_code", outcome="issued") >= 2
    assert value(samples, "mcp_gateway_oauth_token_requests_total", grant_type="refresh_token", outcome="issued") >= 1
    assert value(samples, "mcp_gateway_oauth_token_requests_total", grant_type="refresh_token", outcome="invalid_grant") >= 1
    assert value(samples, "mcp_gateway_oauth_live_tokens", kind="access") >= 2
    assert value(samples, "process_resident_memory_bytes") > 1_000_000


def test_throttled_consents_are_counted(setup):
    gw, _, token = setup
    with httpx2.Client(timeout=15, trust_env=False) as http:
        client = register(http, gw, [WEB_REDIRECT])
        form = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
        statuses = [submit_consent(http, form, f"wrong-password-{i:04d}").status_code for i in range(6)]
    assert 429 in statuses, statuses
    assert value(scrape(gw, token), "mcp_gateway_oauth_consents_total", decision="throttled") >= 1
