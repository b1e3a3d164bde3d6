"""POST /oauth/token with authorization codes: malformed requests, misused codes, code replay."""

import secrets
import threading

import httpx2
import pytest

from gateway import HTTP_TIMEOUT
from mcp_helpers import token_status
from oauth_helpers import (
    LOOPBACK_REDIRECT,
    check_tokens,
    exchange,
    get_code,
    nothing_issued,
    oauth_error,
    obtain_tokens,
    pkce_pair,
    refresh,
    register,
    token_request,
)


@pytest.fixture
def client(http, gw):
    return register(http, gw, [LOOPBACK_REDIRECT, "http://127.0.0.1:53682/other"])


@pytest.fixture
def observer(http, gw):
    """An access token used only to read /status (live token counts)."""
    return obtain_tokens(http, gw)[1]["access_token"]


@pytest.fixture
def code(http, gw, client):
    """A fresh authorization code and its Authorization (verifier, redirect...)."""
    return get_code(http, gw, client["client_id"], LOOPBACK_REDIRECT)


def test_exchange_works(http, gw, code):
    c, auth = code
    body = check_tokens(exchange(http, gw, c, auth))
    assert body["scope"] == "mcp"
    assert token_status(http, gw, body["access_token"]) == 200


def test_resource_may_be_omitted_at_the_token_endpoint(http, gw, code):
    c, auth = code
    body = check_tokens(exchange(http, gw, c, auth, resource=None))
    assert token_status(http, gw, body["access_token"]) == 200


def test_json_body(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        r = http.post(gw.url("/oauth/token"), json={"grant_type": "authorization_code", "code": c,
                                                     "redirect_uri": auth.redirect_uri, "client_id": auth.client_id,
                                                     "code_verifier": auth.verifier})
    oauth_error(r, 400, "invalid_request")
    assert "no-store" in r.headers.get("cache-control", "")
    check_tokens(exchange(http, gw, c, auth))  # the code was not consumed


def test_missing_grant_type(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, grant_type=None), 400, "invalid_request")


@pytest.mark.parametrize("grant", ["password", "client_credentials", "implicit",
                                   "urn:ietf:params:oauth:grant-type:device_code"])
def test_unsupported_grant_type(http, gw, client, grant, observer):
    with nothing_issued(http, gw, observer):
        r = token_request(http, gw, {"grant_type": grant, "client_id": client["client_id"],
                                     "username": "admin", "password": "x", "scope": "mcp"})
    oauth_error(r, 400, "unsupported_grant_type")
    assert "no-store" in r.headers.get("cache-control", "")


def test_unknown_client(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, client_id="no-such-client"), 401, "invalid_client")


def test_missing_client_id(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        r = exchange(http, gw, c, auth, client_id=None)
    assert r.status_code in (400, 401), r.text
    assert r.json()["error"] in ("invalid_request", "invalid_client")


def test_code_redeemed_by_another_client(http, gw, code, observer):
    c, auth = code
    other = register(http, gw, [LOOPBACK_REDIRECT])
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, client_id=other["client_id"]), 400, "invalid_grant")


def test_another_redirect_uri(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, redirect_uri="http://127.0.0.1:53682/other"), 400, "invalid_grant")


def test_missing_redirect_uri(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, redirect_uri=None), 400, ("invalid_request", "invalid_grant"))


def test_wrong_verifier(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, code_verifier=pkce_pair()[0]), 400, "invalid_grant")


def test_short_verifier(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, code_verifier="abc"), 400, ("invalid_grant", "invalid_request"))


def test_verifier_with_bad_characters(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, code_verifier="!" * 50), 400, ("invalid_grant", "invalid_request"))


def test_missing_verifier(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, code_verifier=None), 400, "invalid_request")


def test_challenge_as_verifier(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, code_verifier=auth.challenge + "aaaaaaaa"), 400, "invalid_grant")


def test_garbage_code(http, gw, code, observer):
    _, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, secrets.token_urlsafe(32), auth), 400, "invalid_grant")


def test_missing_code(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, code=None), 400, "invalid_request")


def test_foreign_resource(http, gw, code, observer):
    c, auth = code
    with nothing_issued(http, gw, observer):
        oauth_error(exchange(http, gw, c, auth, resource="https://evil.example/mcp"), 400,
                    ("invalid_target", "invalid_grant"))


def test_code_replay_revokes_what_it_issued(http, gw, code):
    c, auth = code
    first = check_tokens(exchange(http, gw, c, auth))
    assert token_status(http, gw, first["access_token"]) == 200
    replay = exchange(http, gw, c, auth)
    oauth_error(replay, 400, "invalid_grant")
    assert "no-store" in replay.headers.get("cache-control", "")
    assert token_status(http, gw, first["access_token"]) == 401
    oauth_error(refresh(http, gw, auth.client_id, first["refresh_token"]), 400, "invalid_grant")


def test_code_replay_revokes_refreshed_tokens_too(http, gw, code):
    c, auth = code
    first = check_tokens(exchange(http, gw, c, auth))
    second = check_tokens(refresh(http, gw, auth.client_id, first["refresh_token"]))
    oauth_error(exchange(http, gw, c, auth), 400, "invalid_grant")
    assert token_status(http, gw, second["access_token"]) == 401
    oauth_error(refresh(http, gw, auth.client_id, second["refresh_token"]), 400, "invalid_grant")


def test_concurrent_redemption_of_one_code(http, gw, code):
    """Four simultaneous exchanges of one code: at most one gets tokens, none gets a 5xx."""
    c, auth = code
    barrier = threading.Barrier(4)
    results = [None] * 4

    def worker(i):
        try:
            with httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False) as h:
                barrier.wait(timeout=10)
                results[i] = exchange(h, gw, c, auth)
        except BaseException as e:
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, httpx2.Response) for r in results), results
    statuses = [r.status_code for r in results]
    assert all(s in (200, 400) for s in statuses), [(r.status_code, r.text) for r in results]
    assert statuses.count(200) <= 1, "one code redeemed twice"
    for r in results:
        if r.status_code == 400:
            assert r.json()["error"] == "invalid_grant"
