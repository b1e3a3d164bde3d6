"""GET /oauth/authorize: which requests get the consent page, an error page, or an error redirect."""

import pytest

from oauth_helpers import (
    LOOPBACK_REDIRECT,
    WEB_REDIRECT,
    approve,
    authorization,
    check_tokens,
    exchange,
    location_params,
    register,
)


def _error_page(r):
    assert r.status_code == 400, f"{r.status_code} {r.headers} {r.text[:500]}"
    assert "location" not in r.headers
    assert r.headers.get("content-type", "").startswith("text/html"), r.headers


def _error_redirect(r, auth, gw, error):
    assert r.status_code in (302, 303), f"{r.status_code} {r.text[:500]}"
    assert r.headers["location"].startswith(auth.redirect_uri + "?"), r.headers["location"]
    params = location_params(r)
    assert params.get("error") == error, params
    assert params.get("state") == auth.state
    assert params.get("iss") == gw.issuer
    assert "code" not in params


@pytest.fixture
def web_client(http, gw):
    return register(http, gw, [WEB_REDIRECT])


def test_consent_page_for_a_valid_request(http, gw, web_client):
    r = http.get(authorization(gw, web_client["client_id"], WEB_REDIRECT).url(gw))
    assert r.status_code == 200, r.text
    assert r.headers.get("content-type", "").startswith("text/html")
    assert "app.example" in r.text  # the redirect host is shown


def test_unknown_client(http, gw):
    _error_page(http.get(authorization(gw, "no-such-client", WEB_REDIRECT).url(gw)))


def test_unregistered_redirect(http, gw, web_client):
    _error_page(http.get(authorization(gw, web_client["client_id"], "https://evil.example/cb").url(gw)))


def test_missing_redirect_uri_never_redirects(http, gw, web_client):
    # OAuth 2.1 requires redirect_uri; RFC 6749 lets it be omitted with one registered. Either answer is
    # acceptable, but never a redirect: the consent page or the error page.
    r = http.get(authorization(gw, web_client["client_id"], WEB_REDIRECT, drop=("redirect_uri",)).url(gw))
    assert r.status_code in (200, 400), r.status_code
    if r.status_code == 400:
        assert "location" not in r.headers


@pytest.mark.parametrize("redirect", [
    "https://app.example/cb2",        # path
    "https://app.example/CB",         # case
    "https://app.example/cb/",        # trailing slash
    "https://app.example/cb?x=1",     # query
    "https://app.example:8443/cb",    # port (not loopback)
    "http://app.example/cb",          # scheme
])
def test_redirect_must_match_exactly(http, gw, web_client, redirect):
    _error_page(http.get(authorization(gw, web_client["client_id"], redirect).url(gw)))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_redirect_port_may_differ(http, gw, host):
    client = register(http, gw, [f"http://{host}:33333/callback"])
    auth = authorization(gw, client["client_id"], f"http://{host}:44444/callback")
    params = approve(http, gw, auth)  # 303 to port 44444
    check_tokens(exchange(http, gw, params["code"], auth))


def test_duplicate_redirect_uri_parameter(http, gw, web_client):
    """RFC 6749 §3.1: parameters must not appear twice; never redirect to the second one."""
    url = authorization(gw, web_client["client_id"], WEB_REDIRECT).url(gw)
    r = http.get(url + "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb")
    assert r.status_code == 400, f"{r.status_code} {r.headers.get('location')}"
    assert "evil.example" not in r.headers.get("location", "")


def test_duplicate_client_id_parameter(http, gw, web_client):
    other = register(http, gw, ["https://evil.example/cb"])
    url = authorization(gw, web_client["client_id"], WEB_REDIRECT).url(gw)
    r = http.get(url + "&client_id=" + other["client_id"])
    assert r.status_code == 400, f"{r.status_code} {r.headers.get('location')}"


def test_loopback_redirect_path_must_match(http, gw):
    client = register(http, gw, ["http://127.0.0.1:33333/callback"])
    _error_page(http.get(authorization(gw, client["client_id"], "http://127.0.0.1:44444/other").url(gw)))


def test_missing_code_challenge(http, gw, web_client):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT, drop=("code_challenge",))
    _error_redirect(http.get(auth.url(gw)), auth, gw, "invalid_request")


def test_plain_method(http, gw, web_client):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT, code_challenge_method="plain")
    _error_redirect(http.get(auth.url(gw)), auth, gw, "invalid_request")


def test_absent_method(http, gw, web_client):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT, drop=("code_challenge_method",))
    _error_redirect(http.get(auth.url(gw)), auth, gw, "invalid_request")


@pytest.mark.parametrize("challenge", ["short", "a" * 42, "!" * 43, "a" * 129])
def test_challenge_of_the_wrong_shape(http, gw, web_client, challenge):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT, code_challenge=challenge)
    _error_redirect(http.get(auth.url(gw)), auth, gw, "invalid_request")


@pytest.mark.parametrize("resource", ["https://evil.example/mcp", "{issuer}/other", "{issuer}"])
def test_foreign_resource(http, gw, web_client, resource):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT, resource=resource.format(issuer=gw.issuer))
    _error_redirect(http.get(auth.url(gw)), auth, gw, "invalid_target")


@pytest.mark.parametrize("resource", ["{issuer}/mcp/", "HTTP://127.0.0.1:{port}/mcp"])
def test_equivalent_resource_accepted(http, gw, web_client, resource):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT,
                         resource=resource.format(issuer=gw.issuer, port=gw.port))
    r = http.get(auth.url(gw))
    assert r.status_code == 200, f"{r.status_code} {r.headers.get('location')} {r.text[:300]}"


def test_resource_may_be_absent(http, gw, web_client):
    r = http.get(authorization(gw, web_client["client_id"], WEB_REDIRECT, drop=("resource",)).url(gw))
    assert r.status_code == 200, f"{r.status_code} {r.headers.get('location')}"


def test_unsupported_response_type(http, gw, web_client):
    auth = authorization(gw, web_client["client_id"], WEB_REDIRECT, response_type="token")
    _error_redirect(http.get(auth.url(gw)), auth, gw, "unsupported_response_type")


def test_unknown_scopes_get_the_default(http, gw):
    client = register(http, gw)
    auth = authorization(gw, client["client_id"], LOOPBACK_REDIRECT, scope="claudeai offline_access")
    params = approve(http, gw, auth)
    body = check_tokens(exchange(http, gw, params["code"], auth))
    assert body["scope"] == "mcp"


def test_scope_may_be_absent(http, gw):
    client = register(http, gw)
    auth = authorization(gw, client["client_id"], LOOPBACK_REDIRECT, drop=("scope",))
    params = approve(http, gw, auth)
    assert check_tokens(exchange(http, gw, params["code"], auth))["scope"] == "mcp"
