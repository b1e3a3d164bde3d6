"""`GATEWAY_OPERATOR_NETWORKS` keeps `/admin` (every page and form) and `/metrics` to the networks it lists, by the
client address as `GATEWAY_TRUSTED_PROXIES` resolves it (X-Forwarded-For only from a trusted proxy, right-most
untrusted hop); everyone else gets a plain-text 403, while /mcp, /health, discovery, registration and the consent
page keep working for them. A malformed list refuses to start."""

from __future__ import annotations

import httpx2
import pytest

from cli_helpers import status_token
from gateway import run_until_exit
from mcp_helpers import bearer, token_status
from oauth_helpers import authorization, obtain_tokens, open_consent, register

FORBIDDEN = "Forbidden: this page is not served to your network."


def assert_refused(r: httpx2.Response) -> None:
    what = f"{r.request.method} {r.request.url.path}"
    assert r.status_code == 403, f"{what}: expected 403, got {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("text/plain"), (what, r.headers)
    assert r.text.strip() == FORBIDDEN, (what, r.text)


def admin_login(http: httpx2.Client, gw, forwarded_for: str | None = None) -> httpx2.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return http.get(gw.url("/admin/login"), headers=headers)


def assert_admin_login_page(r: httpx2.Response) -> None:
    assert r.status_code == 200, f"/admin/login: {r.status_code} {r.text[:300]}"
    assert 'name="password"' in r.text and FORBIDDEN not in r.text


def assert_public_surfaces_work(http: httpx2.Client, gw) -> None:
    """What the world must still reach: health, discovery, registration, consent, and /mcp with a real token."""
    assert http.get(gw.url("/health")).status_code == 200
    assert http.get(gw.url("/.well-known/oauth-authorization-server")).json()["issuer"] == gw.issuer
    assert http.get(gw.url("/.well-known/oauth-protected-resource/mcp")).json()["resource"] == gw.mcp_url
    client = register(http, gw)  # asserts 201
    form = open_consent(http, authorization(gw, client["client_id"]).url(gw))  # asserts 200 and a POST form
    assert any(i.get("name") == "password" for i in form.inputs), form.inputs
    _, tokens = obtain_tokens(http, gw)
    assert token_status(http, gw, tokens["access_token"]) == 200
    assert http.get(gw.url("/status"), headers=bearer(tokens["access_token"])).status_code == 200


def test_outside_the_operator_networks_admin_and_metrics_are_refused(http, start_gateway):
    gw = start_gateway({"GATEWAY_OPERATOR_NETWORKS": "10.0.0.0/8"})
    prom = status_token(gw, "prom")
    assert_refused(admin_login(http, gw))
    assert_refused(http.get(gw.url("/admin")))
    assert_refused(http.post(gw.url("/admin/login"), data={"csrf_token": "x", "password": "whatever-it-is"}))
    assert_refused(http.post(gw.url("/admin/clients/revoke"), data={"client_id": "x", "csrf_token": "x"}))
    assert_refused(http.post(gw.url("/admin/logout"), data={"csrf_token": "x"}))
    assert_refused(http.get(gw.url("/metrics"), headers=bearer(prom)))
    # The token itself is good: /status, which is not an operator page, takes it.
    assert http.get(gw.url("/status"), headers=bearer(prom)).status_code == 200
    assert_public_surfaces_work(http, gw)
    assert "GATEWAY_OPERATOR_NETWORKS" in gw.stderr(), "the refusal is not logged"


def test_inside_the_operator_networks_admin_and_metrics_are_served(http, start_gateway):
    gw = start_gateway({"GATEWAY_OPERATOR_NETWORKS": "127.0.0.1/32,::1"})
    assert_admin_login_page(admin_login(http, gw))
    metrics = http.get(gw.url("/metrics"), headers=bearer(status_token(gw, "prom")))
    assert metrics.status_code == 200 and "# TYPE" in metrics.text, metrics.text[:300]
    assert_public_surfaces_work(http, gw)


@pytest.mark.parametrize("forwarded_for,served", [
    ("100.101.102.103", True),
    ("203.0.113.9", False),
    ("100.101.102.103, 203.0.113.9", False),  # the right-most untrusted hop is the client
    ("203.0.113.9, 100.101.102.103", True),
    (None, False),  # the proxy itself, 127.0.0.1, is not in the range
])
def test_behind_a_trusted_proxy_the_forwarded_client_decides(http, start_gateway, forwarded_for, served):
    gw = start_gateway({"GATEWAY_TRUSTED_PROXIES": "127.0.0.1", "GATEWAY_OPERATOR_NETWORKS": "100.64.0.0/10"})
    r = admin_login(http, gw, forwarded_for)
    if served:
        assert_admin_login_page(r)
    else:
        assert_refused(r)
        assert_public_surfaces_work(http, gw)


def test_a_forged_forwarded_for_from_an_untrusted_peer_counts_for_nothing(http, start_gateway):
    gw = start_gateway({"GATEWAY_OPERATOR_NETWORKS": "100.64.0.0/10"})
    assert_refused(admin_login(http, gw, "100.101.102.103"))
    assert_refused(http.get(gw.url("/metrics"), headers={"X-Forwarded-For": "100.101.102.103",
                                                          **bearer(status_token(gw, "prom"))}))


def test_empty_means_everywhere(http, start_gateway):
    gw = start_gateway({"GATEWAY_OPERATOR_NETWORKS": ""})
    assert_admin_login_page(admin_login(http, gw))


@pytest.mark.parametrize("value", ["100.64.0.0/99", "not-an-address", "10.0.0.0/8,300.1.1.1"])
def test_a_malformed_list_refuses_to_start(tmp_path, value):
    code, out, err = run_until_exit(tmp_path, {"GATEWAY_OPERATOR_NETWORKS": value})
    assert code == 78, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert "GATEWAY_OPERATOR_NETWORKS" in err, err
