"""Refresh tokens: rotation, misuse, replay inside and after the grace window, concurrent refreshes."""

import threading
import time

import httpx2

from gateway import HTTP_TIMEOUT
from mcp_helpers import token_status
from oauth_helpers import check_tokens, nothing_issued, oauth_error, obtain_tokens, refresh, register


def test_rotation(http, gw, tokens):
    client, t0 = tokens
    t1 = check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))
    assert t1["refresh_token"] != t0["refresh_token"]
    assert t1["access_token"] != t0["access_token"]
    assert t1["scope"] == "mcp"
    assert token_status(http, gw, t1["access_token"]) == 200
    check_tokens(refresh(http, gw, client["client_id"], t1["refresh_token"]))


def test_refresh_by_another_client(http, gw, tokens):
    client, t0 = tokens
    other = register(http, gw)
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, other["client_id"], t0["refresh_token"]), 400, "invalid_grant")
    # Nothing changed for the rightful client.
    assert token_status(http, gw, t0["access_token"]) == 200
    check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))


def test_refresh_by_unknown_client(http, gw, tokens):
    client, t0 = tokens
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, "no-such-client", t0["refresh_token"]), 401, "invalid_client")


def test_wider_scope(http, gw, tokens):
    client, t0 = tokens
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, client["client_id"], t0["refresh_token"], scope="mcp admin"), 400, "invalid_scope")
    check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))


def test_same_scope_is_fine(http, gw, tokens):
    client, t0 = tokens
    assert check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"], scope="mcp"))["scope"] == "mcp"


def test_foreign_resource(http, gw, tokens):
    client, t0 = tokens
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, client["client_id"], t0["refresh_token"], resource="https://evil.example/mcp"),
                    400, "invalid_target")
    check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))


def test_access_token_as_refresh_token(http, gw, tokens):
    client, t0 = tokens
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, client["client_id"], t0["access_token"]), 400, "invalid_grant")
    assert token_status(http, gw, t0["access_token"]) == 200


def test_garbage_refresh_token(http, gw, tokens):
    client, t0 = tokens
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, client["client_id"], "garbage-" + "x" * 40), 400, "invalid_grant")


def test_missing_refresh_token(http, gw, tokens):
    client, t0 = tokens
    with nothing_issued(http, gw, t0["access_token"]):
        oauth_error(refresh(http, gw, client["client_id"], None), 400, "invalid_request")


def test_replay_within_grace_window(http, gw, tokens):
    """Default grace is 30 s: a just-rotated token may be used again (two tabs refreshing at once)."""
    client, t0 = tokens
    t1 = check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))
    t2 = check_tokens(refresh(http, gw, client["client_id"], t0["refresh_token"]))
    assert token_status(http, gw, t1["access_token"]) == 200
    assert token_status(http, gw, t2["access_token"]) == 200


def test_replay_after_grace_window_revokes_the_family(http, start_gateway):
    gw = start_gateway({"OAUTH_REFRESH_REUSE_GRACE": "1"})
    client, t0 = obtain_tokens(http, gw)
    cid = client["client_id"]
    t1 = check_tokens(refresh(http, gw, cid, t0["refresh_token"]))
    t2 = check_tokens(refresh(http, gw, cid, t1["refresh_token"]))
    time.sleep(2.5)
    oauth_error(refresh(http, gw, cid, t0["refresh_token"]), 400, "invalid_grant")
    # The whole family is gone, the newest tokens included.
    for t in (t0, t1, t2):
        assert token_status(http, gw, t["access_token"]) == 401
    oauth_error(refresh(http, gw, cid, t2["refresh_token"]), 400, "invalid_grant")
    oauth_error(refresh(http, gw, cid, t1["refresh_token"]), 400, "invalid_grant")


def test_other_grants_survive_a_family_revocation(http, start_gateway):
    gw = start_gateway({"OAUTH_REFRESH_REUSE_GRACE": "1"})
    client, a0 = obtain_tokens(http, gw)
    _, b0 = obtain_tokens(http, gw, client)  # a second approval: its own family
    cid = client["client_id"]
    check_tokens(refresh(http, gw, cid, a0["refresh_token"]))
    time.sleep(2.5)
    oauth_error(refresh(http, gw, cid, a0["refresh_token"]), 400, "invalid_grant")
    assert token_status(http, gw, b0["access_token"]) == 200
    check_tokens(refresh(http, gw, cid, b0["refresh_token"]))


def _concurrent_refreshes(gw, client_id: str, refresh_token: str, n: int) -> list[httpx2.Response]:
    barrier = threading.Barrier(n)
    results: list[httpx2.Response | BaseException] = [None] * n  # type: ignore[list-item]

    def worker(i: int) -> None:
        try:
            with httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False) as h:
                barrier.wait(timeout=10)
                results[i] = refresh(h, gw, client_id, refresh_token)
        except BaseException as e:  # reported below
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for r in results:
        assert isinstance(r, httpx2.Response), f"request failed: {r!r}"
    return results  # type: ignore[return-value]


def test_concurrent_refreshes_never_fork_the_family(http, start_gateway):
    gw = start_gateway({"OAUTH_REFRESH_REUSE_GRACE": "1"})
    rounds = []
    for _ in range(3):
        client, t0 = obtain_tokens(http, gw)
        responses = _concurrent_refreshes(gw, client["client_id"], t0["refresh_token"], 4)
        for r in responses:
            assert r.status_code < 500, f"5xx on concurrent refresh: {r.status_code} {r.text}"
            assert r.status_code in (200, 400), f"{r.status_code} {r.text}"
            if r.status_code == 400:
                assert r.json()["error"] == "invalid_grant"
        issued = [r.json() for r in responses if r.status_code == 200]
        assert issued, "no concurrent refresh succeeded"
        rounds.append((client, t0, issued))

    # Replaying the original token after the grace window must take every branch down with it:
    # if the concurrent refreshes had created unrelated families, some of these would survive.
    time.sleep(2.5)
    for client, t0, issued in rounds:
        oauth_error(refresh(http, gw, client["client_id"], t0["refresh_token"]), 400, "invalid_grant")
        for t in issued:
            assert token_status(http, gw, t["access_token"]) == 401
            oauth_error(refresh(http, gw, client["client_id"], t["refresh_token"]), 400, "invalid_grant")
