"""POST /oauth/revoke (RFC 7009)."""

from mcp_helpers import token_status
from oauth_helpers import check_tokens, oauth_error, obtain_tokens, refresh, revoke


def test_unknown_token(http, gw, tokens):
    client, _ = tokens
    r = revoke(http, gw, client["client_id"], "no-such-token-" + "x" * 30)
    assert r.status_code == 200, r.text


def test_another_clients_token_stays_valid(http, gw, tokens):
    client, t = tokens
    other, _ = obtain_tokens(http, gw)
    for token, hint in ((t["access_token"], "access_token"), (t["refresh_token"], "refresh_token")):
        r = revoke(http, gw, other["client_id"], token, hint)
        assert r.status_code == 200, r.text
    assert token_status(http, gw, t["access_token"]) == 200
    check_tokens(refresh(http, gw, client["client_id"], t["refresh_token"]))


def test_revoke_access_token(http, gw, tokens):
    client, t = tokens
    assert revoke(http, gw, client["client_id"], t["access_token"], "access_token").status_code == 200
    assert token_status(http, gw, t["access_token"]) == 401


def test_revoke_refresh_token_kills_its_access_tokens(http, gw, tokens):
    client, t0 = tokens
    t1 = check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))
    assert revoke(http, gw, client["client_id"], t1["refresh_token"], "refresh_token").status_code == 200
    assert token_status(http, gw, t1["access_token"]) == 401
    oauth_error(refresh(http, gw, client["client_id"], t1["refresh_token"]), 400, "invalid_grant")


def test_revoke_refresh_token_without_hint(http, gw, tokens):
    client, t = tokens
    assert revoke(http, gw, client["client_id"], t["refresh_token"]).status_code == 200
    assert token_status(http, gw, t["access_token"]) == 401
    oauth_error(refresh(http, gw, client["client_id"], t["refresh_token"]), 400, "invalid_grant")


def test_wrong_hint_still_revokes(http, gw, tokens):
    client, t = tokens
    assert revoke(http, gw, client["client_id"], t["access_token"], "refresh_token").status_code == 200
    assert token_status(http, gw, t["access_token"]) == 401


def test_missing_token_parameter(http, gw, tokens):
    client, _ = tokens
    r = http.post(gw.url("/oauth/revoke"), data={"client_id": client["client_id"]})
    oauth_error(r, 400, "invalid_request")
