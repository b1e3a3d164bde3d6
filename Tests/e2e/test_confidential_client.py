"""Clients registered with a secret: client_secret_post and client_secret_basic both accepted, wrong secret refused."""

import base64
from urllib.parse import quote

import pytest

from mcp_helpers import token_status
from oauth_helpers import check_tokens, get_code, oauth_error, refresh, register, revoke, token_request


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@pytest.fixture(params=["client_secret_post", "client_secret_basic"])
def client(request, http, gw):
    c = register(http, gw, token_endpoint_auth_method=request.param)
    assert c["client_secret"]
    return c


def _code_request(http, gw, client):
    code, auth = get_code(http, gw, client["client_id"], client["redirect_uris"][0])
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": auth.redirect_uri,
            "code_verifier": auth.verifier, "resource": gw.mcp_url}


def test_secret_in_body(http, gw, client):
    data = _code_request(http, gw, client)
    data.update(client_id=client["client_id"], client_secret=client["client_secret"])
    t = check_tokens(token_request(http, gw, data))
    assert token_status(http, gw, t["access_token"]) == 200
    r = refresh(http, gw, client["client_id"], t["refresh_token"], client_secret=client["client_secret"])
    check_tokens(r)


def test_secret_in_basic_header(http, gw, client):
    data = _code_request(http, gw, client)
    t = check_tokens(token_request(http, gw, data, headers=_basic(client["client_id"], client["client_secret"])))
    r = http.post(gw.url("/oauth/token"), data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"]},
                  headers=_basic(client["client_id"], client["client_secret"]))
    check_tokens(r)


def test_wrong_secret_in_body(http, gw, client):
    data = _code_request(http, gw, client)
    data.update(client_id=client["client_id"], client_secret="wrong-secret")
    oauth_error(token_request(http, gw, data), 401, "invalid_client")


def test_wrong_secret_in_basic_header(http, gw, client):
    data = _code_request(http, gw, client)
    oauth_error(token_request(http, gw, data, headers=_basic(client["client_id"], "wrong-secret")), 401,
                "invalid_client")


def test_missing_secret(http, gw, client):
    data = _code_request(http, gw, client)
    data["client_id"] = client["client_id"]
    oauth_error(token_request(http, gw, data), 401, "invalid_client")


def test_refresh_with_wrong_secret(http, gw, client):
    data = _code_request(http, gw, client)
    data.update(client_id=client["client_id"], client_secret=client["client_secret"])
    t = check_tokens(token_request(http, gw, data))
    oauth_error(refresh(http, gw, client["client_id"], t["refresh_token"], client_secret="nope"), 401,
                "invalid_client")
    check_tokens(refresh(http, gw, client["client_id"], t["refresh_token"], client_secret=client["client_secret"]))


def test_revoke_needs_the_secret(http, gw, client):
    data = _code_request(http, gw, client)
    data.update(client_id=client["client_id"], client_secret=client["client_secret"])
    t = check_tokens(token_request(http, gw, data))
    r = revoke(http, gw, client["client_id"], t["access_token"])  # no secret
    assert r.status_code == 401, r.text
    assert r.json().get("error") == "invalid_client"
    assert token_status(http, gw, t["access_token"]) == 200
