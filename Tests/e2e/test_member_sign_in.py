"""Sign in with Discord on the consent page: a community member answers the consent page by signing in with Discord
(PKCE S256, a state bound to the pending approval and to the browser's cookie) instead of typing the operator
password; the bot checks they belong to an allowed guild, a user row is kept, and the grant is theirs, limited to the
backends they left checked. Hostile and broken round trips get a page, never a code; the member's Discord token goes
to /users/@me once and nowhere else, neither into the logs nor into the database; bad settings refuse to start."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx2
import pytest

from backend_fixtures import fixture_args, write_backends_file
from conftest import _watch
from discord_fake import DiscordFake
from discord_fake.oauth import s256
from discord_fixtures import assert_no_violations, no_new_violations, discord_fake  # noqa: F401
from gateway import HTTP_TIMEOUT, PASSWORD, Gateway, run_until_exit
from mcp_helpers import find_mcp_error, run_sdk_client
from oauth_helpers import (
    WEB_REDIRECT,
    Authorization,
    _FormParser,
    authorization,
    check_tokens,
    exchange,
    location_params,
    refresh,
    register,
)

CALLBACK_PATH = "/oauth/discord/callback"
COOKIE = "mcpgw_signin"


# --- settings and gateways -----------------------------------------------------------------------
def signin_settings(fake: DiscordFake, **extra: str | None) -> dict[str, str | None]:
    """Sign in with Discord pointed at the fake (its bot also runs the built-in Discord backend)."""
    env: dict[str, str | None] = {
        "DISCORD_CLIENT_ID": fake.client_id,
        "DISCORD_CLIENT_SECRET": fake.client_secret,
        "DISCORD_OAUTH_AUTHORIZE_URL": fake.authorize_url,
        "DISCORD_BOT_TOKEN": fake.bot_token,
        "DISCORD_API_BASE_URL": fake.base_url,
        "DISCORD_ALLOWED_GUILD_IDS": fake.ids["guild"],
    }
    env.update(extra)
    return env


def signin_gateway(work: Path, fake: DiscordFake, name: str, **extra: str | None) -> Gateway:
    """A started gateway whose callback the fake's application lists (the port is fixed at construction)."""
    gw = Gateway(work, signin_settings(fake, **extra), name=name)
    fake.register_application(redirect_uris=[gw.issuer + CALLBACK_PATH])
    gw.start()
    return gw


def new_browser() -> httpx2.Client:
    return httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False, follow_redirects=False)


# --- the consent page -------------------------------------------------------------------------------
@dataclass
class Form:
    action: str
    hidden: dict[str, str]
    inputs: list[dict[str, str]]
    buttons: list[dict[str, str]]

    @property
    def choices(self) -> list[dict[str, str]]:
        return [i for i in self.inputs if i.get("type", "").lower() == "checkbox" and i.get("name") == "choice"]

    @property
    def has_password(self) -> bool:
        return any(i.get("type", "").lower() == "password" or i.get("name") == "password" for i in self.inputs)

    @property
    def decisions(self) -> list[str]:
        return [b.get("value", "") for b in self.buttons if b.get("name") == "decision"]


def post_forms(page: httpx2.Response) -> list[Form]:
    parser = _FormParser()
    parser.feed(page.text)
    out = []
    for f in parser.forms:
        if f["attrs"].get("method", "get").lower() != "post":
            continue
        action = urljoin(str(page.url), f["attrs"].get("action") or str(page.url))
        hidden = {
            i["name"]: i.get("value", "")
            for i in f["inputs"]
            if i.get("type", "").lower() == "hidden" and i.get("name")
        }
        out.append(Form(action, hidden, f["inputs"], f["buttons"]))
    return out


@dataclass
class Consent:
    client: dict
    auth: Authorization
    page: httpx2.Response
    password_form: Form
    signin_form: Form


def open_consent_page(http: httpx2.Client, gw: Gateway) -> Consent:
    """A fresh client's consent page on a gateway with sign-in enabled: the password form, then the sign-in form."""
    client = register(http, gw, [WEB_REDIRECT])
    auth = authorization(gw, client["client_id"], WEB_REDIRECT)
    page = http.get(auth.url(gw))
    assert page.status_code == 200, f"authorize GET: {page.status_code} {page.text[:1000]}"
    forms = post_forms(page)
    assert len(forms) == 2, f"expected the password form and the sign-in form, got {len(forms)}:\n{page.text[:3000]}"
    return Consent(client, auth, page, forms[0], forms[1])


def operator_approve(http: httpx2.Client, consent: Consent, password: str | None = PASSWORD) -> httpx2.Response:
    data = dict(consent.password_form.hidden, decision="approve")
    if password is not None:
        data["password"] = password
    return http.post(consent.password_form.action, data=data)


def start_sign_in(http: httpx2.Client, consent: Consent, **headers: str) -> httpx2.Response:
    return http.post(consent.signin_form.action, data=dict(consent.signin_form.hidden, decision="sign_in"),
                     headers=headers)


def discord_answer(http: httpx2.Client, fake: DiscordFake, signin: httpx2.Response) -> str:
    """The browser at Discord's authorize page: returns where Discord sends it back (the gateway's callback)."""
    assert signin.status_code == 303, f"sign_in POST: {signin.status_code} {signin.text[:1000]}"
    location = signin.headers["location"]
    assert location.startswith(fake.authorize_url + "?"), location
    r = http.get(location)
    assert r.status_code == 302, f"the fake's authorize: {r.status_code} {r.text[:500]}"
    return r.headers["location"]


def cookie_from(signin: httpx2.Response) -> str:
    """The sign-in secret the gateway put in the browser's cookie."""
    for value in signin.headers.get_list("set-cookie"):
        name, _, rest = value.partition("=")
        if name.strip() in (COOKIE, "__Host-" + COOKIE):
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {COOKIE} cookie set: {signin.headers.get_list('set-cookie')}")


def local(gw: Gateway, url: str) -> str:
    """The gateway's own URL (for an issuer that is not the address the test talks to)."""
    parts = urlsplit(url)
    return gw.url(parts.path + ("?" + parts.query if parts.query else ""))


@dataclass
class SignedIn:
    consent: Consent
    signin: httpx2.Response
    callback_url: str
    page: httpx2.Response
    form: Form | None


def sign_in(http: httpx2.Client, gw: Gateway, fake: DiscordFake, user_id: str, expect: int = 200) -> SignedIn:
    """Consent page → Sign in with Discord → Discord (signed in as user_id) → the gateway's callback."""
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(user_id)
    callback_url = discord_answer(http, fake, signin)
    page = http.get(callback_url)
    assert page.status_code == expect, f"callback: expected {expect}, got {page.status_code}\n{page.text[:2000]}"
    forms = post_forms(page)
    return SignedIn(consent, signin, callback_url, page, forms[0] if len(forms) == 1 else None)


def member_post(http: httpx2.Client, form: Form, choices: list[str] | None = None, decision: str = "approve",
                **extra: str) -> httpx2.Response:
    """The member's answer: the hidden fields, the checked boxes (all, by default), the clicked button."""
    data: list[tuple[str, str]] = list(form.hidden.items())
    checked = [c["value"] for c in form.choices] if choices is None else choices
    data += [("choice", value) for value in checked]
    data.append(("decision", decision))
    data += list(extra.items())
    return post_pairs(http, form.action, data)


def post_pairs(http: httpx2.Client, url: str, pairs: list[tuple[str, str]]) -> httpx2.Response:
    """A form post with repeated fields (the checkboxes), as a browser encodes it."""
    return http.post(url, content=urlencode(pairs), headers={"Content-Type": "application/x-www-form-urlencoded"})


# --- the database -----------------------------------------------------------------------------------
def query(gw: Gateway, sql: str, *args) -> list[tuple]:
    db = sqlite3.connect(f"file:{gw.workdir / 'gateway.sqlite'}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def grants_of(gw: Gateway, client_id: str) -> list[tuple]:
    return query(gw, "SELECT subject, selection FROM oauth_grants WHERE client_id = ?", client_id)


def user_row(gw: Gateway, discord_id: str) -> dict | None:
    rows = query(gw, "SELECT id, discord_id, name, key_salt, first_seen_at, last_seen_at FROM users WHERE id = ?",
                 "discord:" + discord_id)
    if not rows:
        return None
    keys = ("id", "discord_id", "name", "key_salt", "first_seen_at", "last_seen_at")
    return dict(zip(keys, rows[0]))


def tool_names(gw: Gateway, access_token: str) -> list[str]:
    async def body(client):
        names, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
            names += [t.name for t in page.tools]
            cursor = page.next_cursor
            if not cursor:
                return names

    return run_sdk_client(gw, access_token, body)


def no_code(r: httpx2.Response) -> None:
    loc = r.headers.get("location", "")
    assert "code=" not in loc, f"a code was issued: {loc}"


# --- the module's gateway ---------------------------------------------------------------------------
@dataclass
class Setup:
    gw: Gateway
    fake: DiscordFake


@pytest.fixture(scope="module")
def module_setup(tmp_path_factory: pytest.TempPathFactory):
    """One fake Discord and one gateway with sign-in enabled, the built-in Discord backend and a stdio backend
    "alpha" (so a member has two backends to choose from)."""
    work = tmp_path_factory.mktemp("member-sign-in")
    fake = DiscordFake().start()
    gw = None
    try:
        stdio = fixture_args("alpha", "stdio")
        backends = write_backends_file(work / "backends.json", {
            "alpha": {"command": stdio[0], "args": stdio[1:], "sandbox": False, "env": {"FASTMCP_CHECK_FOR_UPDATES": "off"}},
        })
        gw = signin_gateway(work / "gateway", fake, "sign-in gateway", BACKENDS_FILE=str(backends))
        yield Setup(gw, fake)
    finally:
        if gw is not None:
            gw.stop()
        fake.stop()
    assert_no_violations(fake)


@pytest.fixture
def setup(module_setup: Setup, request: pytest.FixtureRequest):
    """The module's gateway and fake; fails the test at teardown when the gateway broke one of Discord's rules
    during it."""
    if not module_setup.gw.running:
        pytest.fail(f"the module's gateway is not running any more\n{module_setup.gw.logs()}")
    _watch(request.node, module_setup.gw)
    with no_new_violations(module_setup.fake):
        yield module_setup


# =====================================================================================================
# The page and the round trip
# =====================================================================================================
def test_the_consent_page_offers_sign_in_with_discord_besides_the_password(http, setup):
    consent = open_consent_page(http, setup.gw)
    first, second = consent.password_form, consent.signin_form
    assert first.has_password and set(first.decisions) == {"approve", "deny"}, first
    assert second.decisions == ["sign_in"], second
    assert not second.has_password
    assert {"transaction_id", "csrf_token"} <= set(second.hidden), second.hidden
    assert second.hidden["transaction_id"] == first.hidden["transaction_id"]
    assert "Sign in with Discord" in consent.page.text


def test_without_a_client_id_there_is_no_sign_in_form_and_sign_in_is_refused(http, start_gateway):
    gw = start_gateway()
    client = register(http, gw, [WEB_REDIRECT])
    auth = authorization(gw, client["client_id"], WEB_REDIRECT)
    page = http.get(auth.url(gw))
    assert page.status_code == 200
    forms = post_forms(page)
    assert len(forms) == 1 and "sign_in" not in forms[0].decisions, page.text[:3000]
    assert "Sign in with Discord" not in page.text
    r = http.post(forms[0].action, data=dict(forms[0].hidden, decision="sign_in"))
    assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
    assert "location" not in r.headers
    assert COOKIE not in r.headers.get("set-cookie", "")
    # The approval is still pending for the operator.
    ok = http.post(forms[0].action, data=dict(forms[0].hidden, password=PASSWORD, decision="approve"))
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]
    assert http.get(gw.url(CALLBACK_PATH + "?code=x&state=a.b")).status_code in (400, 404)


def test_sign_in_sends_the_browser_to_discord_with_pkce_and_a_state_bound_to_a_cookie(http, setup):
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    r = start_sign_in(http, consent)
    assert r.status_code == 303, f"{r.status_code} {r.text[:500]}"
    location = r.headers["location"]
    assert location.startswith(fake.authorize_url + "?"), location
    q = {k: v for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}
    assert all(len(v) == 1 for v in q.values()), q
    q = {k: v[0] for k, v in q.items()}
    assert q["response_type"] == "code"
    assert q["client_id"] == fake.client_id
    assert q["scope"] == "identify"
    assert q["redirect_uri"] == gw.issuer + CALLBACK_PATH
    assert q["code_challenge_method"] == "S256"
    assert len(q["code_challenge"]) == 43, q["code_challenge"]
    assert q["prompt"] == "none"
    secret = cookie_from(r)
    assert len(secret) >= 32, secret
    assert q["state"] == consent.signin_form.hidden["transaction_id"] + "." + secret, (q["state"], secret)
    cookies = [c for c in r.headers.get_list("set-cookie") if c.startswith(COOKIE + "=")]
    assert len(cookies) == 1, r.headers.get_list("set-cookie")
    attrs = [a.strip().lower() for a in cookies[0].split(";")[1:]]
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs, cookies[0]
    assert "secure" not in attrs, "over plain http the cookie cannot be Secure"
    assert not any(a.startswith("domain") for a in attrs), cookies[0]

    # The rest of the round trip: the verifier sent with the code matches the challenge.
    fake.sign_in_as(fake.ids["user_ana"])
    before = len(fake.oauth_requests("token"))
    page = http.get(discord_answer(http, fake, r))
    assert page.status_code == 200, page.text[:1000]
    token_requests = fake.oauth_requests("token")[before:]
    assert len(token_requests) == 1, token_requests
    exchanged = token_requests[0]
    assert exchanged["grant_type"] == "authorization_code"
    assert exchanged["client_id"] == fake.client_id and exchanged["client_secret"] == fake.client_secret
    assert exchanged["redirect_uri"] == gw.issuer + CALLBACK_PATH
    assert s256(exchanged["code_verifier"]) == q["code_challenge"]
    assert exchanged["status"] == 200


def test_a_member_signs_in_sees_their_name_and_every_backend_checked(http, setup):
    gw, fake = setup.gw, setup.fake
    luis = fake.ids["user_luis"]
    done = sign_in(http, gw, fake, luis)
    assert "Signed in as" in done.page.text and "Luis" in done.page.text, done.page.text[:3000]
    assert done.form is not None, f"expected one form after signing in:\n{done.page.text[:3000]}"
    form = done.form
    assert not form.has_password, "a signed-in member types no password"
    assert set(form.decisions) == {"approve", "deny"}, form.decisions
    assert form.hidden["transaction_id"] == done.consent.signin_form.hidden["transaction_id"]
    assert form.hidden.get("choose") == "1", form.hidden
    assert form.hidden["csrf_token"] and form.hidden["csrf_token"] != done.consent.signin_form.hidden["csrf_token"]
    values = [c["value"] for c in form.choices]
    assert sorted(values) == ["alpha", "discord"], values
    assert all("checked" in c for c in form.choices), form.choices
    # The sign-in cookie is cleared.
    cleared = [c for c in done.page.headers.get_list("set-cookie") if c.startswith(COOKIE + "=")]
    assert cleared, done.page.headers.get_list("set-cookie")
    assert cleared[-1].startswith(COOKIE + "=;") and "max-age=0" in cleared[-1].lower(), cleared
    assert not http.cookies.get(COOKIE)
    # The user row.
    row = user_row(gw, luis)
    assert row is not None, query(gw, "SELECT id, name FROM users")
    assert row["discord_id"] == luis and row["name"] == "Luis"
    assert row["key_salt"] and len(row["key_salt"]) >= 16
    assert abs(row["first_seen_at"] - time.time()) < 120 and row["last_seen_at"] >= row["first_seen_at"]


def test_a_member_with_every_box_checked_gets_a_grant_of_their_own_with_no_selection(http, setup):
    gw, fake = setup.gw, setup.fake
    ana = fake.ids["user_ana"]
    done = sign_in(http, gw, fake, ana)
    assert done.form is not None
    r = member_post(http, done.form)
    assert r.status_code == 303, f"{r.status_code} {r.text[:1000]}"
    assert r.headers["location"].startswith(WEB_REDIRECT + "?")
    params = location_params(r)
    assert params.get("state") == done.consent.auth.state and params.get("iss") == gw.issuer
    tokens = check_tokens(exchange(http, gw, params["code"], done.consent.auth))
    assert grants_of(gw, done.consent.client["client_id"]) == [("discord:" + ana, None)]
    names = tool_names(gw, tokens["access_token"])
    assert names, "the member's token lists no tools"
    assert any(n.startswith("discord_") for n in names), names
    assert any(n.startswith("alpha") for n in names), names


def test_a_member_who_unchecks_a_backend_gets_a_grant_limited_to_the_rest(http, setup):
    gw, fake = setup.gw, setup.fake
    bob = fake.ids["user_bob"]
    done = sign_in(http, gw, fake, bob)
    assert done.form is not None
    r = member_post(http, done.form, choices=["alpha"])
    assert r.status_code == 303, f"{r.status_code} {r.text[:1000]}"
    code = location_params(r)["code"]
    tokens = check_tokens(exchange(http, gw, code, done.consent.auth))
    rows = grants_of(gw, done.consent.client["client_id"])
    assert len(rows) == 1 and rows[0][0] == "discord:" + bob, rows
    assert rows[0][1] is not None and json.loads(rows[0][1]) == ["alpha"], rows
    names = tool_names(gw, tokens["access_token"])
    assert names and all(not n.startswith("discord_") for n in names), names


@pytest.mark.parametrize("kept,dropped_tool,kept_tool", [
    ("alpha", ("discord__list_channels", {"guild": "__guild__"}), ("alpha__echo", {"text": "hi"})),
    ("discord", ("alpha__echo", {"text": "hi"}), ("discord__list_channels", {"guild": "__guild__"})),
])
def test_a_limited_grant_cannot_call_what_was_unchecked_even_after_a_refresh(http, setup, kept, dropped_tool,
                                                                             kept_tool):
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_ana"])
    assert done.form is not None
    r = member_post(http, done.form, choices=[kept])
    assert r.status_code == 303, f"{r.status_code} {r.text[:1000]}"
    tokens = check_tokens(exchange(http, gw, location_params(r)["code"], done.consent.auth))
    renewed = check_tokens(refresh(http, gw, done.consent.client["client_id"], tokens["refresh_token"]))

    def fill(args: dict) -> dict:
        return {k: (fake.ids["guild"] if v == "__guild__" else v) for k, v in args.items()}

    async def calls(client):
        out = {}
        for name, args in (kept_tool, dropped_tool):
            try:
                result = await client.call_tool(name, fill(args))
                out[name] = f"error result: {str(result.content)[:300]}" if result.is_error else "ok"
            except Exception as raised:  # noqa: BLE001 - the refusal's shape is the SDK's
                found = find_mcp_error(raised)
                out[name] = f"refused {found.error.code if found else repr(raised)[:200]}"
        return out

    for token in (tokens["access_token"], renewed["access_token"]):
        outcome = run_sdk_client(gw, token, calls)
        assert outcome[kept_tool[0]] == "ok", outcome
        assert outcome[dropped_tool[0]].startswith("refused"), outcome
        names = tool_names(gw, token)
        assert names and all(n.startswith(kept) for n in names), names


def test_unchecking_every_backend_is_refused_with_the_page_again(http, setup):
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_ana"])
    assert done.form is not None
    r = member_post(http, done.form, choices=[])
    assert r.status_code == 400, f"{r.status_code} {r.text[:1000]}"
    no_code(r)
    assert "Choose at least one" in r.text
    assert grants_of(gw, done.consent.client["client_id"]) == []
    # The page comes back with the same choices: checking one then works.
    again = post_forms(r)
    assert len(again) == 1 and not again[0].has_password, r.text[:3000]
    ok = member_post(http, again[0], choices=["discord"])
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:1000]
    check_tokens(exchange(http, gw, location_params(ok)["code"], done.consent.auth))
    assert grants_of(gw, done.consent.client["client_id"]) == [("discord:" + fake.ids["user_ana"], '["discord"]')]


@pytest.mark.parametrize("choices", [["nonexistent"], ["alpha", "nonexistent"], ["discord", "../alpha"]])
def test_a_choice_that_is_not_offered_gets_no_code(http, setup, choices):
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_bob"])
    assert done.form is not None
    r = member_post(http, done.form, choices=choices)
    assert r.status_code == 400, f"{r.status_code} {r.text[:1000]}"
    no_code(r)
    assert grants_of(gw, done.consent.client["client_id"]) == []


def test_a_member_may_deny(http, setup):
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_bob"])
    assert done.form is not None
    r = member_post(http, done.form, decision="deny")
    assert r.status_code == 303, f"{r.status_code} {r.text[:500]}"
    params = location_params(r)
    assert params.get("error") == "access_denied" and "code" not in params, params
    assert grants_of(gw, done.consent.client["client_id"]) == []


def test_the_first_pages_csrf_token_stops_working_once_a_member_signed_in(http, setup):
    """Whoever holds the original page cannot approve in the member's name (no password needed for them)."""
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_ana"])
    assert done.form is not None
    stale = dict(done.consent.signin_form.hidden, decision="approve", choose="1")
    r = post_pairs(http, done.form.action, [*stale.items(), ("choice", "alpha"), ("choice", "discord")])
    assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
    no_code(r)
    assert grants_of(gw, done.consent.client["client_id"]) == []
    # The member's own form still works.
    ok = member_post(http, done.form)
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]


def test_a_second_sign_in_updates_the_user_row_and_keeps_its_salt(http, setup):
    gw, fake = setup.gw, setup.fake
    user = fake.add_user("dora_second", "Dora")
    fake.add_member(fake.ids["guild"], user, [fake.ids["role_member"]])
    first = sign_in(http, gw, fake, user)
    assert "Dora" in first.page.text
    row1 = user_row(gw, user)
    assert row1 is not None and row1["name"] == "Dora"
    time.sleep(1.1)
    with fake.lock:
        fake.world.users[user]["global_name"] = "Dora the Second"
    second = sign_in(http, gw, fake, user)
    assert "Dora the Second" in second.page.text, second.page.text[:3000]
    row2 = user_row(gw, user)
    assert row2 is not None and row2["name"] == "Dora the Second"
    assert row2["key_salt"] == row1["key_salt"], "a member's key salt must not change between sign-ins"
    assert row2["first_seen_at"] == row1["first_seen_at"]
    assert row2["last_seen_at"] > row1["last_seen_at"]
    assert len(query(gw, "SELECT id FROM users WHERE discord_id = ?", user)) == 1


def test_a_member_without_a_global_name_is_shown_by_username(http, setup):
    gw, fake = setup.gw, setup.fake
    user = fake.add_user("plain_username_77")
    fake.add_member(fake.ids["guild"], user)
    done = sign_in(http, gw, fake, user)
    assert "plain_username_77" in done.page.text
    row = user_row(gw, user)
    assert row is not None and row["name"] == "plain_username_77"


def test_the_callback_is_a_cross_site_navigation_and_its_page_is_not_cached_framed_or_referred(http, setup):
    """Discord sends the browser back with a top-level GET from another site: that is accepted; the page it answers
    (a CSRF token, a URL with Discord's code) is not stored, framed, or sent on as a Referer."""
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_ana"])
    callback = discord_answer(http, fake, signin)
    page = http.get(callback, headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                                       "Sec-Fetch-Dest": "document", "Referer": fake.origin + "/"})
    assert page.status_code == 200 and "Signed in as" in page.text, f"{page.status_code} {page.text[:1000]}"
    h = page.headers
    assert "no-store" in h.get("cache-control", ""), dict(h)
    assert h.get("referrer-policy") == "no-referrer", dict(h)
    assert h.get("x-frame-options", "").upper() == "DENY" or "frame-ancestors 'none'" in h.get(
        "content-security-policy", ""), dict(h)
    assert h.get("content-type", "").startswith("text/html")


def test_a_display_name_with_markup_is_escaped(http, setup):
    gw, fake = setup.gw, setup.fake
    user = fake.add_user("markup_name", '<img src=x onerror=alert(1)>"&amp;')
    fake.add_member(fake.ids["guild"], user)
    done = sign_in(http, gw, fake, user)
    assert "<img src=x" not in done.page.text, "the display name was not escaped"
    assert "&lt;img src=x onerror=alert(1)&gt;" in done.page.text, done.page.text[:3000]
    row = user_row(gw, user)
    assert row is not None and row["name"] == '<img src=x onerror=alert(1)>"&amp;'


def test_the_refusal_page_escapes_what_discord_says_the_username_is(http, setup):
    gw, fake = setup.gw, setup.fake
    user = fake.add_user("outsider_markup")
    with fake.lock:
        fake.world.users[user]["username"] = "<b>outsider</b>"
    done = sign_in(http, gw, fake, user, expect=403)
    assert "<b>outsider</b>" not in done.page.text, done.page.text[:2000]
    assert user_row(gw, user) is None


def test_the_members_discord_token_only_ever_calls_users_me(http, setup):
    gw, fake = setup.gw, setup.fake
    before = len(fake.user_token_uses())
    done = sign_in(http, gw, fake, fake.ids["user_luis"])
    assert done.form is not None
    uses = fake.user_token_uses()
    assert {r["template"] for r in uses} <= {"/users/@me"}, [(r["method"], r["template"]) for r in uses]
    new = uses[before:]
    assert len(new) == 1 and new[0]["method"] == "GET", [(r["method"], r["template"]) for r in new]
    # Membership was checked with the bot's token.
    luis, guild = fake.ids["user_luis"], fake.ids["guild"]
    lookups = [r for r in fake.requests_to("GET", "/guilds/{guild_id}/members/{user_id}") if luis in r["path"]]
    assert lookups, "the bot never looked the member up"
    assert all((r["headers"].get("authorization") or "").startswith("Bot ") for r in lookups)
    assert any(guild in r["path"] for r in fake.requests_to("GET", "/guilds/{guild_id}"))


# =====================================================================================================
# Hostile and broken round trips
# =====================================================================================================
def test_a_forged_state_is_refused_and_the_real_one_still_works(http, setup):
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_ana"])
    callback = discord_answer(http, fake, signin)
    parts = urlsplit(callback)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    transaction_id, _, secret = q["state"].partition(".")
    forged_secret = ("A" if secret[0] != "A" else "B") + secret[1:]
    before = len(fake.oauth_requests("token"))

    # The browser's cookie, a state with another secret.
    forged = http.get(gw.url(CALLBACK_PATH), params={"code": q["code"], "state": f"{transaction_id}.{forged_secret}"})
    assert forged.status_code == 400, f"{forged.status_code} {forged.text[:500]}"
    assert "no longer valid" in forged.text
    # An attacker's own browser, with a cookie and a state that agree with each other but not with the approval.
    with new_browser() as attacker:
        attacker.cookies.set(COOKIE, forged_secret)
        r = attacker.get(gw.url(CALLBACK_PATH), params={"code": q["code"], "state": f"{transaction_id}.{forged_secret}"})
        assert r.status_code == 400 and "no longer valid" in r.text, f"{r.status_code} {r.text[:500]}"
    # A state without a dot, and one for another transaction.
    assert http.get(gw.url(CALLBACK_PATH), params={"code": q["code"], "state": secret}).status_code == 400
    assert http.get(gw.url(CALLBACK_PATH), params={"code": q["code"], "state": f"nope.{secret}"}).status_code == 400
    assert len(fake.oauth_requests("token")) == before, "a refused callback must not spend the code at Discord"

    real = http.get(callback)
    assert real.status_code == 200 and "Signed in as" in real.text, f"{real.status_code} {real.text[:1000]}"


def test_replaying_the_callback_is_refused(http, setup):
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_luis"])
    secret = cookie_from(done.signin)
    before = len(fake.oauth_requests("token"))
    # The same URL with the same cookie (sent by hand: the browser's was cleared).
    with new_browser() as replayer:
        replayer.cookies.set(COOKIE, secret)
        r = replayer.get(done.callback_url)
    assert r.status_code == 400, f"{r.status_code} {r.text[:1000]}"
    assert "Signed in as" not in r.text and not post_forms(r)
    # And in the same browser.
    again = http.get(done.callback_url, headers={"Cookie": f"{COOKIE}={secret}"})
    assert again.status_code == 400, f"{again.status_code} {again.text[:500]}"
    assert len(fake.oauth_requests("token")) == before, "a replayed callback must not exchange the code again"
    # The member's own form is not disturbed.
    assert done.form is not None
    ok = member_post(http, done.form)
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]


def test_the_same_callback_twice_at_once_signs_in_once(http, setup):
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_luis"])
    callback = discord_answer(http, fake, signin)
    secret = cookie_from(signin)
    before = len(fake.oauth_requests("token"))
    barrier = threading.Barrier(4, timeout=20)
    statuses: list[int] = []

    def hit() -> None:
        with new_browser() as browser:
            barrier.wait()
            statuses.append(browser.get(callback, headers={"Cookie": f"{COOKIE}={secret}"}).status_code)

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a callback request hung"
    assert sorted(statuses) == [200, 400, 400, 400], statuses
    assert len(fake.oauth_requests("token")) == before + 1, "the code was exchanged more than once"


def test_a_callback_in_another_browser_is_refused_and_the_real_browser_still_signs_in(http, setup):
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_bob"])
    callback = discord_answer(http, fake, signin)
    before = len(fake.oauth_requests("token"))
    with new_browser() as other:
        r = other.get(callback)
    assert r.status_code == 400, f"{r.status_code} {r.text[:1000]}"
    assert "no longer valid" in r.text and not post_forms(r)
    # A victim's browser with a sign-in of its own under way: the attacker's callback URL does not bind the victim's
    # approval to the attacker's account (nor the attacker's).
    with new_browser() as victim:
        theirs = open_consent_page(victim, gw)
        assert start_sign_in(victim, theirs).status_code == 303 and victim.cookies.get(COOKIE)
        r = victim.get(callback)
        assert r.status_code == 400, f"{r.status_code} {r.text[:1000]}"
        assert "Signed in as" not in r.text and not post_forms(r)
        still = operator_approve(victim, theirs, password=None)
        assert still.status_code == 401, "nobody may be bound to the victim's approval"
        no_code(still)
    assert len(fake.oauth_requests("token")) == before
    own = http.get(callback)
    assert own.status_code == 200 and "Signed in as" in own.text, f"{own.status_code} {own.text[:1000]}"


def test_a_discord_user_outside_the_allowed_guilds_is_refused(http, setup):
    gw, fake = setup.gw, setup.fake
    carol = fake.ids["user_carol"]
    done = sign_in(http, gw, fake, carol, expect=403)
    assert "not a member" in done.page.text, done.page.text[:2000]
    assert "Other Guild" not in done.page.text and "Test Guild" not in done.page.text, "the page names no guild"
    assert done.form is None and not post_forms(done.page)
    assert user_row(gw, carol) is None, "no user row for someone who may not sign in"
    cleared = [c for c in done.page.headers.get_list("set-cookie") if c.startswith(COOKIE + "=")]
    assert cleared and "max-age=0" in cleared[-1].lower(), done.page.headers.get_list("set-cookie")
    # Nobody is bound to the approval: approving without the password is the operator's wrong password.
    r = http.post(done.consent.password_form.action,
                  data=dict(done.consent.password_form.hidden, decision="approve", choose="1", choice="discord"))
    assert r.status_code == 401, f"{r.status_code} {r.text[:1000]}"
    no_code(r)
    r = operator_approve(http, done.consent, password=None)
    assert r.status_code == 401, f"{r.status_code} {r.text[:1000]}"
    no_code(r)
    assert grants_of(gw, done.consent.client["client_id"]) == []
    # The operator can still approve it (which also resets the wrong-password count).
    ok = operator_approve(http, done.consent)
    assert ok.status_code == 303 and "code" in location_params(ok)


def test_a_member_who_left_the_guild_is_refused_at_the_next_sign_in(http, setup):
    gw, fake = setup.gw, setup.fake
    user = fake.add_user("leaving_member")
    fake.add_member(fake.ids["guild"], user, [fake.ids["role_member"]])
    assert sign_in(http, gw, fake, user).form is not None
    fake.remove_member(fake.ids["guild"], user)
    refused = sign_in(http, gw, fake, user, expect=403)
    assert "not a member" in refused.page.text


def test_a_cancelled_discord_authorization_leaves_the_consent_page_working(http, setup):
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_ana"])
    fake.deny_next_authorization()
    callback = discord_answer(http, fake, signin)
    assert "error=access_denied" in callback, callback
    before = len(fake.oauth_requests("token"))
    page = http.get(callback)
    assert page.status_code == 400, f"{page.status_code} {page.text[:1000]}"
    assert "Sign-in cancelled" in page.text
    no_code(page)
    assert len(fake.oauth_requests("token")) == before
    cleared = [c for c in page.headers.get_list("set-cookie") if c.startswith(COOKIE + "=")]
    assert cleared and "max-age=0" in cleared[-1].lower(), page.headers.get_list("set-cookie")
    # The original page's forms still work: sign in again…
    again = start_sign_in(http, consent)
    assert again.status_code == 303, f"{again.status_code} {again.text[:500]}"
    # …or approve as the operator.
    ok = operator_approve(http, consent)
    assert ok.status_code == 303, f"{ok.status_code} {ok.text[:1000]}"
    code = location_params(ok)["code"]
    check_tokens(exchange(http, gw, code, consent.auth))
    assert grants_of(gw, consent.client["client_id"]) == [("operator", None)]


def test_a_second_sign_in_on_the_same_approval_replaces_the_first(http, setup):
    """Clicking "Sign in with Discord" twice: only the latest round trip (its state and its cookie) signs in."""
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    fake.sign_in_as(fake.ids["user_ana"])
    first = start_sign_in(http, consent)
    first_callback = discord_answer(http, fake, first)
    second = start_sign_in(http, consent)
    assert cookie_from(second) != cookie_from(first)
    second_callback = discord_answer(http, fake, second)
    # The first callback with its own cookie: that sign-in was replaced.
    stale = http.get(first_callback, headers={"Cookie": f"{COOKIE}={cookie_from(first)}"})
    assert stale.status_code == 400, f"{stale.status_code} {stale.text[:500]}"
    ok = http.get(second_callback)
    assert ok.status_code == 200 and "Signed in as" in ok.text, f"{ok.status_code} {ok.text[:1000]}"


def test_a_callback_after_the_approval_was_denied_is_refused(http, setup):
    gw, fake = setup.gw, setup.fake
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_bob"])
    callback = discord_answer(http, fake, signin)
    denied = http.post(consent.password_form.action, data=dict(consent.password_form.hidden, decision="deny"))
    assert denied.status_code == 303 and location_params(denied).get("error") == "access_denied"
    before = len(fake.oauth_requests("token"))
    r = http.get(callback)
    assert r.status_code == 400, f"{r.status_code} {r.text[:1000]}"
    assert not post_forms(r) and "Signed in as" not in r.text
    assert len(fake.oauth_requests("token")) == before, "the code was exchanged for an approval that is gone"


def test_a_signed_in_member_cannot_start_another_sign_in_or_reuse_the_form(http, setup):
    gw, fake = setup.gw, setup.fake
    done = sign_in(http, gw, fake, fake.ids["user_luis"])
    assert done.form is not None
    again = http.post(done.form.action, data=dict(done.form.hidden, decision="sign_in"))
    assert again.status_code == 400, f"{again.status_code} {again.text[:500]}"
    assert "location" not in again.headers
    ok = member_post(http, done.form)
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]
    reused = member_post(http, done.form)
    assert reused.status_code == 400, f"{reused.status_code} {reused.text[:500]}"
    no_code(reused)
    assert len(grants_of(gw, done.consent.client["client_id"])) == 1


def test_a_discord_error_other_than_cancel_is_a_sign_in_failed_page(http, setup):
    gw = setup.gw
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    state = parse_qs(urlsplit(signin.headers["location"]).query)["state"][0]
    r = http.get(gw.url(CALLBACK_PATH), params={"error": "server_error", "state": state})
    assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
    assert "Sign-in failed" in r.text
    no_code(r)
    ok = operator_approve(http, consent)
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]


def test_a_cross_site_sign_in_post_is_refused(http, setup):
    consent = open_consent_page(http, setup.gw)
    r = start_sign_in(http, consent, **{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert r.status_code == 403, f"{r.status_code} {r.text[:500]}"
    assert "location" not in r.headers and COOKIE not in r.headers.get("set-cookie", "")
    assert start_sign_in(http, consent).status_code == 303


def test_a_sign_in_post_with_a_wrong_csrf_token_is_refused(http, setup):
    consent = open_consent_page(http, setup.gw)
    data = dict(consent.signin_form.hidden, decision="sign_in", csrf_token="x" * 43)
    r = http.post(consent.signin_form.action, data=data)
    assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
    assert "location" not in r.headers and COOKIE not in r.headers.get("set-cookie", "")


def test_the_operator_path_is_unchanged_with_sign_in_enabled(http, setup):
    gw = setup.gw
    consent = open_consent_page(http, gw)
    wrong = operator_approve(http, consent, password="not-the-operator-password")
    assert wrong.status_code == 401
    no_code(wrong)
    r = operator_approve(http, consent)
    assert r.status_code == 303, f"{r.status_code} {r.text[:1000]}"
    params = location_params(r)
    assert params.get("state") == consent.auth.state
    tokens = check_tokens(exchange(http, gw, params["code"], consent.auth))
    assert grants_of(gw, consent.client["client_id"]) == [("operator", None)]
    names = tool_names(gw, tokens["access_token"])
    assert any(n.startswith("discord_") for n in names) and any(n.startswith("alpha") for n in names), names


def test_the_operator_may_deny_with_sign_in_enabled(http, setup):
    consent = open_consent_page(http, setup.gw)
    r = http.post(consent.password_form.action, data=dict(consent.password_form.hidden, decision="deny"))
    assert r.status_code == 303 and location_params(r).get("error") == "access_denied", r.text[:500]


# =====================================================================================================
# Dedicated gateways: Discord failing, secrets, https, two guilds
# =====================================================================================================
@pytest.fixture
def dedicated(discord_fake, tmp_path: Path, request: pytest.FixtureRequest):
    """Factory: a started gateway with sign-in pointed at this test's fake (`discord_fake`, which fails the test at
    teardown when the gateway broke one of Discord's rules), plus setting overrides; stopped after the test."""
    started: list[Gateway] = []

    def make(name: str, **extra: str | None) -> Gateway:
        gw = Gateway(tmp_path / f"gw{len(started)}", signin_settings(discord_fake, **extra), name=name)
        started.append(gw)
        _watch(request.node, gw)
        discord_fake.register_application(redirect_uris=[gw.issuer + CALLBACK_PATH])
        return gw.start()

    try:
        yield make
    finally:
        for gw in started:
            gw.stop()


def _sign_in_fails_with_502(http, gw, fake):
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_luis"])
    page = http.get(discord_answer(http, fake, signin))
    assert page.status_code == 502, f"expected 502, got {page.status_code}\n{page.text[:1000]}"
    assert "Sign-in failed" in page.text
    assert not post_forms(page), page.text[:2000]
    no_code(page)
    cleared = [c for c in page.headers.get_list("set-cookie") if c.startswith(COOKIE + "=")]
    assert cleared and "max-age=0" in cleared[-1].lower(), page.headers.get_list("set-cookie")
    assert user_row(gw, fake.ids["user_luis"]) is None
    assert grants_of(gw, consent.client["client_id"]) == []
    return consent, page


def test_discord_rate_limiting_the_token_endpoint_is_a_502_page(http, discord_fake, dedicated):
    fake = discord_fake
    gw = dedicated("rate-limited sign-in gateway")
    fake.force_429("POST", "/oauth2/token", retry_after=30)
    consent, _ = _sign_in_fails_with_502(http, gw, fake)
    assert gw.running
    # The approval itself is still there for the operator.
    ok = operator_approve(http, consent)
    assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]


def test_discord_rate_limiting_users_me_is_a_502_page(http, discord_fake, dedicated):
    fake = discord_fake
    gw = dedicated("users-me-limited sign-in gateway")
    fake.force_429("GET", "/users/@me", retry_after=30)
    _sign_in_fails_with_502(http, gw, fake)
    uses = fake.user_token_uses()
    assert uses and {r["template"] for r in uses} <= {"/users/@me"}, [r["template"] for r in uses]


def test_when_the_bot_cannot_look_the_member_up_nobody_signs_in(http, discord_fake, dedicated):
    """Membership checks fail closed: no user row, no form, never a 500."""
    fake = discord_fake
    gw = dedicated("lookup-limited sign-in gateway")
    fake.force_429("GET", "/guilds/{guild_id}/members/{user_id}", retry_after=30)
    consent = open_consent_page(http, gw)
    signin = start_sign_in(http, consent)
    fake.sign_in_as(fake.ids["user_luis"])
    page = http.get(discord_answer(http, fake, signin))
    assert page.status_code in (403, 502), f"{page.status_code} {page.text[:1000]}"
    assert "Signed in as" not in page.text and not post_forms(page), page.text[:2000]
    assert user_row(gw, fake.ids["user_luis"]) is None
    r = operator_approve(http, consent, password=None)
    assert r.status_code == 401
    no_code(r)


def test_a_wrong_client_secret_is_a_502_page_and_the_secret_is_not_logged(http, discord_fake, dedicated):
    fake = discord_fake
    wrong_secret = "wrong-secret-" + "q" * 20
    gw = dedicated("wrong-secret sign-in gateway", DISCORD_CLIENT_SECRET=wrong_secret, LOG_LEVEL="debug")
    _sign_in_fails_with_502(http, gw, fake)
    token_requests = fake.oauth_requests("token")
    assert token_requests and token_requests[-1]["status"] == 401, token_requests
    gw.stop()
    logs = gw.stdout() + gw.stderr()
    assert wrong_secret not in logs, "the client secret reached the log"
    assert fake.oauth_requests("authorize")[-1]["code"] not in logs, "Discord's code reached the log"


def test_no_secret_of_the_sign_in_reaches_the_logs_or_the_database(http, discord_fake, dedicated):
    fake = discord_fake
    gw = dedicated("secrets sign-in gateway", LOG_LEVEL="debug")
    done = sign_in(http, gw, fake, fake.ids["user_luis"])
    assert done.form is not None
    r = member_post(http, done.form)
    assert r.status_code == 303, r.text[:500]
    check_tokens(exchange(http, gw, location_params(r)["code"], done.consent.auth))
    gw.stop()

    issued = fake.issued_user_tokens()
    assert len(issued) == 1, issued
    member_access, member_refresh = issued[0]["access_token"], issued[0]["refresh_token"]
    discord_code = fake.oauth_requests("authorize")[-1]["code"]
    uses = fake.user_token_uses()
    assert uses and {r["template"] for r in uses} <= {"/users/@me"}, [r["template"] for r in uses]

    logs = gw.stdout() + gw.stderr()
    for name, secret in [("the member's Discord access token", member_access),
                         ("the member's Discord refresh token", member_refresh),
                         ("the client secret", fake.client_secret),
                         ("Discord's authorization code", discord_code),
                         ("the bot token", fake.bot_token)]:
        assert secret not in logs, f"{name} reached the log"
    files = sorted(gw.workdir.glob("gateway.sqlite*"))
    assert any(f.name == "gateway.sqlite" for f in files), files
    for f in files:
        data = f.read_bytes()
        assert member_access.encode() not in data, f"the member's Discord access token is stored in {f.name}"
        assert member_refresh.encode() not in data, f"the member's Discord refresh token is stored in {f.name}"


def test_over_https_the_sign_in_cookie_is_host_prefixed_and_secure(http, discord_fake, dedicated):
    fake = discord_fake
    issuer = "https://gateway.example.com"
    gw = dedicated("https sign-in gateway", OAUTH_ISSUER_URL=issuer)
    client = register(http, gw, [WEB_REDIRECT])
    auth = authorization(gw, client["client_id"], WEB_REDIRECT)
    page = http.get(auth.url(gw))
    assert page.status_code == 200, page.text[:500]
    forms = post_forms(page)
    assert len(forms) == 2, page.text[:3000]
    signin = http.post(gw.url(urlsplit(forms[1].action).path), data=dict(forms[1].hidden, decision="sign_in"))
    assert signin.status_code == 303, f"{signin.status_code} {signin.text[:500]}"
    cookies = signin.headers.get_list("set-cookie")
    ours = [c for c in cookies if c.startswith("__Host-" + COOKIE + "=")]
    assert len(ours) == 1, cookies
    attrs = [a.strip().lower() for a in ours[0].split(";")[1:]]
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(attrs), ours[0]
    assert not any(a.startswith("domain") for a in attrs), ours[0]
    q = {k: v[0] for k, v in parse_qs(urlsplit(signin.headers["location"]).query).items()}
    assert q["redirect_uri"] == issuer + CALLBACK_PATH
    secret = cookie_from(signin)
    fake.sign_in_as(fake.ids["user_luis"])
    callback = discord_answer(http, fake, signin)
    assert callback.startswith(issuer + CALLBACK_PATH + "?"), callback
    # The plain name does not count over https; the prefixed one does (sent by hand: this test talks http).
    with new_browser() as plain:
        r = plain.get(local(gw, callback), headers={"Cookie": f"{COOKIE}={secret}"})
        assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
    with new_browser() as browser:
        r = browser.get(local(gw, callback), headers={"Cookie": f"__Host-{COOKIE}={secret}"})
        assert r.status_code == 200 and "Signed in as" in r.text, f"{r.status_code} {r.text[:1000]}"
        cleared = [c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-" + COOKIE + "=")]
        assert cleared and "max-age=0" in cleared[-1].lower() and "secure" in cleared[-1].lower(), cleared
        member_forms = post_forms(r)
        assert len(member_forms) == 1
        form = member_forms[0]
        form.action = gw.url(urlsplit(form.action).path)
        ok = member_post(browser, form)
        assert ok.status_code == 303 and "code" in location_params(ok), ok.text[:500]


def test_a_member_of_a_second_allowed_guild_may_sign_in(http, discord_fake, dedicated):
    fake = discord_fake
    guilds = f"{fake.ids['guild']},{fake.ids['other_guild']}"
    gw = dedicated("two-guild sign-in gateway", DISCORD_ALLOWED_GUILD_IDS=guilds, GATEWAY_MEMBER_CACHE_SECONDS="5")
    done = sign_in(http, gw, fake, fake.ids["user_carol"])
    assert "Carol" in done.page.text and done.form is not None
    r = member_post(http, done.form)
    assert r.status_code == 303, r.text[:500]
    check_tokens(exchange(http, gw, location_params(r)["code"], done.consent.auth))
    assert grants_of(gw, done.consent.client["client_id"]) == [("discord:" + fake.ids["user_carol"], None)]
    # Someone in neither guild is still refused.
    outsider = fake.add_user("nobody_here")
    assert "not a member" in sign_in(http, gw, fake, outsider, expect=403).page.text
    assert user_row(gw, outsider) is None


# =====================================================================================================
# Settings that refuse to start
# =====================================================================================================
DUMMY = {
    "DISCORD_CLIENT_ID": "123456789012345678",
    "DISCORD_CLIENT_SECRET": "dummy-client-secret-0123456789",
    "DISCORD_OAUTH_AUTHORIZE_URL": "http://127.0.0.1:9/oauth2/authorize",
    "DISCORD_BOT_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.0123456789012345678901234567890123456",
    "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10",
    "DISCORD_ALLOWED_GUILD_IDS": "223456789012345678",
}


@pytest.mark.parametrize(
    "change,names",
    [
        ({"DISCORD_CLIENT_SECRET": None}, ("DISCORD_CLIENT_SECRET",)),
        ({"DISCORD_BOT_TOKEN": None}, ("DISCORD_BOT_TOKEN",)),
        ({"DISCORD_ALLOWED_GUILD_IDS": None}, ("DISCORD_ALLOWED_GUILD_IDS",)),
        ({"DISCORD_CLIENT_ID": "my-app"}, ("DISCORD_CLIENT_ID",)),
        ({"DISCORD_CLIENT_ID": "12345"}, ("DISCORD_CLIENT_ID",)),
        ({"DISCORD_OAUTH_AUTHORIZE_URL": "http://example.com/oauth2/authorize"}, ("DISCORD_OAUTH_AUTHORIZE_URL",)),
        ({"DISCORD_OAUTH_AUTHORIZE_URL": "not a url"}, ("DISCORD_OAUTH_AUTHORIZE_URL",)),
        ({"GATEWAY_MEMBER_CACHE_SECONDS": "61"}, ("GATEWAY_MEMBER_CACHE_SECONDS",)),
        ({"GATEWAY_MEMBER_CACHE_SECONDS": "0"}, ("GATEWAY_MEMBER_CACHE_SECONDS",)),
        ({"GATEWAY_MEMBER_CACHE_SECONDS": "ten"}, ("GATEWAY_MEMBER_CACHE_SECONDS",)),
        ({"DISCORD_BACKEND_ADMIN_ROLE_IDS": "moderators"}, ("DISCORD_BACKEND_ADMIN_ROLE_IDS",)),
        ({"DISCORD_CLIENT_ID": None}, ("DISCORD_CLIENT_ID", "DISCORD_CLIENT_SECRET")),
    ],
    ids=[
        "no-secret", "no-bot-token", "no-allowed-guilds", "client-id-not-digits", "client-id-too-short",
        "http-authorize-url", "garbage-authorize-url", "cache-61", "cache-0", "cache-not-a-number",
        "admin-role-not-a-snowflake", "secret-without-client-id",
    ],
)
def test_bad_member_settings_refuse_to_start(tmp_path, change, names):
    overrides = {**DUMMY, **change}
    code, out, err = run_until_exit(tmp_path, overrides)
    assert code is not None, f"the gateway started instead of refusing\nstdout:\n{out}\nstderr:\n{err}"
    assert code != 0, f"exit code 0\nstdout:\n{out}\nstderr:\n{err}"
    assert any(n in err for n in names), f"stderr does not name {names}:\n{err}\nstdout:\n{out}"
    assert DUMMY["DISCORD_CLIENT_SECRET"] not in out + err, "the refusal printed the client secret"


@pytest.mark.parametrize("extra", [
    {},
    {"GATEWAY_MEMBER_CACHE_SECONDS": "60"},
    {"GATEWAY_MEMBER_CACHE_SECONDS": "1"},
    {"DISCORD_OAUTH_AUTHORIZE_URL": "https://discord.example/oauth2/authorize"},
    {"DISCORD_OAUTH_AUTHORIZE_URL": None},
    {"DISCORD_OAUTH_AUTHORIZE_URL": "http://localhost:9/oauth2/authorize"},
    {"DISCORD_BACKEND_ADMIN_ROLE_IDS": "323456789012345678,423456789012345678"},
], ids=["dummy", "cache-60", "cache-1", "https-authorize-url", "default-authorize-url", "localhost-http",
        "admin-roles"])
def test_good_member_settings_start(start_gateway, extra):
    """The refusals above are the changed setting's doing: these settings start."""
    gw = start_gateway({**DUMMY, **extra})
    assert gw.running
