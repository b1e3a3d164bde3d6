"""Community members in a real browser (headless Chromium), with the Discord fake: Sign in with Discord on the
consent page (choose the backends, Approve or Deny), and /me (sign in, add a backend with a secret header, the
refusals a person sees, remove it, sign out). Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from backend_fixtures import BackendProcess, write_backends_file
from browser import save_screenshot
from conftest import _watch
from discord_fake import DiscordFake
from discord_fixtures import assert_no_violations
from gateway import Gateway
from mcp_helpers import post_modern, response_message
from oauth_helpers import Authorization, authorization, callback_server, check_tokens, exchange, register

PHONE = {"width": 390, "height": 844}
CLIENT_NAME = "Members Browser Client"
CONSENT_HEADING = "An application asks to use this gateway"
ME_COOKIE = "mcpgw_me"


# --- the module's gateway -----------------------------------------------------------------------------
@dataclass
class Setup:
    gw: Gateway
    fake: DiscordFake
    backend: BackendProcess


@pytest.fixture(scope="module")
def module_setup(tmp_path_factory: pytest.TempPathFactory):
    """The fake Discord, a FastMCP fixture backend `alpha` on loopback, and a gateway with Sign in with Discord on
    both callbacks (consent page and /me), the built-in `discord` backend and `alpha`; all stopped afterwards."""
    work = tmp_path_factory.mktemp("browser-members")
    fake = DiscordFake().start()
    backend = BackendProcess(work, "alpha")
    gw = None
    try:
        backend.start()
        backends = write_backends_file(work / "backends.json", {"alpha": {"url": backend.url}})
        gw = Gateway(work / "gateway", {
            "DISCORD_CLIENT_ID": fake.client_id,
            "DISCORD_CLIENT_SECRET": fake.client_secret,
            "DISCORD_OAUTH_AUTHORIZE_URL": fake.authorize_url,
            "DISCORD_BOT_TOKEN": fake.bot_token,
            "DISCORD_API_BASE_URL": fake.base_url,
            "DISCORD_ALLOWED_GUILD_IDS": fake.ids["guild"],
            "GATEWAY_MEMBER_PRIVATE_HOSTS": "127.0.0.1",
            "BACKENDS_FILE": str(backends),
        }, name="browser members gateway")
        fake.register_application(
            redirect_uris=[gw.issuer + "/oauth/discord/callback", gw.issuer + "/me/discord/callback"])
        gw.start()
        yield Setup(gw, fake, backend)
    finally:
        if gw is not None:
            gw.stop()
        backend.stop()
        fake.stop()
    assert_no_violations(fake)


@pytest.fixture
def setup(module_setup: Setup, request: pytest.FixtureRequest) -> Setup:
    if not module_setup.gw.running:
        pytest.fail(f"the module's gateway is not running any more\n{module_setup.gw.logs()}")
    _watch(request.node, module_setup.gw)
    module_setup.fake.sign_in_as(module_setup.fake.ids["user_luis"])
    return module_setup


@pytest.fixture
def callback():
    with callback_server() as server:
        yield server


@pytest.fixture
def auth(http, setup: Setup, callback) -> Authorization:
    client = register(http, setup.gw, [callback.redirect_uri], client_name=CLIENT_NAME)
    return authorization(setup.gw, client["client_id"], callback.redirect_uri)


@pytest.fixture
def console_errors(page: Page) -> list[tuple[str, str]]:
    """What the page logs as an error to the console, and uncaught script errors: (text, the page's URL)."""
    seen: list[tuple[str, str]] = []
    page.on("console", lambda m: seen.append((m.text, m.location.get("url", ""))) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append((f"uncaught: {e}", page.url)))
    return seen


def unexpected(errors: list[tuple[str, str]], refusals: set[int]) -> list[tuple[str, str]]:
    """The errors, less Chromium's own note on a form answered with one of the refusal statuses the test expects
    (the gateway answers a refused form with its page and a 4xx status, on purpose)."""
    def expected(text: str, url: str) -> bool:
        m = re.fullmatch(r"Failed to load resource: the server responded with a status of (\d+) \(.*\)", text)
        return bool(m) and int(m.group(1)) in refusals and urlsplit(url).path == "/me/backends"
    return [(text, url) for text, url in errors if not expected(text, url)]


# --- steps -----------------------------------------------------------------------------------------------
def open_consent_page(page: Page, gw: Gateway, auth: Authorization) -> None:
    page.goto(auth.url(gw))
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)
    expect(page.get_by_label("Operator password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with Discord")).to_be_visible()


def sign_in_on_consent_page(page: Page, gw: Gateway) -> None:
    """Sign in with Discord → the fake answers at once → the consent page again, signed in as Luis."""
    page.get_by_role("button", name="Sign in with Discord").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/oauth/discord/callback")
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)
    expect(page.locator(".who")).to_have_text("Signed in as Luis")
    expect(page.get_by_label("Operator password")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in with Discord")).to_have_count(0)


def choices(page: Page):
    return page.get_by_role("checkbox")


def landed_params(page: Page, callback) -> dict[str, str]:
    """Wait for the browser to reach the redirect URI; return its query, which the callback server got too."""
    page.wait_for_url(lambda url: url.startswith(callback.redirect_uri + "?"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}
    assert callback.queries == [params], callback.queries
    expect(page.get_by_role("heading", level=1)).to_have_text("Redirect received")
    return params


def tool_names(http, gw: Gateway, token: str) -> list[str]:
    names: list[str] = []
    cursor = None
    while True:
        r = post_modern(http, gw, token, "tools/list", {"cursor": cursor} if cursor else {})
        assert r.status_code == 200, f"tools/list: HTTP {r.status_code} {r.text[:1000]}"
        message = response_message(r)
        assert "result" in message, f"tools/list: {message}"
        names += [t["name"] for t in message["result"]["tools"]]
        cursor = message["result"].get("nextCursor")
        if not cursor:
            return names


def page_fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways on a phone ({scroll}px wide on a {width}px screen)"


# =====================================================================================================
# Journey 1: an MCP client's authorization, answered by a member
# =====================================================================================================
def test_a_member_signs_in_unchecks_a_backend_and_the_token_lists_only_the_other(page: Page, http, setup, auth,
                                                                                   callback):
    gw = setup.gw
    open_consent_page(page, gw, auth)
    expect(page.locator("dl")).to_contain_text(CLIENT_NAME, use_inner_text=True)
    save_screenshot(page, "members-consent-sign-in")

    sign_in_on_consent_page(page, gw)
    boxes = choices(page)
    expect(boxes).to_have_count(2)
    expect(page.get_by_role("checkbox", name="discord")).to_be_checked()
    expect(page.get_by_role("checkbox", name="alpha")).to_be_checked()
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Deny", exact=True)).to_be_visible()
    save_screenshot(page, "members-consent-signed-in")

    page.get_by_role("checkbox", name="discord").uncheck()
    expect(page.get_by_role("checkbox", name="discord")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="alpha")).to_be_checked()
    save_screenshot(page, "members-consent-one-unchecked")

    page.get_by_role("button", name="Approve", exact=True).click()
    params = landed_params(page, callback)
    assert params.get("code") and params.get("state") == auth.state, params
    assert params.get("iss") == gw.issuer and "error" not in params, params
    save_screenshot(page, "members-approved-redirect")

    tokens = check_tokens(exchange(http, gw, params["code"], auth))
    names = tool_names(http, gw, tokens["access_token"])
    assert names, "the member's token lists no tools"
    assert all(n.startswith("alpha") for n in names), f"tools of an unchecked backend are listed: {names}"
    assert "alpha__echo" in names, names


def test_a_member_who_denies_lands_on_the_redirect_with_access_denied(page: Page, setup, auth, callback):
    gw = setup.gw
    open_consent_page(page, gw, auth)
    sign_in_on_consent_page(page, gw)
    page.get_by_role("button", name="Deny", exact=True).click()
    params = landed_params(page, callback)
    assert params.get("error") == "access_denied" and params.get("state") == auth.state, params
    assert "code" not in params, params
    save_screenshot(page, "members-denied-redirect")


def test_the_members_consent_page_reads_on_a_phone(page: Page, setup, auth):
    gw = setup.gw
    page.set_viewport_size(PHONE)
    open_consent_page(page, gw, auth)
    page_fits(page, PHONE["width"])
    save_screenshot(page, "members-consent-sign-in-phone")

    sign_in_on_consent_page(page, gw)
    expect(choices(page)).to_have_count(2)
    for box in choices(page).all():
        expect(box).to_be_visible()
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_in_viewport()
    page_fits(page, PHONE["width"])
    save_screenshot(page, "members-consent-signed-in-phone")


# =====================================================================================================
# Journey 2: /me
# =====================================================================================================
def backend_row(page: Page, name: str):
    return page.locator(".backend").filter(has=page.locator(".name").get_by_text(name, exact=True))


def add_backend(page: Page, name: str, url: str, header: str | None = None, value: str | None = None,
                status: int = 200) -> str:
    """Fill the "Add a backend" form and submit it; returns the HTML the gateway answered with (its status checked)."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("MCP server URL").fill(url)
    if header is not None:
        page.get_by_label("Header").fill(header)
    if value is not None:
        page.get_by_label("Value").fill(value)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/me/backends" and r.request.method == "POST") as r:
        page.get_by_role("button", name="Add backend").click()
    page.wait_for_load_state()
    assert r.value.status == status, f"POST /me/backends: expected {status}, got {r.value.status}"
    return r.value.text()


def test_me_sign_in_add_a_backend_refusals_remove_and_sign_out(page: Page, setup, console_errors):
    gw, backend = setup.gw, setup.backend
    secret = "notes-secret-" + secrets.token_hex(16)

    page.goto(gw.url("/me"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My backends")
    expect(page.get_by_role("button", name="Sign in with Discord")).to_be_visible()
    save_screenshot(page, "me-signed-out")

    page.get_by_role("button", name="Sign in with Discord").click()
    page.wait_for_url(gw.url("/me"))
    expect(page.get_by_role("button", name="Sign out Luis")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with Discord")).to_have_count(0)
    expect(page.get_by_role("heading", name="Add a backend")).to_be_visible()
    session = [c for c in page.context.cookies() if c["name"] in (ME_COOKIE, "__Host-" + ME_COOKIE)]
    assert len(session) == 1, page.context.cookies()
    assert session[0]["httpOnly"], f"the session cookie is readable by scripts: {session[0]}"
    assert page.evaluate("document.cookie").find(ME_COOKIE) == -1, "document.cookie shows the session cookie"
    save_screenshot(page, "me-signed-in")

    # Add a backend with a secret header.
    answer = add_backend(page, "notes", backend.url, "X-Api-Key", secret)
    expect(page.get_by_role("status")).to_have_text("Added notes.")
    row = backend_row(page, "notes")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("header X-Api-Key: set")
    assert secret not in answer, "the gateway's answer to the form contains the secret value"
    assert secret not in page.content(), "the page's HTML contains the secret value"
    save_screenshot(page, "me-added")

    # The same name again.
    answer = add_backend(page, "notes", backend.url, "X-Api-Key", secret, status=409)
    expect(page.get_by_role("alert")).to_contain_text("notes")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"already exists|taken|in use", re.I))
    expect(page.get_by_role("status")).to_have_count(0)
    expect(backend_row(page, "notes")).to_have_count(1)
    assert secret not in answer and secret not in page.content(), "the refusal's page contains the secret value"
    save_screenshot(page, "me-name-taken")

    # An address the gateway must not reach.
    add_backend(page, "metadata", "http://169.254.169.254/", status=400)
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"private or internal address", re.I))
    expect(backend_row(page, "metadata")).to_have_count(0)
    save_screenshot(page, "me-private-address")

    # Remove it.
    backend_row(page, "notes").get_by_role("button", name="Remove notes").click()
    expect(page.get_by_role("status")).to_have_text("Removed notes.")
    expect(backend_row(page, "notes")).to_have_count(0)
    save_screenshot(page, "me-removed")

    # Sign out.
    page.get_by_role("button", name="Sign out Luis").click()
    page.wait_for_url(gw.url("/me"))
    expect(page.get_by_role("button", name="Sign in with Discord")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Sign out"))).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] in (ME_COOKIE, "__Host-" + ME_COOKIE)], \
        page.context.cookies()
    save_screenshot(page, "me-signed-out-again")

    assert unexpected(console_errors, {400, 409}) == [], "console errors on /me:\n" + "\n".join(
        f"  {text} (at {url})" for text, url in unexpected(console_errors, {400, 409}))


def test_me_the_name_field_checks_its_pattern_in_the_browser(page: Page, setup):
    """The Name field's pattern tells a person at once that "Notes Backend" is no name, before anything is sent."""
    gw = setup.gw
    page.goto(gw.url("/me"))
    page.get_by_role("button", name="Sign in with Discord").click()
    page.wait_for_url(gw.url("/me"))
    expect(page.get_by_role("button", name="Sign out Luis")).to_be_visible()
    name = page.get_by_label("Name")
    name.fill("Notes Backend")
    page.get_by_label("MCP server URL").fill(setup.backend.url)
    mismatch = name.evaluate("el => el.validity.patternMismatch")
    save_screenshot(page, "me-name-pattern")
    assert mismatch, (f"the browser does not apply the Name field's pattern {name.get_attribute('pattern')!r} "
                      "(Chromium compiles a pattern with the v flag, where '-' at the end of a class must be escaped)")
