"""Dynamic client registration (RFC 7591): what is accepted, what is refused, and the response headers."""

import pytest

from oauth_helpers import LOOPBACK_REDIRECT, WEB_REDIRECT


def _register(http, gw, body):
    return http.post(gw.url("/oauth/register"), json=body)


def _base(**kw):
    body = {"client_name": "reg", "redirect_uris": [LOOPBACK_REDIRECT], "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}
    body.update(kw)
    return body


def _refused(r, error):
    errors = (error,) if isinstance(error, str) else error
    assert r.status_code == 400, f"{r.status_code} {r.text}"
    assert r.json().get("error") in errors, r.text
    assert "client_id" not in r.json()
    assert "no-store" in r.headers.get("cache-control", ""), r.headers


def test_public_client(http, gw):
    r = _register(http, gw, _base(redirect_uris=[LOOPBACK_REDIRECT, WEB_REDIRECT]))
    assert r.status_code == 201, r.text
    assert "no-store" in r.headers.get("cache-control", "")
    body = r.json()
    assert body["client_id"]
    assert isinstance(body["client_id_issued_at"], int)
    assert body["redirect_uris"] == [LOOPBACK_REDIRECT, WEB_REDIRECT]
    assert body["client_name"] == "reg"
    assert body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body


def test_auth_method_defaults_to_none(http, gw):
    body = _base()
    del body["token_endpoint_auth_method"]
    r = _register(http, gw, body)
    assert r.status_code == 201, r.text
    assert r.json().get("token_endpoint_auth_method", "none") == "none"
    assert "client_secret" not in r.json()


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_confidential_client_gets_a_secret(http, gw, method):
    r = _register(http, gw, _base(token_endpoint_auth_method=method))
    assert r.status_code == 201, r.text
    assert "no-store" in r.headers.get("cache-control", "")
    body = r.json()
    assert body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert body["token_endpoint_auth_method"] == method


@pytest.mark.parametrize("application_type", ["native", "web"])
def test_application_type_accepted(http, gw, application_type):
    redirect = LOOPBACK_REDIRECT if application_type == "native" else WEB_REDIRECT
    r = _register(http, gw, _base(application_type=application_type, redirect_uris=[redirect]))
    assert r.status_code == 201, r.text


def test_known_callbacks_accepted(http, gw):
    uris = ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback",
            "http://localhost:6274/oauth/callback", "http://localhost:41234/callback", "http://[::1]:8080/cb"]
    r = _register(http, gw, _base(redirect_uris=uris))
    assert r.status_code == 201, r.text


def test_no_dedupe(http, gw):
    a = _register(http, gw, _base())
    b = _register(http, gw, _base())
    assert a.status_code == b.status_code == 201
    assert a.json()["client_id"] != b.json()["client_id"]


def test_missing_redirect_uris(http, gw):
    body = _base()
    del body["redirect_uris"]
    _refused(_register(http, gw, body), ("invalid_redirect_uri", "invalid_client_metadata"))


def test_empty_redirect_uris(http, gw):
    _refused(_register(http, gw, _base(redirect_uris=[])), ("invalid_redirect_uri", "invalid_client_metadata"))


@pytest.mark.parametrize("uri", [
    "http://app.example/cb",                 # http, not loopback
    "http://192.168.1.10/cb",                # http, private but not loopback
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "https://app.example/cb#frag",
    "https://user:pw@app.example/cb",        # userinfo
    "/relative/cb",
    "not a url",
])
def test_bad_redirect_uri(http, gw, uri):
    _refused(_register(http, gw, _base(redirect_uris=[LOOPBACK_REDIRECT, uri])), "invalid_redirect_uri")


@pytest.mark.parametrize("grants", [["password"], ["client_credentials"], ["authorization_code", "implicit"],
                                    ["urn:ietf:params:oauth:grant-type:jwt-bearer"]])
def test_unsupported_grant_type(http, gw, grants):
    _refused(_register(http, gw, _base(grant_types=grants)), "invalid_client_metadata")


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt", "bogus"])
def test_unsupported_auth_method(http, gw, method):
    _refused(_register(http, gw, _base(token_endpoint_auth_method=method)), "invalid_client_metadata")


def test_oversized_body(http, gw):
    r = _register(http, gw, _base(client_name="x" * (20 * 1024)))
    assert r.status_code == 413, f"{r.status_code} {r.text[:300]}"


def test_body_not_json(http, gw):
    r = http.post(gw.url("/oauth/register"), content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json().get("error") == "invalid_client_metadata"
