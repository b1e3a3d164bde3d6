"""Clients and tokens survive a restart on the same database."""

from mcp_helpers import token_status
from oauth_helpers import check_tokens, exchange, get_code, oauth_error, obtain_tokens, refresh, revoke


def test_tokens_survive_a_restart(http, start_gateway):
    gw = start_gateway()
    client, t = obtain_tokens(http, gw)
    _, t_spare = obtain_tokens(http, gw, client)
    assert token_status(http, gw, t["access_token"]) == 200

    gw.restart()  # same port, same DATABASE_PATH

    assert token_status(http, gw, t["access_token"]) == 200
    t2 = check_tokens(refresh(http, gw, client["client_id"], t["refresh_token"]))
    assert token_status(http, gw, t2["access_token"]) == 200
    # The registered client still exists: a new authorization works without registering again.
    code, auth = get_code(http, gw, client["client_id"], client["redirect_uris"][0])
    check_tokens(exchange(http, gw, code, auth))
    assert token_status(http, gw, t_spare["access_token"]) == 200


def test_revocation_survives_a_restart(http, start_gateway):
    gw = start_gateway()
    client, t = obtain_tokens(http, gw)
    assert revoke(http, gw, client["client_id"], t["refresh_token"], "refresh_token").status_code == 200
    gw.restart()
    assert token_status(http, gw, t["access_token"]) == 401
    oauth_error(refresh(http, gw, client["client_id"], t["refresh_token"]), 400, "invalid_grant")
