"""The consent page in a real browser (headless Chromium): Approve, a wrong password, Deny.

The redirect URI is a loopback server, as a native app runs one, so the tests see where the browser
really went. Screenshots are saved under test-artifacts/browser/.
"""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from browser import save_screenshot
from gateway import PASSWORD
from oauth_helpers import authorization, callback_server, check_tokens, exchange, register

CLIENT_NAME = "Browser <b>Test</b> & Co"  # its markup must show as text, not as HTML


@pytest.fixture
def callback():
    with callback_server() as server:
        yield server


@pytest.fixture
def auth(http, gw, callback):
    client = register(http, gw, [callback.redirect_uri], client_name=CLIENT_NAME)
    return authorization(gw, client["client_id"], callback.redirect_uri)


def open_consent_page(page: Page, gw, auth) -> None:
    page.goto(auth.url(gw))
    expect(page.get_by_role("heading", level=1)).to_have_text("An application asks to use this gateway")


def decide(page: Page, button: str, password: str | None = None) -> None:
    """Type the password (when given) and press Approve or Deny, as the operator would."""
    if password is not None:
        page.get_by_label("Operator password").fill(password)
    page.get_by_role("button", name=button, exact=True).click()


def landed_params(page: Page, callback) -> dict[str, str]:
    """Wait for the browser to reach the redirect URI; return its query, which the callback server got too."""
    page.wait_for_url(lambda url: url.startswith(callback.redirect_uri + "?"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}
    assert callback.queries == [params], callback.queries
    return params


def test_approve_lands_on_redirect_with_code(page, http, gw, auth, callback):
    open_consent_page(page, gw, auth)
    expect(page.locator(".host")).to_have_text("127.0.0.1")
    details = page.locator("dl")
    expect(details).to_contain_text(CLIENT_NAME, use_inner_text=True)
    expect(details).to_contain_text(callback.redirect_uri, use_inner_text=True)
    expect(page.locator("main b")).to_have_count(0)
    save_screenshot(page, "consent-page")

    decide(page, "Approve", PASSWORD)
    params = landed_params(page, callback)
    assert params["code"] and params["state"] == auth.state and params["iss"] == gw.issuer, params
    assert "error" not in params
    save_screenshot(page, "approved-redirect")

    tokens = check_tokens(exchange(http, gw, params["code"], auth))
    assert tokens["access_token"]


def test_wrong_password_shows_error_without_redirect(page, gw, auth, callback):
    open_consent_page(page, gw, auth)
    decide(page, "Approve", "not-the-password-" + secrets.token_hex(4))
    expect(page.get_by_role("alert")).to_have_text("Wrong password.")
    assert page.url.startswith(gw.url("/oauth/authorize")), page.url
    assert callback.queries == []
    save_screenshot(page, "wrong-password")

    # The page shown again still works: the right password now approves.
    decide(page, "Approve", PASSWORD)
    params = landed_params(page, callback)
    assert params["code"] and params["state"] == auth.state, params


def test_deny_lands_on_redirect_with_access_denied(page, gw, auth, callback):
    open_consent_page(page, gw, auth)
    decide(page, "Deny")
    params = landed_params(page, callback)
    assert params["error"] == "access_denied" and params["state"] == auth.state, params
    assert "code" not in params
    save_screenshot(page, "denied-redirect")
