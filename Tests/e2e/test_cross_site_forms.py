"""The pages' forms refuse what a browser reports as coming from another site, by `Sec-Fetch-Site` and `Origin`,
even with a valid CSRF token, and change nothing; and wrong passwords on the consent page and on `/admin` share one
throttle budget per client."""

from __future__ import annotations

import httpx2
import pytest

from gateway import PASSWORD
from oauth_helpers import WEB_REDIRECT, authorization, check_tokens, exchange, location_params, open_consent, register, submit_consent


@pytest.fixture
def consent(http, gw):
    client = register(http, gw, [WEB_REDIRECT])
    auth = authorization(gw, client["client_id"], WEB_REDIRECT)
    return auth, open_consent(http, auth.url(gw))


def _post(http, form, headers, password=PASSWORD):
    data = dict(form.hidden, password=password, decision="approve")
    return http.post(form.action, data=data, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        # A matching Origin does not excuse a browser's own report of a cross-site request.
        {"Sec-Fetch-Site": "cross-site", "Origin": "__own__"},
    ],
    ids=["foreign-origin", "null-origin", "cross-site", "same-site", "both", "own-origin-but-cross-site"],
)
def test_a_cross_site_consent_post_gets_no_code_and_changes_nothing(http, gw, consent, headers):
    auth, form = consent
    headers = {k: (gw.issuer if v == "__own__" else v) for k, v in headers.items()}
    refused = _post(http, form, headers)
    assert refused.status_code == 403, f"{refused.status_code} {refused.text[:300]}"
    assert "location" not in refused.headers
    assert "another site" in refused.text
    # The approval is still pending: the operator's own post goes through.
    approved = _post(http, form, {"Origin": gw.issuer, "Sec-Fetch-Site": "same-origin"})
    assert approved.status_code == 303, approved.text[:300]
    check_tokens(exchange(http, gw, location_params(approved)["code"], auth))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "__own__"},
        # What Chromium sends from a page served with Referrer-Policy: no-referrer.
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_a_same_origin_or_headerless_consent_post_is_answered(http, gw, consent, headers):
    auth, form = consent
    headers = {k: (gw.issuer if v == "__own__" else v) for k, v in headers.items()}
    r = _post(http, form, headers)
    assert r.status_code == 303 and "code" in location_params(r), r.text[:300]


def test_a_cross_site_deny_is_refused_too(http, gw, consent):
    _, form = consent
    r = http.post(form.action, data=dict(form.hidden, decision="deny"), headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "location" not in r.headers


def test_admin_forms_refuse_cross_site_posts(http, gw):
    page = http.get(gw.url("/admin/login"))
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = http.post(
        gw.url("/admin/login"), data={"csrf_token": token, "password": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and "mcpgw_admin=" not in r.headers.get("set-cookie", ""), r.text[:300]
    ok = http.post(gw.url("/admin/login"), data={"csrf_token": token, "password": PASSWORD}, headers={"Origin": gw.issuer})
    assert ok.status_code == 303 and ok.headers["location"] == "/admin", ok.text[:300]


def test_consent_and_admin_share_one_password_budget(http, start_gateway):
    gw = start_gateway()
    client = register(http, gw, [WEB_REDIRECT])
    form = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
    statuses = [submit_consent(http, form, f"wrong-password-{i:04d}").status_code for i in range(3)]
    assert statuses == [401] * 3, statuses
    with httpx2.Client(timeout=15, trust_env=False, follow_redirects=False) as admin:
        for i in range(2):
            page = admin.get(gw.url("/admin/login"))
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            last = admin.post(gw.url("/admin/login"), data={"csrf_token": token, "password": f"wrong-admin-{i:04d}"})
        assert last.status_code == 429, f"the fifth wrong password (two at /admin) must lock out: {last.status_code}"
    # The lockout holds on the consent page too, even for the right password.
    r = submit_consent(http, form, PASSWORD)
    assert r.status_code == 429 and "location" not in r.headers
