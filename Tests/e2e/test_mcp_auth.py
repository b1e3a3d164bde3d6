"""Bearer protection of /mcp and /status: challenges, bad, expired and revoked tokens, query tokens."""

import time

import pytest

from mcp_helpers import modern_body, modern_headers, post_modern
from oauth_helpers import obtain_tokens, revoke, www_authenticate_params


def _challenge(r, gw, error=None):
    assert r.status_code == 401, f"{r.status_code} {r.text[:300]}"
    header = r.headers.get("www-authenticate", "")
    params = www_authenticate_params(header)
    assert params[""].lower() == "bearer", header
    # Absolute: a relative resource_metadata makes claude.ai loop silently.
    assert params.get("resource_metadata") == gw.issuer + "/.well-known/oauth-protected-resource/mcp", header
    assert params.get("scope") == "mcp", header
    if error:
        assert params.get("error") == error, header
    return params


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
def test_no_token(http, gw, method):
    if method == "POST":
        r = http.post(gw.mcp_url, json=modern_body("tools/list"), headers=modern_headers(None, "tools/list"))
    else:
        r = http.request(method, gw.mcp_url, headers={"Accept": "text/event-stream"})
    _challenge(r, gw)


def test_bad_token(http, gw):
    _challenge(post_modern(http, gw, "not-a-real-token", "tools/list"), gw, "invalid_token")


def test_not_bearer_scheme(http, gw, access_token):
    r = post_modern(http, gw, None, "tools/list", headers={"Authorization": f"Basic {access_token}"})
    assert r.status_code == 401


def test_revoked_token(http, gw, tokens):
    client, t = tokens
    assert post_modern(http, gw, t["access_token"], "tools/list").status_code == 200
    assert revoke(http, gw, client["client_id"], t["access_token"], "access_token").status_code == 200
    _challenge(post_modern(http, gw, t["access_token"], "tools/list"), gw, "invalid_token")


def test_refresh_token_is_not_an_access_token(http, gw, tokens):
    _, t = tokens
    _challenge(post_modern(http, gw, t["refresh_token"], "tools/list"), gw, "invalid_token")


def test_expired_token(http, start_gateway):
    gw = start_gateway({"OAUTH_ACCESS_TOKEN_TTL": "1"})
    _, t = obtain_tokens(http, gw)
    assert t["expires_in"] <= 1
    time.sleep(2.2)
    _challenge(post_modern(http, gw, t["access_token"], "tools/list"), gw, "invalid_token")


def test_token_in_query_is_not_accepted(http, gw, access_token):
    body = modern_body("tools/list")
    r = http.post(gw.mcp_url, params={"access_token": access_token}, json=body,
                  headers=modern_headers(None, "tools/list"))
    params = _challenge(r, gw)
    assert params.get("error") in (None, "invalid_token", "invalid_request"), params


def test_status_requires_a_token(http, gw):
    assert http.get(gw.url("/status")).status_code == 401


def test_status(http, gw, access_token):
    r = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {access_token}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["version"], str) and body["version"]
    assert isinstance(body["uptime_seconds"], (int, float))
    assert body["clients"] >= 1
    assert body["tokens"]["access"] >= 1 and body["tokens"]["refresh"] >= 1
