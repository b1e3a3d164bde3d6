"""The consent page and its POST: headers, CSRF, single use, tampering, Deny, wrong passwords, throttling."""

import re
import secrets
import time

import pytest

from gateway import PASSWORD
from oauth_helpers import (
    WEB_REDIRECT,
    authorization,
    check_tokens,
    exchange,
    location_params,
    open_consent,
    register,
    submit_consent,
)


@pytest.fixture
def client(http, gw):
    return register(http, gw, [WEB_REDIRECT], client_name="Consent <b>Test</b> & Co")


@pytest.fixture
def auth(gw, client):
    return authorization(gw, client["client_id"], WEB_REDIRECT)


def _rejected(r, status=400):
    assert r.status_code == status, f"{r.status_code} {r.headers} {r.text[:500]}"
    assert "location" not in r.headers, r.headers["location"]


def test_page_headers(http, gw, auth):
    page = open_consent(http, auth.url(gw)).page
    h = page.headers
    assert h.get("x-frame-options", "").upper() == "DENY"
    csp = h.get("content-security-policy", "")
    assert re.search(r"frame-ancestors\s+'none'", csp), csp
    assert "form-action" not in csp, csp  # Chromium would block the redirect after the POST
    assert "no-store" in h.get("cache-control", "")
    assert h.get("referrer-policy", "").lower() == "no-referrer"


def test_page_content(http, gw, auth):
    form = open_consent(http, auth.url(gw))
    text = form.page.text
    assert "Consent &lt;b&gt;Test&lt;/b&gt; &amp; Co" in text or "Consent &lt;b&gt;Test&lt;/b&gt; &#38; Co" in text, \
        "client name missing or not HTML-escaped"
    assert "<b>Test</b>" not in text
    assert "app.example" in text  # redirect host in plain sight
    assert "mcp" in text  # the requested scope
    assert set(form.hidden) == {"transaction_id", "csrf_token"}, form.hidden
    assert any(i.get("name") == "password" and i.get("type") == "password" for i in form.inputs)
    decisions = {b.get("value") for b in form.buttons if b.get("name") == "decision"}
    assert decisions == {"approve", "deny"}, form.buttons


def test_approve_redirects_with_303(http, gw, auth):
    r = submit_consent(http, open_consent(http, auth.url(gw)), PASSWORD)
    assert r.status_code == 303, f"{r.status_code} {r.text[:300]}"
    params = location_params(r)
    assert params["code"] and params["state"] == auth.state and params["iss"] == gw.issuer
    assert "error" not in params


def test_deny(http, gw, auth):
    form = open_consent(http, auth.url(gw))
    r = submit_consent(http, form, None, decision="deny")
    assert r.status_code == 303, f"{r.status_code} {r.text[:300]}"
    assert r.headers["location"].startswith(WEB_REDIRECT + "?")
    params = location_params(r)
    assert params.get("error") == "access_denied"
    assert params.get("state") == auth.state and params.get("iss") == gw.issuer
    assert "code" not in params
    # The transaction is consumed: approving it afterwards yields nothing.
    _rejected(submit_consent(http, form, PASSWORD))


def test_missing_csrf_token(http, gw, auth):
    _rejected(submit_consent(http, open_consent(http, auth.url(gw)), PASSWORD, drop=("csrf_token",)))


def test_wrong_csrf_token(http, gw, auth):
    form = open_consent(http, auth.url(gw))
    _rejected(submit_consent(http, form, PASSWORD, replace={"csrf_token": secrets.token_urlsafe(32)}))


def test_csrf_token_of_another_transaction(http, gw, client):
    a = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
    b = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
    _rejected(submit_consent(http, a, PASSWORD, replace={"csrf_token": b.hidden["csrf_token"]}))


def test_unknown_transaction(http, gw, auth):
    form = open_consent(http, auth.url(gw))
    _rejected(submit_consent(http, form, PASSWORD, replace={"transaction_id": secrets.token_urlsafe(24)}))


def test_reused_transaction(http, gw, auth):
    form = open_consent(http, auth.url(gw))
    first = submit_consent(http, form, PASSWORD)
    assert first.status_code == 303
    _rejected(submit_consent(http, form, PASSWORD))


@pytest.mark.parametrize("field,value", [
    ("client_id", "other-client"),
    ("redirect_uri", "https://evil.example/cb"),
    ("scope", "mcp admin"),
    ("state", "forged"),
    ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ("code_challenge_method", "plain"),
    ("resource", "https://evil.example/mcp"),
])
def test_tampered_fields(http, gw, auth, field, value):
    form = open_consent(http, auth.url(gw))
    _rejected(submit_consent(http, form, PASSWORD, extra={field: value}))


def test_get_form_is_not_a_decision(http, gw, auth):
    """The decision must be a POST: GET with the form's fields in the query issues nothing."""
    form = open_consent(http, auth.url(gw))
    r = http.get(form.action, params={**form.hidden, "password": PASSWORD, "decision": "approve"})
    assert "code=" not in r.headers.get("location", "")


def test_wrong_password_then_right_one(http, start_gateway):
    gw = start_gateway()
    client = register(http, gw, [WEB_REDIRECT])
    auth = authorization(gw, client["client_id"], WEB_REDIRECT)
    form = open_consent(http, auth.url(gw))
    wrong = "not-the-password-" + secrets.token_hex(4)
    r = submit_consent(http, form, wrong)
    _rejected(r, 401)
    assert "<form" in r.text.lower()  # the consent page again
    r = submit_consent(http, form, PASSWORD)  # same transaction still usable
    assert r.status_code == 303, f"{r.status_code} {r.text[:300]}"
    code = location_params(r)["code"]
    check_tokens(exchange(http, gw, code, auth))
    logs = gw.stdout() + gw.stderr()
    assert PASSWORD not in logs and wrong not in logs, "a password appears in the server log"


def test_throttled_after_five_wrong_passwords(http, start_gateway):
    gw = start_gateway()
    client = register(http, gw, [WEB_REDIRECT])
    form = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
    statuses = []
    started = time.monotonic()
    for i in range(5):
        r = submit_consent(http, form, f"wrong-password-{i:04d}")
        assert "location" not in r.headers
        statuses.append(r.status_code)
    assert statuses[:4] == [401] * 4, statuses
    assert statuses[4] in (401, 429), statuses
    assert time.monotonic() - started < 10, "backoff per wrong password must stay short (≤ 1 s)"

    # Now even the right password is refused, on this transaction and on a fresh one.
    for f in (form, open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))):
        r = submit_consent(http, f, PASSWORD)
        _rejected(r, 429)
        retry_after = r.headers.get("retry-after", "")
        assert retry_after.isdigit() and int(retry_after) > 0, r.headers
