"""`/admin`, the operator's pages, over plain HTTP: sign-in with the operator password (throttled, CSRF-checked),
the session cookie's attributes, backends and clients and audit entries shown, filters, revoking a client (its
tokens die at once), signing out."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from typing import Iterator

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from gateway import PASSWORD, Gateway
from mcp_helpers import bearer, run_sdk_client
from oauth_helpers import obtain_tokens

SESSION_COOKIE = "mcpgw_admin"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("admin")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="admin gateway") as setup:
        yield setup


def hidden(page: str, name: str = "csrf_token") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


def sign_in(http: httpx2.Client, gw: Gateway, password: str = PASSWORD) -> httpx2.Response:
    form = http.get(gw.url("/admin/login"))
    assert form.status_code == 200, form.text
    return http.post(gw.url("/admin/login"), data={"csrf_token": hidden(form.text), "password": password})


@contextmanager
def signed_in(gw: Gateway) -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=15, trust_env=False, follow_redirects=False) as http:
        r = sign_in(http, gw)
        assert r.status_code == 303 and r.headers["location"] == "/admin", r.text
        yield http


def test_the_pages_need_a_signed_in_session(setup):
    gw, _ = setup
    with httpx2.Client(timeout=15, trust_env=False) as http:
        r = http.get(gw.url("/admin"))
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        assert http.post(gw.url("/admin/clients/revoke"), data={"client_id": "x"}).status_code == 303
        http.cookies.set(SESSION_COOKIE, "forged-session-id")
        assert http.get(gw.url("/admin")).headers["location"] == "/admin/login"


def test_sign_in_checks_the_password_and_the_form(setup):
    gw, _ = setup
    with httpx2.Client(timeout=15, trust_env=False) as http:
        wrong = sign_in(http, gw, "not-the-password-000")
        assert wrong.status_code == 401 and "Wrong password." in wrong.text and SESSION_COOKIE not in wrong.headers.get(
            "set-cookie", "")
        form = http.get(gw.url("/admin/login"))
        http.cookies.clear()  # a form posted without its cookie: not from this browser's own page
        forged = http.post(gw.url("/admin/login"), data={"csrf_token": hidden(form.text), "password": PASSWORD})
        assert forged.status_code == 400 and "expired" in forged.text
        assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")

        right = sign_in(http, gw)
        assert right.status_code == 303
        cookie = next(c for c in right.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Secure" not in cookie, cookie
        page = http.get(gw.url("/admin"))
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "form-action 'self'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
        assert page.headers["cache-control"] == "no-store"


def test_the_dashboard_shows_backends_clients_and_calls_with_filters(setup):
    gw, token = setup

    async def calls(client):
        await client.call_tool("alpha__echo", {"text": "seen on the dashboard"})
        await client.call_tool("alpha__add", {"a": 2, "b": 3})

    run_sdk_client(gw, token, calls)
    with signed_in(gw) as http:
        # Audit rows are written in batches, about once a second: wait for them.
        deadline = time.monotonic() + 15
        page = http.get(gw.url("/admin")).text
        while "seen on the dashboard" not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            page = http.get(gw.url("/admin")).text
        backend = re.search(r'<tr data-backend="alpha">.*?</tr>', page, re.S).group(0)
        assert "state-up" in backend and re.search(r'data-label="Tools">\d+<', backend), backend
        assert "seen on the dashboard" in page and "echo" in page and "add" in page
        assert 'data-client="' in page
        only_add = http.get(gw.url("/admin"), params={"backend": "alpha", "tool": "add"}).text
        audit = only_add[only_add.index('id="audit"'):]
        assert "<strong>add</strong>" in audit and "<strong>echo</strong>" not in audit
        assert 'value="add"' in only_add and '<option value="alpha" selected>' in only_add
        nothing = http.get(gw.url("/admin"), params={"tool": "<script>"}).text
        assert "No tool calls match these filters" in nothing and "<script>" not in nothing


def test_revoking_a_client_ends_its_tokens_at_once(setup):
    gw, _ = setup
    with httpx2.Client(timeout=15, trust_env=False) as oauth:
        client, tokens = obtain_tokens(oauth, gw)
        assert oauth.get(gw.url("/status"), headers=bearer(tokens["access_token"])).status_code == 200
        with signed_in(gw) as http:
            page = http.get(gw.url("/admin")).text
            assert f'data-client="{client["client_id"]}"' in page
            refused = http.post(gw.url("/admin/clients/revoke"), data={"client_id": client["client_id"], "csrf_token": "x"})
            assert refused.status_code == 403
            done = http.post(gw.url("/admin/clients/revoke"),
                             data={"client_id": client["client_id"], "csrf_token": hidden(page)})
            assert done.status_code == 303 and done.headers["location"] == "/admin?notice=revoked"
            after = http.get(gw.url("/admin?notice=revoked")).text
            assert "Revoked the client" in after and f'data-client="{client["client_id"]}"' not in after
        assert oauth.get(gw.url("/status"), headers=bearer(tokens["access_token"])).status_code == 401


def test_signing_out_ends_the_session(setup):
    gw, _ = setup
    with signed_in(gw) as http:
        page = http.get(gw.url("/admin")).text
        assert http.post(gw.url("/admin/logout"), data={"csrf_token": "wrong"}).status_code == 403
        out = http.post(gw.url("/admin/logout"), data={"csrf_token": hidden(page)})
        assert out.status_code == 303 and out.headers["location"] == "/admin/login?notice=signed_out"
        session = http.cookies.get(SESSION_COOKIE)
        assert not session, session
        http.cookies.set(SESSION_COOKIE, "")
        assert http.get(gw.url("/admin")).status_code == 303


def test_over_https_the_cookie_is_host_prefixed_and_secure(tmp_path):
    gw = Gateway(tmp_path, {"OAUTH_ISSUER_URL": "https://gateway.example.com"}, name="https admin gateway")
    gw.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False) as http:
            form = http.get(gw.url("/admin/login"))
            login_cookie = form.headers["set-cookie"]
            assert login_cookie.startswith("__Host-mcpgw_login=") and "Secure" in login_cookie, login_cookie
            # httpx keeps Secure cookies for https; this test talks plain HTTP to loopback, so it sends it itself.
            r = http.post(gw.url("/admin/login"), data={"csrf_token": hidden(form.text), "password": PASSWORD},
                          headers={"Cookie": login_cookie.split(";")[0]})
            assert r.status_code == 303, r.text
            cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-mcpgw_admin="))
            assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie, cookie
    finally:
        gw.stop()


def test_wrong_passwords_are_throttled(tmp_path):
    gw = Gateway(tmp_path, name="throttled admin gateway")
    gw.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False) as http:
            statuses = [sign_in(http, gw, f"wrong-password-{i:04d}").status_code for i in range(6)]
            assert statuses[:4] == [401] * 4 and 429 in statuses, statuses
            locked = sign_in(http, gw)
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    finally:
        gw.stop()


def test_behind_a_trusted_proxy_each_client_has_its_own_lockout(tmp_path):
    """Behind Funnel, Caddy or nginx every request comes from the proxy: its X-Forwarded-For must decide whose
    wrong passwords count, or one stranger would lock everybody out. An untrusted peer's header counts for nothing."""
    gw = Gateway(tmp_path, {"GATEWAY_TRUSTED_PROXIES": "127.0.0.1"}, name="proxied admin gateway")
    gw.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False, headers={"X-Forwarded-For": "203.0.113.5"}) as guesser:
            statuses = [sign_in(guesser, gw, f"wrong-password-{i:04d}").status_code for i in range(6)]
            assert 429 in statuses, statuses
        with httpx2.Client(timeout=15, trust_env=False, headers={"X-Forwarded-For": "198.51.100.20"}) as operator:
            assert sign_in(operator, gw).status_code == 303
    finally:
        gw.stop()
    assert "client=203.0.113.5" in gw.stderr(), "the access log names the forwarded client"

    direct = Gateway(tmp_path / "direct", name="unproxied admin gateway")
    direct.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False, headers={"X-Forwarded-For": "203.0.113.5"}) as guesser:
            assert 429 in [sign_in(guesser, direct, f"wrong-password-{i:04d}").status_code for i in range(6)]
        with httpx2.Client(timeout=15, trust_env=False, headers={"X-Forwarded-For": "198.51.100.20"}) as spoofer:
            assert sign_in(spoofer, direct).status_code == 429, "a header from an untrusted peer changed nothing"
    finally:
        direct.stop()


def test_a_bad_trusted_proxy_list_refuses_to_start(tmp_path):
    from gateway import run_until_exit

    code, out, err = run_until_exit(tmp_path, {"GATEWAY_TRUSTED_PROXIES": "localhost"})
    assert code == 78 and "GATEWAY_TRUSTED_PROXIES" in err, (code, out, err)
