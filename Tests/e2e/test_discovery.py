"""Health, protected-resource and authorization-server metadata, root aliases, CORS on the OAuth endpoints."""

import pytest

from oauth_helpers import LOOPBACK_REDIRECT


def test_health(http, gw):
    r = http.get(gw.url("/health"))
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
def test_protected_resource_metadata(http, gw, path):
    r = http.get(gw.url(path))
    assert r.status_code == 200, r.text
    prm = r.json()
    assert prm["resource"] == gw.issuer + "/mcp"
    assert prm["authorization_servers"] == [gw.issuer]
    assert prm["scopes_supported"] == ["mcp"]
    assert prm["bearer_methods_supported"] == ["header"]


def test_authorization_server_metadata(http, gw):
    r = http.get(gw.url("/.well-known/oauth-authorization-server"))
    assert r.status_code == 200, r.text
    md = r.json()
    assert md["issuer"] == gw.issuer  # byte-equal to authorization_servers[0]
    assert md["authorization_endpoint"] == gw.issuer + "/oauth/authorize"
    assert md["token_endpoint"] == gw.issuer + "/oauth/token"
    assert md["registration_endpoint"] == gw.issuer + "/oauth/register"
    assert md["revocation_endpoint"] == gw.issuer + "/oauth/revoke"
    assert md["response_types_supported"] == ["code"]
    assert set(md["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert md["code_challenge_methods_supported"] == ["S256"]
    assert {"none", "client_secret_post", "client_secret_basic"} <= set(md["token_endpoint_auth_methods_supported"])
    assert md["scopes_supported"] == ["mcp"]
    assert md["authorization_response_iss_parameter_supported"] is True
    assert md["client_id_metadata_document_supported"] is True


def test_openid_configuration_is_the_same_document(http, gw):
    a = http.get(gw.url("/.well-known/oauth-authorization-server"))
    b = http.get(gw.url("/.well-known/openid-configuration"))
    assert b.status_code == 200
    assert a.json() == b.json()


def test_root_register_alias(http, gw):
    r = http.post(gw.url("/register"), json={"client_name": "alias", "redirect_uris": [LOOPBACK_REDIRECT],
                                              "token_endpoint_auth_method": "none"})
    assert r.status_code == 201, r.text
    assert r.json()["client_id"]


def test_root_authorize_alias(http, gw):
    r = http.get(gw.url("/authorize"), params={"response_type": "code", "client_id": "no-such-client",
                                              "redirect_uri": LOOPBACK_REDIRECT})
    assert r.status_code == 400  # the authorize endpoint's error page, not a 404
    assert "location" not in r.headers


def test_root_token_alias(http, gw):
    r = http.post(gw.url("/token"), data={"grant_type": "password", "username": "x", "password": "y"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server",
                                  "/oauth/token", "/oauth/register"])
def test_cors_preflight_without_auth(http, gw, path):
    r = http.options(gw.url(path), headers={
        "Origin": "http://localhost:6274",
        "Access-Control-Request-Method": "POST" if path.startswith("/oauth") else "GET",
        "Access-Control-Request-Headers": "content-type",
    })
    assert 200 <= r.status_code < 300, f"{r.status_code} {r.text}"
    assert r.headers.get("access-control-allow-origin") in ("*", "http://localhost:6274"), r.headers
