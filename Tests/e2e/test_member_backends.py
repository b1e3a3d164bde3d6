"""Members bring their own backends: /me (Sign in with Discord, forms with CSRF tokens, no JavaScript) and the JSON API
/api/backends (a /me session with its X-CSRF-Token, or the operator's personal token with the backends scope) define
backends scoped to the member, a guild (optionally some roles), a channel (Discord's permission overwrites) or, for the
operator only, everyone. An MCP client the member approved sees the global backends plus the member backends they may
see now (role changes show within GATEWAY_MEMBER_CACHE_SECONDS), each prefixed with its name; shared backends with
member headers carry each member's own value. Secrets are sealed at rest under the master key; private addresses are
refused for members; hostile input is refused and changes nothing; another user's backend is a 404; the audit trail
records every change and never a secret."""

from __future__ import annotations

import base64
import json
import os
import secrets
import select
import socket
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest

from backend_fixtures import BackendProcess, write_backends_file
from cli_helpers import cli
from conftest import _watch
from discord_fake import DiscordFake
from discord_fake.permissions import FLAGS
from discord_fixtures import assert_no_violations, no_new_violations, discord_fake  # noqa: F401
from gateway import Gateway, free_port, serve_until_exit
from member_backend_helpers import (
    API,
    ME_CALLBACK_PATH,
    ME_COOKIE,
    ME_FORM_COOKIE,
    ME_SIGNIN_COOKIE,
    Me,
    Refused,
    call_tool,
    cookie_value,
    error_text,
    form_with_action,
    headers_seen,
    me_sign_in,
    member_gateway,
    member_mcp_token,
    new_member,
    op_api,
    operator_token,
    query_of,
    scope_options,
    secret_value,
    set_cookie_header,
    start_me_sign_in,
    succeeded,
    text_of,
    tools_of,
    transport_options,
    wait_for,
)
from test_member_sign_in import new_browser

GONE_TIMEOUT = 10.0  # GATEWAY_MEMBER_CACHE_SECONDS=2, plus slack
AUDIT_TIMEOUT = 15.0


# =====================================================================================================
# The module's gateway: the fake, a global backend "alpha", fixture servers "beta" (HTTP) and "gamma" (SSE)
# =====================================================================================================
@dataclass
class Setup:
    gw: Gateway
    fake: DiscordFake
    alpha: BackendProcess
    beta: BackendProcess
    gamma: BackendProcess
    admin_role: str  # Manage Server
    testers_role: str  # no permissions, for role-limited guild backends
    work: Path

    @property
    def guild(self) -> str:
        return self.fake.ids["guild"]


@pytest.fixture(scope="module")
def module_setup(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("member-backends")
    fake = DiscordFake().start()
    processes = [BackendProcess(work, "alpha"), BackendProcess(work, "beta"), BackendProcess(work, "gamma", "sse")]
    gw = None
    try:
        for p in processes:
            p.start()
        backends = write_backends_file(work / "backends.json", {"alpha": {"url": processes[0].url}})
        admin_role = fake.add_role(fake.ids["guild"], "Backend Admins", FLAGS["MANAGE_GUILD"])
        testers_role = fake.add_role(fake.ids["guild"], "Testers", 0)
        gw = member_gateway(work / "gateway", fake, "member-backends gateway", BACKENDS_FILE=str(backends))
        gw.start()
        yield Setup(gw, fake, *processes, admin_role=admin_role, testers_role=testers_role, work=work)
    finally:
        if gw is not None:
            gw.stop()
        for p in processes:
            p.stop()
        fake.stop()
    assert_no_violations(fake)


@pytest.fixture
def setup(module_setup: Setup, request: pytest.FixtureRequest):
    if not module_setup.gw.running:
        pytest.fail(f"the module's gateway is not running any more\n{module_setup.gw.logs()}")
    _watch(request.node, module_setup.gw)
    with no_new_violations(module_setup.fake):
        yield module_setup


@pytest.fixture
def sessions():
    """Factory of /me sessions, closed after the test."""
    opened: list[Me] = []

    def open_(gw: Gateway, fake: DiscordFake, user_id: str) -> Me:
        me = me_sign_in(gw, fake, user_id)
        opened.append(me)
        return me

    yield open_
    for me in opened:
        me.close()


@pytest.fixture(scope="module")
def op_backends_token(module_setup: Setup) -> str:
    return operator_token(module_setup.gw, "backends")


@pytest.fixture(scope="module")
def op_mcp_token(module_setup: Setup) -> str:
    return operator_token(module_setup.gw, "mcp")


def admin(setup: Setup) -> str:
    """A fresh member holding the Manage Server role: a backend admin of the test guild."""
    return new_member(setup.fake, setup.admin_role)


def tool(names: list[str], backend: str, name: str) -> str | None:
    """The exposed name of `backend`'s tool `name` in a list, if it is there."""
    found = [n for n in names if n.startswith(backend + "_") and n.endswith(name) and n[len(backend) + 1:].strip("_") == name]
    return found[0] if found else None


def has_backend(names: list[str], backend: str) -> bool:
    return tool(names, backend, "echo") is not None


def api_error(r, status: int, error: str | None = None) -> dict:
    assert r.status_code == status, f"expected {status} {error or ''}, got {r.status_code} {r.text[:1000]}"
    assert r.headers.get("content-type", "").startswith("application/json"), dict(r.headers)
    body = r.json()
    assert set(body) >= {"error", "message"}, body
    if error is not None:
        assert body["error"] == error, body
    return body


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


# =====================================================================================================
# /me: signing in and out
# =====================================================================================================
def test_me_signed_out_offers_a_sign_in_form_whose_csrf_token_is_also_a_cookie(setup):
    with new_browser() as http:
        page = http.get(setup.gw.url("/me"))
        assert page.status_code == 200, page.text[:1000]
        assert page.headers.get("content-type", "").startswith("text/html")
        assert "<script" not in page.text.lower(), "the /me page needs no JavaScript"
        forms = form_with_action(page, "/me/sign-in")
        assert len(forms) == 1, page.text[:3000]
        token = forms[0].hidden.get("csrf_token")
        assert token and len(token) >= 32, forms[0].hidden
        assert cookie_value(page, ME_FORM_COOKIE) == token, page.headers.get_list("set-cookie")
        assert "no-store" in page.headers.get("cache-control", ""), dict(page.headers)
        assert not form_with_action(page, "/me/backends"), "signed out, there is no add form"


def test_me_sign_in_goes_to_discord_with_a_state_in_a_cookie_and_comes_back_signed_in(setup):
    gw, fake = setup.gw, setup.fake
    user = new_member(fake, display="Mia Member")
    with new_browser() as http:
        _, r = start_me_sign_in(http, gw)
        assert r.status_code == 303, f"{r.status_code} {r.text[:500]}"
        location = r.headers["location"]
        assert location.startswith(fake.authorize_url + "?"), location
        q = query_of(location)
        assert q["client_id"] == fake.client_id and q["response_type"] == "code", q
        assert q["redirect_uri"] == gw.issuer + ME_CALLBACK_PATH, q
        assert q.get("code_challenge_method") == "S256" and len(q.get("code_challenge", "")) == 43, q
        secret = cookie_value(r, ME_SIGNIN_COOKIE)
        assert secret and len(secret) >= 32, r.headers.get_list("set-cookie")
        assert q["state"] == secret, (q["state"], secret)
        fake.sign_in_as(user)
        callback = http.get(location).headers["location"]
        assert callback.startswith(gw.issuer + ME_CALLBACK_PATH + "?"), callback
        back = http.get(callback)
        assert back.status_code == 303 and urlsplit(back.headers["location"]).path == "/me", \
            f"{back.status_code} {back.headers} {back.text[:500]}"
        session = set_cookie_header(back, ME_COOKIE)
        assert session, back.headers.get_list("set-cookie")
        attrs = [a.strip().lower() for a in session.split(";")[1:]]
        assert "httponly" in attrs, session
        page = http.get(gw.url("/me"))
        assert page.status_code == 200
        assert "Mia Member" in page.text, page.text[:3000]
        assert form_with_action(page, "/me/backends") and form_with_action(page, "/me/sign-out"), page.text[:3000]
        assert transport_options(page) == ["streamable_http", "sse"], transport_options(page)
        # A plain member is offered only "only me".
        assert scope_options(page) == ["user"], scope_options(page)
        # The member's Discord token was only used for /users/@me.
        uses = fake.user_token_uses()
        assert {u["template"] for u in uses} <= {"/users/@me"}, [u["template"] for u in uses]


def test_me_sign_in_with_a_wrong_csrf_token_or_a_forged_state_is_refused(setup):
    gw, fake = setup.gw, setup.fake
    with new_browser() as http:
        http.get(gw.url("/me"))
        r = http.post(gw.url("/me/sign-in"), data={"csrf_token": "x" * 43})
        assert r.status_code == 400, f"{r.status_code} {r.text[:500]}"
        assert "location" not in r.headers and not cookie_value(r, ME_SIGNIN_COOKIE)
        # A real start, then a callback whose state is not the cookie's.
        _, started = start_me_sign_in(http, gw)
        assert started.status_code == 303
        fake.sign_in_as(new_member(fake))
        callback = http.get(started.headers["location"]).headers["location"]
        q = query_of(callback)
        before = len(fake.oauth_requests("token"))
        forged = http.get(gw.url(ME_CALLBACK_PATH), params={"code": q["code"], "state": "A" * len(q["state"])})
        assert forged.status_code == 400, f"{forged.status_code} {forged.text[:500]}"
        assert not cookie_value(forged, ME_COOKIE)
        assert len(fake.oauth_requests("token")) == before, "a forged callback spent the code at Discord"


def test_me_refuses_someone_outside_the_allowed_guilds(setup):
    gw, fake = setup.gw, setup.fake
    outsider = fake.add_user(f"outsider_{secrets.token_hex(3)}")
    with new_browser() as http:
        _, started = start_me_sign_in(http, gw)
        fake.sign_in_as(outsider)
        callback = http.get(started.headers["location"]).headers["location"]
        r = http.get(callback)
        assert r.status_code == 403, f"{r.status_code} {r.text[:1000]}"
        assert not cookie_value(r, ME_COOKIE)
        assert http.get(gw.url(API)).status_code == 401


def test_me_sign_out_ends_the_session_for_the_page_and_the_api(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    cookie = me.http.cookies.get(ME_COOKIE)
    assert me.api("GET", csrf=None).status_code == 200
    r = me.post_form("/me/sign-out", {})
    assert r.status_code == 303, f"{r.status_code} {r.text[:500]}"
    cleared = set_cookie_header(r, ME_COOKIE)
    assert cleared and "max-age=0" in cleared.lower(), r.headers.get_list("set-cookie")
    with new_browser() as other:
        other.cookies.set(ME_COOKIE, cookie)
        page = other.get(gw.url("/me"))
        assert page.status_code == 200 and form_with_action(page, "/me/sign-in"), page.text[:1000]
        api_error(other.get(gw.url(API)), 401)


# =====================================================================================================
# /me: adding, listing, removing
# =====================================================================================================
def test_a_member_adds_a_backend_with_a_secret_header_on_me_and_removes_it(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    secret = secret_value("me-form-secret")
    name = unique("mine")
    r = me.post_form("/me/backends", {"name": name, "url": setup.beta.url, "transport": "streamable_http",
                                       "scope": "user", "header_name": "X-Api-Key", "header_value": secret})
    assert r.status_code == 200, f"{r.status_code} {r.text[:2000]}"
    assert name in r.text and secret not in r.text, r.text[:3000]
    page = me.page()
    assert name in page.text and setup.beta.url in page.text, page.text[:4000]
    assert secret not in page.text
    listed = [b for b in me.backends() if b["name"] == name]
    assert len(listed) == 1, me.backends()
    doc = listed[0]
    assert doc["scope"]["kind"] == "user" and doc["transport"] == "streamable_http" and doc["url"] == setup.beta.url, doc
    assert doc["headers"] == {"X-Api-Key": "set"}, doc
    assert secret not in json.dumps(doc)
    # The remove form of that backend.
    removes = [f for f in form_with_action(page, "/me/backends/remove") if f.hidden.get("backend_id") == doc["id"]]
    assert len(removes) == 1, page.text[:4000]
    gone = me.post_form("/me/backends/remove", {"backend_id": doc["id"]}, csrf=removes[0].hidden["csrf_token"])
    assert gone.status_code == 200, f"{gone.status_code} {gone.text[:1000]}"
    assert not [b for b in me.backends() if b["name"] == name]


def test_a_member_adds_an_sse_backend_on_me_and_uses_it_over_mcp(setup, sessions):
    gw, fake = setup.gw, setup.fake
    user = new_member(fake)
    me = sessions(gw, fake, user)
    name = unique("legacy")
    r = me.post_form("/me/backends", {"name": name, "url": setup.gamma.url, "transport": "sse", "scope": "user",
                                       "header_name": "", "header_value": ""})
    assert r.status_code == 200, f"{r.status_code} {r.text[:2000]}"
    doc = next(b for b in me.backends() if b["name"] == name)
    assert doc["transport"] == "sse" and doc["headers"] == {}, doc
    token = member_mcp_token(gw, fake, user)
    names = tools_of(gw, token)
    echo = tool(names, name, "echo")
    assert echo, names
    assert text_of(call_tool(gw, token, echo, {"text": "over sse"})) == "gamma: over sse"


def test_a_guild_scope_is_offered_on_me_only_to_the_guilds_backend_admins(setup, sessions):
    gw, fake = setup.gw, setup.fake
    plain = sessions(gw, fake, new_member(fake))
    boss = sessions(gw, fake, admin(setup))
    owner = sessions(gw, fake, fake.ids["user_owner"])
    assert scope_options(plain.page()) == ["user"]
    assert scope_options(boss.page()) == ["user", f"guild:{setup.guild}"]
    assert scope_options(owner.page()) == ["user", f"guild:{setup.guild}"]
    # A plain member posting the guild scope anyway is refused, and nothing is stored.
    name = unique("sneaky")
    r = plain.post_form("/me/backends", {"name": name, "url": setup.beta.url, "transport": "streamable_http",
                                          "scope": f"guild:{setup.guild}"})
    assert r.status_code == 403, f"{r.status_code} {r.text[:1000]}"
    assert not [b for b in plain.backends() if b["name"] == name]
    # The admin's guild backend, added on /me, is listed for a plain member (who may not remove it).
    r = boss.post_form("/me/backends", {"name": name, "url": setup.beta.url, "transport": "streamable_http",
                                         "scope": f"guild:{setup.guild}"})
    assert r.status_code == 200, f"{r.status_code} {r.text[:1000]}"
    doc = next(b for b in boss.backends() if b["name"] == name)
    assert doc["scope"] == {"kind": "guild", "guild_id": setup.guild, "role_ids": []} or (
        doc["scope"]["kind"] == "guild" and doc["scope"]["guild_id"] == setup.guild and not doc["scope"].get("role_ids")
    ), doc
    seen = next(b for b in plain.backends() if b["id"] == doc["id"])
    assert seen["can_manage"] is False and doc["can_manage"] is True, (seen, doc)
    page = plain.page()
    assert name in page.text
    assert not [f for f in form_with_action(page, "/me/backends/remove") if f.hidden.get("backend_id") == doc["id"]]
    refused = plain.post_form("/me/backends/remove", {"backend_id": doc["id"]})
    assert refused.status_code == 403, f"{refused.status_code} {refused.text[:500]}"
    assert any(b["id"] == doc["id"] for b in boss.backends())
    assert boss.api("DELETE", "/" + doc["id"]).status_code == 204


def test_a_me_form_post_without_the_right_csrf_token_is_400_and_changes_nothing(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    kept = me.create({"name": unique("kept"), "url": setup.beta.url})
    fields = {"name": unique("forged"), "url": setup.beta.url, "transport": "streamable_http", "scope": "user"}
    for csrf in ("x" * 43, None):
        r = me.post_form("/me/backends", fields, csrf=csrf)
        assert r.status_code == 400, f"csrf {csrf!r}: {r.status_code} {r.text[:500]}"
        r = me.post_form("/me/backends/remove", {"backend_id": kept["id"]}, csrf=csrf)
        assert r.status_code == 400, f"remove, csrf {csrf!r}: {r.status_code} {r.text[:500]}"
    assert [b["id"] for b in me.backends()] == [kept["id"]], me.backends()


def test_a_cross_site_post_to_me_backends_is_refused_even_with_the_token(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    fields = {"name": unique("csrf"), "url": setup.beta.url, "transport": "streamable_http", "scope": "user"}
    r = me.post_form("/me/backends", fields, Origin="https://evil.example")
    assert r.status_code == 403, f"{r.status_code} {r.text[:500]}"
    r = me.post_form("/me/backends", fields, **{"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403, f"{r.status_code} {r.text[:500]}"
    r = me.api("POST", body={"name": fields["name"], "url": setup.beta.url}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403, f"API, cross-site: {r.status_code} {r.text[:500]}"
    assert me.backends() == []
    # The same post from the page itself works.
    ok = me.post_form("/me/backends", fields, **{"Sec-Fetch-Site": "same-origin", "Origin": gw.issuer})
    assert ok.status_code == 200, f"{ok.status_code} {ok.text[:500]}"


# =====================================================================================================
# The JSON API
# =====================================================================================================
def test_the_api_wants_a_session_or_a_token_with_the_backends_scope(setup, op_mcp_token):
    gw = setup.gw
    with new_browser() as http:
        api_error(http.get(gw.url(API)), 401)
        api_error(http.post(gw.url(API), json={"name": "x", "url": setup.beta.url}), 401)
        api_error(http.get(gw.url(API), headers={"Authorization": "Bearer mgw_not-a-token"}), 401)
        http.cookies.set(ME_COOKIE, "not-a-session")
        api_error(http.get(gw.url(API)), 401)
    # A personal token without the backends scope.
    api_error(op_api(gw, op_mcp_token, "GET"), 401)


def test_a_member_creates_shows_changes_and_deletes_a_backend_through_the_api(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    secret = secret_value("api-secret")
    name = unique("crud")
    r = me.api("POST", body={"name": name, "url": setup.beta.url, "transport": "streamable_http",
                             "scope": {"kind": "user"}, "headers": {"X-Api-Key": secret}, "timeout_seconds": 20})
    assert r.status_code == 201, f"{r.status_code} {r.text[:1000]}"
    assert secret not in r.text
    doc = r.json()
    assert doc["name"] == name and doc["scope"]["kind"] == "user" and doc["url"] == setup.beta.url, doc
    assert doc["headers"] == {"X-Api-Key": "set"} and doc["timeout_seconds"] == 20, doc
    assert doc["owner"]["id"] == "discord:" + me.user_id and doc["can_manage"] is True, doc
    shown = me.api("GET", "/" + doc["id"], csrf=None)
    assert shown.status_code == 200 and shown.json()["id"] == doc["id"] and secret not in shown.text, shown.text
    assert [b["id"] for b in me.backends()] == [doc["id"]]

    changed = me.api("PATCH", "/" + doc["id"], body={"url": setup.gamma.url, "transport": "sse", "timeout_seconds": 30})
    assert changed.status_code == 200, f"{changed.status_code} {changed.text[:1000]}"
    c = changed.json()
    assert c["url"] == setup.gamma.url and c["transport"] == "sse" and c["timeout_seconds"] == 30, c
    assert c["headers"] == {"X-Api-Key": "set"}, "a change that names no header keeps the headers"
    # Removing the header with null.
    cleared = me.api("PATCH", "/" + doc["id"], body={"headers": {"X-Api-Key": None}})
    assert cleared.status_code == 200 and cleared.json()["headers"] == {}, cleared.text

    assert me.api("DELETE", "/" + doc["id"]).status_code == 204
    api_error(me.api("GET", "/" + doc["id"], csrf=None), 404, "not_found")
    assert me.backends() == []


def test_the_same_name_twice_for_one_member_is_409(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    name = unique("twice")
    me.create({"name": name, "url": setup.beta.url})
    api_error(me.api("POST", body={"name": name, "url": setup.gamma.url, "transport": "sse"}), 409, "name_taken")
    assert len(me.backends()) == 1


def test_api_changes_with_a_session_need_its_csrf_header(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    doc = me.create({"name": unique("guarded"), "url": setup.beta.url, "member_headers": ["X-Mine"]})
    for csrf in (None, "x" * 43):
        api_error(me.api("POST", body={"name": unique("nocsrf"), "url": setup.beta.url}, csrf=csrf), 403)
        api_error(me.api("PATCH", "/" + doc["id"], body={"timeout_seconds": 99}, csrf=csrf), 403)
        api_error(me.api("PUT", f"/{doc['id']}/credentials/X-Mine", body={"value": "v"}, csrf=csrf), 403)
        api_error(me.api("DELETE", f"/{doc['id']}/credentials/X-Mine", csrf=csrf), 403)
        api_error(me.api("DELETE", "/" + doc["id"], csrf=csrf), 403)
    after = me.backends()
    assert [b["id"] for b in after] == [doc["id"]] and after[0]["timeout_seconds"] == doc["timeout_seconds"], after
    assert after[0]["my_credentials"] == {"X-Mine": "not set"}, after


@pytest.mark.parametrize("body,why", [
    ({"name": "ghub", "url": "__beta__", "scope": {"kind": "guild", "guild_id": "__guild__"}}, "guild without Manage Server"),
    ({"name": "ghub", "url": "__beta__", "scope": {"kind": "channel", "guild_id": "__guild__", "channel_id": "__general__"}},
     "channel without Manage Server"),
    ({"name": "ghub", "url": "__beta__", "scope": {"kind": "global"}}, "global"),
    ({"name": "ghub", "transport": "stdio", "command": "/bin/sh", "args": ["-c", "id"], "sandbox": {"network": "host"}},
     "a command on the host's network"),
], ids=["guild", "channel", "global", "host-network-command"])
def test_a_plain_member_may_not_add_shared_global_or_host_network_command_backends(setup, sessions, body, why):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    fill = {"__beta__": setup.beta.url, "__guild__": setup.guild, "__general__": fake.ids["general"]}

    def filled(value):
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        return fill.get(value, value) if isinstance(value, str) else value

    api_error(me.api("POST", body=filled(body)), 403, "forbidden")
    assert me.backends() == [], why


def test_another_users_backend_is_404_on_every_route_like_one_that_does_not_exist(setup, sessions):
    gw, fake = setup.gw, setup.fake
    alice = sessions(gw, fake, new_member(fake))
    bob = sessions(gw, fake, new_member(fake))
    secret = secret_value("alice-secret")
    doc = alice.create({"name": unique("private"), "url": setup.beta.url, "headers": {"X-Api-Key": secret},
                        "member_headers": ["X-Member"]})
    bid = doc["id"]
    missing = "b" * len(bid)
    routes = [
        ("GET", "", None),
        ("PATCH", "", {"url": setup.gamma.url, "transport": "sse"}),
        ("PATCH", "", {"headers": {"X-Api-Key": "stolen"}}),
        ("PUT", "/credentials/X-Member", {"value": "mine now"}),
        ("DELETE", "/credentials/X-Member", None),
        ("DELETE", "", None),
    ]
    for method, tail, body in routes:
        theirs = bob.api(method, f"/{bid}{tail}", body=body)
        nothing = bob.api(method, f"/{missing}{tail}", body=body)
        b1 = api_error(theirs, 404, "not_found")
        b2 = api_error(nothing, 404, "not_found")
        assert b1 == b2, f"{method} {tail}: another user's id answers differently from a missing one: {b1} vs {b2}"
        assert secret not in theirs.text
    assert bid not in json.dumps(bob.backends())
    mine = alice.api("GET", "/" + bid, csrf=None).json()
    assert mine["url"] == setup.beta.url and mine["transport"] == "streamable_http" and mine["headers"] == {"X-Api-Key": "set"}
    assert mine["my_credentials"] == {"X-Member": "not set"} and mine["updated_at"] == doc["updated_at"], mine


# ---- hostile input -------------------------------------------------------------------------------------
def test_hostile_api_bodies_are_refused_and_store_nothing(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    url = setup.beta.url
    json_type = {"Content-Type": "application/json"}
    cases = [
        ("oversized", dict(content=json.dumps({"name": "big", "url": url, "headers": {"X-Pad": "a" * 17000}}),
                           headers=json_type), 413, "limit"),
        ("bad json", dict(content=b'{"name": "x", "url": ', headers=json_type), 400, None),
        ("not json content type", dict(content=json.dumps({"name": "x", "url": url}),
                                       headers={"Content-Type": "text/plain"}), 415, None),
        ("form content type", dict(content=f"name=x&url={url}",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}), 415, None),
        ("json array", dict(body=[{"name": "x", "url": url}]), 400, None),
        ("unknown field", dict(body={"name": "x", "url": url, "colour": "red"}), 400, "invalid_backend"),
        ("CR LF in a header value", dict(body={"name": "x", "url": url, "headers": {"X-Api-Key": "a\r\nInjected: 1"}}),
         400, "invalid_backend"),
        ("LF in a header value", dict(body={"name": "x", "url": url, "headers": {"X-Api-Key": "a\nb"}}), 400,
         "invalid_backend"),
        ("reserved Host header", dict(body={"name": "x", "url": url, "headers": {"Host": "evil.example"}}), 400,
         "invalid_backend"),
        ("reserved header, other case", dict(body={"name": "x", "url": url, "headers": {"content-LENGTH": "1"}}), 400,
         "invalid_backend"),
        ("header name with a space", dict(body={"name": "x", "url": url, "headers": {"X Api": "v"}}), 400,
         "invalid_backend"),
        ("upper-case name", dict(body={"name": "GitHub", "url": url}), 400, "invalid_backend"),
        ("name with a space", dict(body={"name": "my backend", "url": url}), 400, "invalid_backend"),
        ("empty name", dict(body={"name": "", "url": url}), 400, "invalid_backend"),
        ("name too long", dict(body={"name": "a" * 33, "url": url}), 400, "invalid_backend"),
        ("name with a slash", dict(body={"name": "../x", "url": url}), 400, "invalid_backend"),
        ("no name", dict(body={"url": url}), 400, "invalid_backend"),
        ("no url", dict(body={"name": "x"}), 400, "invalid_backend"),
        ("file url", dict(body={"name": "x", "url": "file:///etc/passwd"}), 400, "invalid_backend"),
        ("url with user info", dict(body={"name": "x", "url": "http://user:pw@127.0.0.1:1/mcp"}), 400,
         "invalid_backend"),
        ("unknown transport", dict(body={"name": "x", "url": url, "transport": "websocket"}), 400, "invalid_backend"),
        ("name of the wrong type", dict(body={"name": 7, "url": url}), 400, "invalid_backend"),
        ("timeout out of range", dict(body={"name": "x", "url": url, "timeout_seconds": 0}), 400, "invalid_backend"),
        ("unknown scope kind", dict(body={"name": "x", "url": url, "scope": {"kind": "everyone"}}), 400,
         "invalid_backend"),
        ("scope guild id not a snowflake", dict(body={"name": "x", "url": url, "scope": {"kind": "guild",
                                                                                          "guild_id": "abc"}}),
         400, "invalid_backend"),
        ("member header twice", dict(body={"name": "x", "url": url, "member_headers": ["X-A", "x-a"]}), 400,
         "invalid_backend"),
    ]
    for label, kwargs, status, error in cases:
        r = me.api("POST", **kwargs)
        api_error(r, status, error)
        assert "a" * 1000 not in r.text, f"{label}: the answer echoes the body"
    assert me.backends() == [], "a refused definition was stored"


def test_hostile_changes_to_an_existing_backend_are_refused_and_change_nothing(setup, sessions):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    doc = me.create({"name": unique("steady"), "url": setup.beta.url, "headers": {"X-Api-Key": "v1"},
                     "member_headers": ["X-Member"]})
    path = "/" + doc["id"]
    api_error(me.api("PATCH", path, body={"headers": {"X-Api-Key": "v\r\nX-Evil: 1"}}), 400)
    api_error(me.api("PATCH", path, body={"headers": {"Host": "evil.example"}}), 400)
    api_error(me.api("PATCH", path, body={"name": "Upper Case"}), 400)
    api_error(me.api("PATCH", path, body={"owner": "discord:1"}), 400)
    api_error(me.api("PATCH", path, content=json.dumps({"headers": {"X-Pad": "a" * 17000}}),
                     headers={"Content-Type": "application/json"}), 413)
    api_error(me.api("PUT", path + "/credentials/X-Member", body={"value": "a\r\nb"}), 400)
    api_error(me.api("PUT", path + "/credentials/X-Member", body={"value": "v", "extra": 1}), 400)
    api_error(me.api("PUT", path + "/credentials/X-Member", content="v", headers={"Content-Type": "text/plain"}), 415)
    api_error(me.api("PUT", path + "/credentials/X-Undeclared", body={"value": "v"}), 400)
    after = me.api("GET", path, csrf=None).json()
    assert after["updated_at"] == doc["updated_at"] and after["name"] == doc["name"], after
    assert after["my_credentials"] == {"X-Member": "not set"}, after


# =====================================================================================================
# MCP: what each caller sees
# =====================================================================================================
def test_a_member_sees_the_global_backends_and_their_own_and_nobody_elses(setup, sessions):
    gw, fake = setup.gw, setup.fake
    ann, ben = new_member(fake), new_member(fake)
    ann_token, ben_token = member_mcp_token(gw, fake, ann), member_mcp_token(gw, fake, ben)
    before = tools_of(gw, ann_token)
    assert tool(before, "alpha", "echo") and any(n.startswith("discord_") for n in before), before
    name = unique("annsown")
    sessions(gw, fake, ann).create({"name": name, "url": setup.beta.url})
    # The token issued before the backend existed sees it now.
    names = tools_of(gw, ann_token)
    echo = tool(names, name, "echo")
    assert echo and tool(names, name, "add") and tool(names, "alpha", "echo"), names
    assert text_of(call_tool(gw, ann_token, echo, {"text": "hello"})) == "beta: hello"
    assert "3" in text_of(call_tool(gw, ann_token, tool(names, name, "add"), {"a": 1, "b": 2}))
    # Ben neither sees nor reaches it.
    ben_names = tools_of(gw, ben_token)
    assert not has_backend(ben_names, name), ben_names
    assert tool(ben_names, "alpha", "echo"), ben_names
    refused = call_tool(gw, ben_token, echo, {"text": "mine?"})
    assert not succeeded(refused) and "Unknown tool" in error_text(refused), refused


def test_two_members_each_have_a_backend_named_github_and_each_reaches_their_own(setup, sessions):
    gw, fake = setup.gw, setup.fake
    one, two = new_member(fake), new_member(fake)
    sessions(gw, fake, one).create({"name": "github", "url": setup.beta.url})
    sessions(gw, fake, two).create({"name": "github", "url": setup.gamma.url, "transport": "sse"})
    t1, t2 = member_mcp_token(gw, fake, one), member_mcp_token(gw, fake, two)
    n1, n2 = tools_of(gw, t1), tools_of(gw, t2)
    e1, e2 = tool(n1, "github", "echo"), tool(n2, "github", "echo")
    assert e1 and e2, (n1, n2)
    assert len([n for n in n1 if n.startswith("github_")]) == len(set(n for n in n1 if n.startswith("github_")))
    assert text_of(call_tool(gw, t1, e1, {"text": "who"})) == "beta: who"
    assert text_of(call_tool(gw, t2, e2, {"text": "who"})) == "gamma: who"


def test_member_backends_connect_lazily(setup, sessions):
    """Defining a backend connects to nothing, nor does another member's listing; the owner's first use does."""
    gw, fake = setup.gw, setup.fake
    owner, other = new_member(fake), new_member(fake)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        name = unique("lazy")
        me = sessions(gw, fake, owner)
        me.create({"name": name, "url": f"http://127.0.0.1:{port}/mcp", "timeout_seconds": 3})
        other_token = member_mcp_token(gw, fake, other)
        assert not has_backend(tools_of(gw, other_token), name)
        readable, _, _ = select.select([listener], [], [], 1.5)
        assert not readable, "the gateway connected to a member backend nobody used"
        token = member_mcp_token(gw, fake, owner)
        done: dict = {}
        lister = threading.Thread(target=lambda: done.setdefault("names", _try_tools(gw, token)), daemon=True)
        lister.start()
        readable, _, _ = select.select([listener], [], [], 10)
        assert readable, "the owner's tools/list did not connect to their backend"
        conn, _ = listener.accept()
        conn.close()
    finally:
        listener.close()
    lister.join(timeout=30)
    assert not lister.is_alive(), "tools/list hung on a backend that went away"


def _try_tools(gw, token):
    try:
        return tools_of(gw, token)
    except Exception as failure:  # noqa: BLE001 - only that it returns matters here
        return failure


def test_a_guild_backend_is_for_the_guilds_members_and_a_role_limited_one_for_those_roles(setup, sessions):
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    everyone_name, testers_name = unique("guildwide"), unique("testers")
    boss.create({"name": everyone_name, "url": setup.beta.url, "scope": {"kind": "guild", "guild_id": setup.guild}})
    t = boss.create({"name": testers_name, "url": setup.gamma.url, "transport": "sse",
                     "scope": {"kind": "guild", "guild_id": setup.guild, "role_ids": [setup.testers_role]}})
    assert t["scope"]["role_ids"] == [setup.testers_role], t
    plain, tester = new_member(fake), new_member(fake, setup.testers_role)
    plain_names = tools_of(gw, member_mcp_token(gw, fake, plain))
    tester_token = member_mcp_token(gw, fake, tester)
    tester_names = tools_of(gw, tester_token)
    assert has_backend(plain_names, everyone_name) and not has_backend(plain_names, testers_name), plain_names
    assert has_backend(tester_names, everyone_name) and has_backend(tester_names, testers_name), tester_names
    assert text_of(call_tool(gw, tester_token, tool(tester_names, testers_name, "echo"), {"text": "t"})) == "gamma: t"


def test_a_channel_backend_follows_the_channels_permission_overwrites(setup, sessions):
    """The fake's #secret denies @everyone VIEW_CHANNEL and allows Moderator."""
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    name = unique("secretchan")
    doc = boss.create({"name": name, "url": setup.beta.url,
                       "scope": {"kind": "channel", "guild_id": setup.guild, "channel_id": fake.ids["secret"]}})
    assert doc["scope"]["kind"] == "channel" and doc["scope"]["channel_id"] == fake.ids["secret"], doc
    mod, plain = new_member(fake, fake.ids["role_moderator"]), new_member(fake)
    mod_token, plain_token = member_mcp_token(gw, fake, mod), member_mcp_token(gw, fake, plain)
    mod_names = tools_of(gw, mod_token)
    assert has_backend(mod_names, name), mod_names
    assert not has_backend(tools_of(gw, plain_token), name)
    echo = tool(mod_names, name, "echo")
    assert text_of(call_tool(gw, mod_token, echo, {"text": "psst"})) == "beta: psst"
    assert not succeeded(call_tool(gw, plain_token, echo, {"text": "psst"}))
    # The moderator loses the role: the channel backend goes within the cache time, and calls fail.
    fake.set_member_roles(setup.guild, mod, [fake.ids["role_member"]])
    wait_for(lambda: not has_backend(tools_of(gw, mod_token), name), GONE_TIMEOUT,
             what="the channel backend to leave the demoted member's tools/list")
    refused = call_tool(gw, mod_token, echo, {"text": "still?"})
    assert not succeeded(refused) and "Unknown tool" in error_text(refused), refused
    # An overwrite for the plain member opens the channel to them.
    with fake.lock:
        overwrites = [dict(o) for o in fake.world.channels[fake.ids["secret"]]["permission_overwrites"]]
    try:
        fake.set_channel_overwrites(fake.ids["secret"], [*overwrites, {"id": plain, "type": 1,
                                                                         "allow": FLAGS["VIEW_CHANNEL"], "deny": 0}])
        wait_for(lambda: has_backend(tools_of(gw, plain_token), name), GONE_TIMEOUT,
                 what="the channel backend to appear for the member the overwrite allows")
    finally:
        fake.set_channel_overwrites(fake.ids["secret"], overwrites)


def test_losing_a_role_or_leaving_the_guild_takes_guild_backends_away_within_the_cache_time(setup, sessions):
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    role_name, guild_name = unique("rolegated"), unique("guildgated")
    boss.create({"name": role_name, "url": setup.beta.url,
                 "scope": {"kind": "guild", "guild_id": setup.guild, "role_ids": [setup.testers_role]}})
    boss.create({"name": guild_name, "url": setup.beta.url, "scope": {"kind": "guild", "guild_id": setup.guild}})
    member = new_member(fake, setup.testers_role)
    token = member_mcp_token(gw, fake, member)
    names = tools_of(gw, token)
    role_echo, guild_echo = tool(names, role_name, "echo"), tool(names, guild_name, "echo")
    assert role_echo and guild_echo, names
    assert succeeded(call_tool(gw, token, role_echo, {"text": "a"}))

    started = time.monotonic()
    fake.set_member_roles(setup.guild, member, [fake.ids["role_member"]])
    wait_for(lambda: not has_backend(tools_of(gw, token), role_name), GONE_TIMEOUT,
             what="the role-limited backend to go after the role was removed")
    took = time.monotonic() - started
    refused = call_tool(gw, token, role_echo, {"text": "b"})
    assert not succeeded(refused) and "Unknown tool" in error_text(refused), refused
    assert succeeded(call_tool(gw, token, guild_echo, {"text": "c"})), "the guild-wide backend should stay"

    fake.remove_member(setup.guild, member)

    def guild_backend_gone():
        try:
            return not has_backend(tools_of(gw, token, allow_refused=True), guild_name)
        except Refused:
            return True

    wait_for(guild_backend_gone, GONE_TIMEOUT, what="the guild backend to go after the member left the guild")
    assert not succeeded(call_tool(gw, token, guild_echo, {"text": "d"}))
    assert took < GONE_TIMEOUT


def test_a_shared_backend_with_member_headers_carries_each_members_own_value(setup, sessions):
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    name = unique("shared")
    team_secret = secret_value("team")
    doc = boss.create({"name": name, "url": setup.beta.url, "scope": {"kind": "guild", "guild_id": setup.guild},
                       "headers": {"X-Team-Key": team_secret}, "member_headers": ["X-Member-Key"]})
    assert doc["member_headers"] == ["X-Member-Key"] and doc["headers"] == {"X-Team-Key": "set"}, doc
    m1, m2, m3 = new_member(fake), new_member(fake), new_member(fake)
    v1, v2 = secret_value("m1"), secret_value("m2")
    s1, s2, s3 = sessions(gw, fake, m1), sessions(gw, fake, m2), sessions(gw, fake, m3)
    # m1 sets the value through the API, m2 on the /me page's form.
    r = s1.api("PUT", f"/{doc['id']}/credentials/X-Member-Key", body={"value": v1})
    assert r.status_code == 204, f"{r.status_code} {r.text[:500]}"
    page = s2.page()
    forms = [f for f in form_with_action(page, "/me/credentials") if f.hidden.get("backend_id") == doc["id"]]
    assert len(forms) == 1 and forms[0].hidden.get("header") == "X-Member-Key", page.text[:4000]
    r = s2.post_form("/me/credentials", {"backend_id": doc["id"], "header": "X-Member-Key", "value": v2},
                     csrf=forms[0].hidden["csrf_token"])
    assert r.status_code == 200, f"{r.status_code} {r.text[:1000]}"
    assert v2 not in r.text
    mine = lambda s: next(b for b in s.backends() if b["id"] == doc["id"])["my_credentials"]  # noqa: E731
    assert mine(s1) == {"X-Member-Key": "set"} and mine(s2) == {"X-Member-Key": "set"}
    assert mine(s3) == {"X-Member-Key": "not set"}
    assert v1 not in json.dumps(s1.backends()) and v1 not in s1.page().text

    t1, t2, t3 = (member_mcp_token(gw, fake, m) for m in (m1, m2, m3))
    h1, h2 = headers_seen(gw, t1, name), headers_seen(gw, t2, name)
    assert h1.get("x-member-key") == v1 and h1.get("x-team-key") == team_secret, h1
    assert h2.get("x-member-key") == v2 and h2.get("x-team-key") == team_secret, h2
    missing = call_tool(gw, t3, f"{name}__headers")
    assert not succeeded(missing), missing
    said = error_text(missing)
    assert "/me" in said and "X-Member-Key" in said, said
    assert v1 not in said and v2 not in said and team_secret not in said, said
    # The others are unaffected by m3's failure.
    assert headers_seen(gw, t1, name).get("x-member-key") == v1


def test_a_member_who_sets_their_value_after_a_failed_call_gets_it_used(setup, sessions):
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    name = unique("latecomer")
    doc = boss.create({"name": name, "url": setup.beta.url, "scope": {"kind": "guild", "guild_id": setup.guild},
                       "member_headers": ["X-Member-Key"]})
    member = new_member(fake)
    me = sessions(gw, fake, member)
    token = member_mcp_token(gw, fake, member)
    first = call_tool(gw, token, f"{name}__headers")
    assert not succeeded(first) and "/me" in error_text(first), first
    value = secret_value("late")
    assert me.api("PUT", f"/{doc['id']}/credentials/X-Member-Key", body={"value": value}).status_code == 204
    last: dict = {}

    def works():
        last["answer"] = call_tool(gw, token, f"{name}__headers")
        return succeeded(last["answer"]) and last["answer"]

    seen = wait_for(works, GONE_TIMEOUT, what=lambda: f"the member's call to work once their value is set "
                                                      f"(PUT credentials answered 204); last answer {last.get('answer')}")
    assert json.loads(text_of(seen)).get("x-member-key") == value, text_of(seen)


def test_a_member_who_changes_or_removes_their_value_gets_the_new_one_used(setup, sessions):
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    name = unique("rotating")
    doc = boss.create({"name": name, "url": setup.beta.url, "scope": {"kind": "guild", "guild_id": setup.guild},
                       "member_headers": ["X-Member-Key"]})
    member = new_member(fake)
    me = sessions(gw, fake, member)
    old, new = secret_value("old"), secret_value("new")
    path = f"/{doc['id']}/credentials/X-Member-Key"
    assert me.api("PUT", path, body={"value": old}).status_code == 204
    token = member_mcp_token(gw, fake, member)
    assert headers_seen(gw, token, name).get("x-member-key") == old
    assert me.api("PUT", path, body={"value": new}).status_code == 204
    last: dict = {}

    def uses_new():
        last["seen"] = headers_seen(gw, token, name).get("x-member-key")
        return last["seen"] == new

    wait_for(uses_new, GONE_TIMEOUT, what=lambda: f"the member's new value to be used (PUT answered 204); the backend "
                                                  f"still got the {'old' if last.get('seen') == old else 'unexpected'} "
                                                  f"value {last.get('seen')!r}")
    assert me.api("DELETE", path).status_code == 204
    assert next(b for b in me.backends() if b["id"] == doc["id"])["my_credentials"] == {"X-Member-Key": "not set"}
    wait_for(lambda: not succeeded(call_tool(gw, token, f"{name}__headers")), GONE_TIMEOUT,
             what="calls to fail once the member removed their value")


def test_the_operator_token_manages_global_backends_that_every_member_sees(setup, sessions, op_backends_token,
                                                                           op_mcp_token):
    gw, fake = setup.gw, setup.fake
    glob, own = unique("everywhere"), unique("opsonly")
    secret = secret_value("op")
    r = op_api(gw, op_backends_token, "POST", body={"name": glob, "url": setup.gamma.url, "transport": "sse",
                                                     "scope": {"kind": "global"}, "headers": {"X-Op-Key": secret}})
    assert r.status_code == 201, f"{r.status_code} {r.text[:1000]}"
    g = r.json()
    assert g["scope"] == {"kind": "global"} and secret not in r.text, g
    r = op_api(gw, op_backends_token, "POST", body={"name": own, "url": setup.beta.url})
    assert r.status_code == 201, f"{r.status_code} {r.text[:1000]}"
    o = r.json()
    assert o["scope"]["kind"] == "user" and o["owner"]["id"] == "operator", o
    try:
        listed = {b["id"] for b in op_api(gw, op_backends_token, "GET").json()["backends"]}
        assert {g["id"], o["id"]} <= listed, listed
        # The operator's MCP token: the global one and its own.
        op_names = tools_of(gw, op_mcp_token)
        assert has_backend(op_names, glob) and has_backend(op_names, own), op_names
        assert headers_seen(gw, op_mcp_token, glob).get("x-op-key") == secret
        # A member: the global one only; it may not change it, and the operator's own is a 404.
        member = new_member(fake)
        me = sessions(gw, fake, member)
        names = tools_of(gw, member_mcp_token(gw, fake, member))
        assert has_backend(names, glob) and not has_backend(names, own), names
        seen = next(b for b in me.backends() if b["id"] == g["id"])
        assert seen["can_manage"] is False and secret not in json.dumps(seen), seen
        assert o["id"] not in {b["id"] for b in me.backends()}
        api_error(me.api("PATCH", "/" + g["id"], body={"timeout_seconds": 5}), 403, "forbidden")
        api_error(me.api("DELETE", "/" + g["id"]), 403, "forbidden")
        api_error(me.api("GET", "/" + o["id"], csrf=None), 404, "not_found")
        api_error(me.api("DELETE", "/" + o["id"]), 404, "not_found")
    finally:
        for bid in (g["id"], o["id"]):
            assert op_api(gw, op_backends_token, "DELETE", "/" + bid).status_code == 204
    assert not has_backend(tools_of(gw, op_mcp_token), glob)


def test_members_of_the_guild_do_not_see_guild_backends_through_the_operators_token(setup, sessions, op_mcp_token):
    gw, fake = setup.gw, setup.fake
    boss = sessions(gw, fake, admin(setup))
    name = unique("guildonly")
    boss.create({"name": name, "url": setup.beta.url, "scope": {"kind": "guild", "guild_id": setup.guild}})
    assert not has_backend(tools_of(gw, op_mcp_token), name)


# =====================================================================================================
# The audit trail
# =====================================================================================================
def test_the_audit_trail_records_every_change_and_never_a_secret(setup, sessions, op_backends_token):
    gw, fake = setup.gw, setup.fake
    me = sessions(gw, fake, new_member(fake))
    header_secret, form_secret, credential = secret_value("audit-h"), secret_value("audit-f"), secret_value("audit-c")
    name, form_name = unique("audited"), unique("auditform")
    doc = me.create({"name": name, "url": setup.beta.url, "headers": {"X-Api-Key": header_secret},
                     "member_headers": ["X-Member"]})
    assert me.api("PATCH", "/" + doc["id"], body={"headers": {"X-Api-Key": header_secret + "2"}}).status_code == 200
    assert me.api("PUT", f"/{doc['id']}/credentials/X-Member", body={"value": credential}).status_code == 204
    assert me.api("DELETE", f"/{doc['id']}/credentials/X-Member").status_code == 204
    r = me.post_form("/me/backends", {"name": form_name, "url": setup.beta.url, "transport": "streamable_http",
                                       "scope": "user", "header_name": "Authorization",
                                       "header_value": "Bearer " + form_secret})
    assert r.status_code == 200, r.text[:1000]
    assert me.api("DELETE", "/" + doc["id"]).status_code == 204
    wanted = {(name, "backends/created"), (name, "backends/updated"), (name, "backends/credential_set"),
              (name, "backends/credential_removed"), (name, "backends/deleted"), (form_name, "backends/created")}

    def rows():
        out = cli(gw, "audit", "--json", "--limit", "1000").stdout
        parsed = [json.loads(line) for line in out.splitlines() if line.strip()]
        found = {(row["backend"], row["tool"]) for row in parsed}
        return (out, parsed) if wanted <= found else None

    out, parsed = wait_for(rows, AUDIT_TIMEOUT, interval=0.5, what=f"audit rows {sorted(wanted)}")
    for s in (header_secret, header_secret + "2", form_secret, credential):
        assert s not in out, "a secret reached the audit trail"
    created = next(r for r in parsed if r["backend"] == name and r["tool"] == "backends/created")
    assert created["arguments"]["actor"] == "discord:" + me.user_id, created
    assert "headers.X-Api-Key" in created["arguments"]["fields"], created
    text = cli(gw, "audit", "--limit", "1000").stdout
    assert "backends/created" in text and header_secret not in text and form_secret not in text


# =====================================================================================================
# Dedicated gateways
# =====================================================================================================
@pytest.fixture
def dedicated(discord_fake, tmp_path: Path, request: pytest.FixtureRequest):
    """Factory: a started member gateway pointed at this test's fake, with setting overrides; stopped after the test."""
    started: list[Gateway] = []

    def make(name: str, **extra: str | None) -> Gateway:
        gw = member_gateway(tmp_path / f"gw{len(started)}", discord_fake, name, **extra)
        started.append(gw)
        _watch(request.node, gw)
        return gw.start()

    try:
        yield make
    finally:
        for gw in started:
            gw.stop()


@pytest.fixture
def fixture_backends(tmp_path: Path):
    started: list[BackendProcess] = []

    def start(name: str, transport: str = "http") -> BackendProcess:
        p = BackendProcess(tmp_path, name, transport)
        started.append(p)
        return p.start()

    try:
        yield start
    finally:
        for p in started:
            p.stop()


def loopback_dns_name() -> str | None:
    """A DNS name (not the literal "localhost") that resolves to a loopback address here."""
    for name in ("localtest.me", "localhost.", socket.gethostname()):
        if not name or name == "localhost":
            continue
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)}
        except OSError:
            continue
        if addresses and all(a.startswith("127.") or a == "::1" for a in addresses):
            return name
    return None


def test_members_may_not_point_backends_at_private_or_internal_addresses(discord_fake, dedicated, fixture_backends):
    fake = discord_fake
    gw = dedicated("ssrf gateway", GATEWAY_MEMBER_PRIVATE_HOSTS=None)
    backend = fixture_backends("inside")
    me = me_sign_in(gw, fake, new_member(fake))
    try:
        port = backend.port
        urls = [f"http://127.0.0.1:{port}/mcp", f"http://[::1]:{port}/mcp", "http://169.254.169.254/latest",
                "http://10.0.0.1/", f"http://localhost:{port}/mcp", f"http://127.1:{port}/mcp",
                f"http://0.0.0.0:{port}/mcp", "http://192.168.1.1/mcp", "http://[fd00::1]/mcp"]
        name = loopback_dns_name()
        if name:
            urls.append(f"http://{name}:{port}/mcp")
        for url in urls:
            for transport in ("streamable_http", "sse"):
                r = me.api("POST", body={"name": "inside", "url": url, "transport": transport})
                body = api_error(r, 400, "invalid_backend")
                assert "private" in body["message"] or "internal" in body["message"], (url, body)
        # The same on /me.
        page = me.post_form("/me/backends", {"name": "inside", "url": f"http://127.0.0.1:{port}/mcp",
                                              "transport": "streamable_http", "scope": "user"})
        assert page.status_code == 400 and ("private" in page.text or "internal" in page.text), \
            f"{page.status_code} {page.text[:1000]}"
        assert me.backends() == [], "a refused URL was stored"
        # The operator's own token is not restricted.
        op = operator_token(gw, "backends")
        r = op_api(gw, op, "POST", body={"name": "inside", "url": f"http://127.0.0.1:{port}/mcp"})
        assert r.status_code == 201, f"{r.status_code} {r.text[:1000]}"
        op_mcp = operator_token(gw, "mcp")
        names = tools_of(gw, op_mcp)
        assert tool(names, "inside", "echo"), names
        assert text_of(call_tool(gw, op_mcp, tool(names, "inside", "echo"), {"text": "ok"})) == "inside: ok"
        if not name:
            pytest.skip("no DNS name resolving to loopback here besides localhost (localtest.me, localhost. and the "
                        "host name do not): that case was not checked; the rest passed")
    finally:
        me.close()


def test_a_member_may_have_at_most_the_backend_limit(discord_fake, dedicated):
    fake = discord_fake
    gw = dedicated("limited gateway", GATEWAY_MEMBER_BACKEND_LIMIT="2")
    me, other = me_sign_in(gw, fake, new_member(fake)), me_sign_in(gw, fake, new_member(fake))
    try:
        url = f"http://127.0.0.1:{free_port()}/mcp"
        first = me.create({"name": "one", "url": url})
        me.create({"name": "two", "url": url})
        api_error(me.api("POST", body={"name": "three", "url": url}), 413, "limit")
        r = me.post_form("/me/backends", {"name": "three", "url": url, "transport": "streamable_http", "scope": "user"})
        assert r.status_code == 413, f"{r.status_code} {r.text[:1000]}"
        assert sorted(b["name"] for b in me.backends()) == ["one", "two"]
        # Per member: another member still may add theirs.
        other.create({"name": "one", "url": url})
        # After removing one, there is room again.
        assert me.api("DELETE", "/" + first["id"]).status_code == 204
        me.create({"name": "three", "url": url})
    finally:
        me.close()
        other.close()


def test_backend_admin_roles_replace_manage_server(discord_fake, dedicated):
    fake = discord_fake
    moderator = fake.ids["role_moderator"]
    gw = dedicated("admin-roles gateway", DISCORD_BACKEND_ADMIN_ROLE_IDS=moderator)
    manager_role = fake.add_role(fake.ids["guild"], "Managers", FLAGS["MANAGE_GUILD"])
    guild_scope = {"kind": "guild", "guild_id": fake.ids["guild"]}
    luis = me_sign_in(gw, fake, fake.ids["user_luis"])  # Moderator
    manager = me_sign_in(gw, fake, new_member(fake, manager_role))  # Manage Server, but not a listed role
    owner = me_sign_in(gw, fake, fake.ids["user_owner"])
    ana = me_sign_in(gw, fake, fake.ids["user_ana"])
    try:
        url = f"http://127.0.0.1:{free_port()}/mcp"
        assert f"guild:{fake.ids['guild']}" in scope_options(luis.page())
        assert scope_options(manager.page()) == ["user"]
        luis.create({"name": "bymod", "url": url, "scope": guild_scope})
        owner.create({"name": "byowner", "url": url, "scope": guild_scope})
        api_error(manager.api("POST", body={"name": "bymanager", "url": url, "scope": guild_scope}), 403, "forbidden")
        api_error(ana.api("POST", body={"name": "byana", "url": url, "scope": guild_scope}), 403, "forbidden")
    finally:
        for s in (luis, manager, owner, ana):
            s.close()


def test_secrets_are_sealed_at_rest_survive_a_restart_and_a_wrong_master_key_refuses_to_start(
        discord_fake, dedicated, fixture_backends, tmp_path):
    fake = discord_fake
    beta = fixture_backends("beta")
    gw = dedicated("sealing gateway", LOG_LEVEL="debug")
    key_file = gw.workdir / "master-key"
    assert key_file.is_file(), list(gw.workdir.iterdir())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, oct(key_file.stat().st_mode)
    key_text = key_file.read_text().strip()
    assert len(base64.b64decode(key_text)) == 32

    member = new_member(fake)
    boss = fake.ids["user_owner"]
    form_secret, api_secret, op_secret, credential, team = (secret_value(s) for s in ("form", "api", "op", "cred", "team"))
    me = me_sign_in(gw, fake, member)
    admin_me = me_sign_in(gw, fake, boss)
    try:
        r = me.post_form("/me/backends", {"name": "viaform", "url": beta.url, "transport": "streamable_http",
                                           "scope": "user", "header_name": "X-Form-Key", "header_value": form_secret})
        assert r.status_code == 200, f"{r.status_code} {r.text[:1000]}"
        me.create({"name": "viaapi", "url": beta.url, "headers": {"X-Api-Key": api_secret}})
        shared = admin_me.create({"name": "shared", "url": beta.url, "headers": {"X-Team-Key": team},
                                  "scope": {"kind": "guild", "guild_id": fake.ids["guild"]},
                                  "member_headers": ["X-Member-Key"]})
        assert me.api("PUT", f"/{shared['id']}/credentials/X-Member-Key", body={"value": credential}).status_code == 204
    finally:
        me.close()
        admin_me.close()
    op = operator_token(gw, "backends")
    r = op_api(gw, op, "POST", body={"name": "opglobal", "url": beta.url, "scope": {"kind": "global"},
                                     "headers": {"Authorization": "Bearer " + op_secret}})
    assert r.status_code == 201, f"{r.status_code} {r.text[:500]}"
    op_mcp = operator_token(gw, "mcp")
    token = member_mcp_token(gw, fake, member)
    before = {"viaform": headers_seen(gw, token, "viaform"), "viaapi": headers_seen(gw, token, "viaapi"),
              "shared": headers_seen(gw, token, "shared")}
    assert before["viaform"].get("x-form-key") == form_secret and before["viaapi"].get("x-api-key") == api_secret
    assert before["shared"].get("x-member-key") == credential and before["shared"].get("x-team-key") == team

    assert gw.stop() == 0
    secrets_ = {"form header": form_secret, "api header": api_secret, "operator header": op_secret,
                "member credential": credential, "team header": team}
    files = sorted(gw.workdir.glob("gateway.sqlite*"))
    assert any(f.name == "gateway.sqlite" for f in files), files
    for f in files:
        data = f.read_bytes()
        for label, value in secrets_.items():
            assert value.encode() not in data, f"the {label} is stored in the clear in {f.name}"
            assert base64.b64encode(value.encode()) not in data, f"the {label} is stored base64-encoded in {f.name}"
    logs = gw.stdout() + gw.stderr()
    for label, value in secrets_.items():
        assert value not in logs, f"the {label} reached the log"
    assert key_text not in logs, "the master key reached the log"

    # The same data dir and key file: everything opens again.
    gw.start()
    names = tools_of(gw, op_mcp)
    assert tool(names, "opglobal", "headers"), names
    assert headers_seen(gw, op_mcp, "opglobal").get("authorization") == "Bearer " + op_secret
    token = member_mcp_token(gw, fake, member)
    assert headers_seen(gw, token, "viaform").get("x-form-key") == form_secret
    assert headers_seen(gw, token, "viaapi").get("x-api-key") == api_secret
    after = headers_seen(gw, token, "shared")
    assert after.get("x-member-key") == credential and after.get("x-team-key") == team, after
    assert key_file.read_text().strip() == key_text, "the master key file changed on restart"
    gw.stop()

    # Another (valid) key refuses to start, naming GATEWAY_MASTER_KEY, and changes nothing.
    other_key = base64.b64encode(os.urandom(32)).decode()
    same_data = {"GATEWAY_DATA_DIR": str(gw.workdir), "DATABASE_PATH": str(gw.workdir / "gateway.sqlite")}
    wrong = Gateway(tmp_path / "wrong-key", {**gw_settings(gw), **same_data, "GATEWAY_MASTER_KEY": other_key},
                    name="wrong-key gateway")
    code = serve_until_exit(wrong)
    out, err = wrong.stdout(), wrong.stderr()
    assert code is not None and code != 0, f"started (or hung) with another master key: {code}\n{out}\n{err}"
    assert "GATEWAY_MASTER_KEY" in out + err, f"the refusal does not name GATEWAY_MASTER_KEY:\n{out}\n{err}"
    assert other_key not in out + err and key_text not in out + err, "the refusal printed a key"
    assert key_file.read_text().strip() == key_text

    # The original key given as GATEWAY_MASTER_KEY works the same as the file.
    right = Gateway(tmp_path / "right-key", {**gw_settings(gw), **same_data, "GATEWAY_MASTER_KEY": key_text},
                    port=gw.port, name="right-key gateway")
    try:
        right.start()
        assert headers_seen(right, op_mcp, "opglobal").get("authorization") == "Bearer " + op_secret
    finally:
        right.stop()


def gw_settings(gw: Gateway) -> dict[str, str | None]:
    """The gateway's own settings (those a test sets), to start another process on the same data."""
    keep = ("DISCORD_", "GATEWAY_MEMBER_", "BACKENDS_FILE", "LOG_LEVEL")
    return {k: v for k, v in gw.env.items() if k.startswith(keep)}


def needs_keys_rotate():
    if cli_help("keys") is None:
        pytest.skip("`mcp-gateway keys rotate` does not exist yet: `mcp-gateway keys --help` fails (an unknown word "
                    "falls through to `serve`, whose help it shows)")


@dataclass
class Sealed:
    """Secrets of every kind, in place on a gateway: a member's own header, a member credential on a shared backend
    (whose team header is the guild admin's), the operator's global backend header."""
    member: str
    op_mcp: str
    values: dict[str, str]


def seal_everything(gw: Gateway, fake: DiscordFake, url: str) -> Sealed:
    member = new_member(fake)
    values = {k: secret_value(k) for k in ("member-header", "credential", "team", "operator")}
    me, boss = me_sign_in(gw, fake, member), me_sign_in(gw, fake, fake.ids["user_owner"])
    try:
        me.create({"name": "mine", "url": url, "headers": {"X-Api-Key": values["member-header"]}})
        shared = boss.create({"name": "shared", "url": url, "headers": {"X-Team-Key": values["team"]},
                              "scope": {"kind": "guild", "guild_id": fake.ids["guild"]},
                              "member_headers": ["X-Member-Key"]})
        r = me.api("PUT", f"/{shared['id']}/credentials/X-Member-Key", body={"value": values["credential"]})
        assert r.status_code == 204, r.text
    finally:
        me.close()
        boss.close()
    r = op_api(gw, operator_token(gw, "backends"), "POST", body={
        "name": "opglobal", "url": url, "scope": {"kind": "global"}, "headers": {"X-Op-Key": values["operator"]}})
    assert r.status_code == 201, r.text
    return Sealed(member, operator_token(gw, "mcp"), values)


def assert_secrets_open(gw: Gateway, fake: DiscordFake, sealed: Sealed) -> None:
    token = member_mcp_token(gw, fake, sealed.member)
    assert headers_seen(gw, token, "mine").get("x-api-key") == sealed.values["member-header"]
    shared = headers_seen(gw, token, "shared")
    assert shared.get("x-member-key") == sealed.values["credential"], shared
    assert shared.get("x-team-key") == sealed.values["team"], shared
    assert headers_seen(gw, sealed.op_mcp, "opglobal").get("x-op-key") == sealed.values["operator"]


def assert_not_in_database(gw: Gateway, sealed: Sealed) -> None:
    for f in sorted(gw.workdir.glob("gateway.sqlite*")):
        data = f.read_bytes()
        for label, value in sealed.values.items():
            assert value.encode() not in data, f"the {label} secret is in the clear in {f.name}"


def refuses_with_key(gw: Gateway, work: Path, key: str) -> str:
    """Starts another process on gw's data with GATEWAY_MASTER_KEY=key; asserts it refuses; returns its output."""
    same_data = {"GATEWAY_DATA_DIR": str(gw.workdir), "DATABASE_PATH": str(gw.workdir / "gateway.sqlite")}
    probe = Gateway(work, {**gw_settings(gw), **same_data, "GATEWAY_MASTER_KEY": key}, name="key probe")
    code = serve_until_exit(probe)
    out = probe.stdout() + probe.stderr()
    assert code is not None and code != 0, f"started (or hung) with a key that is not the database's: {code}\n{out}"
    assert "GATEWAY_MASTER_KEY" in out, f"the refusal does not name GATEWAY_MASTER_KEY:\n{out}"
    return out


def test_keys_rotate_with_the_key_file_reseals_every_secret_under_a_new_key(discord_fake, dedicated,
                                                                             fixture_backends, tmp_path):
    needs_keys_rotate()
    fake = discord_fake
    beta = fixture_backends("beta")
    gw = dedicated("rotating gateway (key file)")
    sealed = seal_everything(gw, fake, beta.url)
    assert_secrets_open(gw, fake, sealed)
    assert gw.stop() == 0
    key_file = gw.workdir / "master-key"
    old = key_file.read_text().strip()
    done = cli(gw, "keys", "rotate", settings=True)
    new = key_file.read_text().strip()
    assert new != old and len(base64.b64decode(new)) == 32, "keys rotate left the key file as it was"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, oct(key_file.stat().st_mode)
    assert new not in done.stdout + done.stderr and old not in done.stdout + done.stderr, done.stdout
    assert_not_in_database(gw, sealed)
    gw.start()
    assert_secrets_open(gw, fake, sealed)
    gw.stop()
    # The old key no longer opens this database.
    out = refuses_with_key(gw, tmp_path / "old-key", old)
    assert old not in out


def test_keys_rotate_with_gateway_master_key_prints_the_new_key_and_the_old_one_is_refused(
        discord_fake, dedicated, fixture_backends, tmp_path):
    needs_keys_rotate()
    fake = discord_fake
    beta = fixture_backends("beta")
    old = base64.b64encode(os.urandom(32)).decode()
    gw = dedicated("rotating gateway (env key)", GATEWAY_MASTER_KEY=old)
    assert not (gw.workdir / "master-key").exists(), "a key file was written although GATEWAY_MASTER_KEY is set"
    sealed = seal_everything(gw, fake, beta.url)
    assert gw.stop() == 0
    done = cli(gw, "keys", "rotate", settings=True)
    printed = [line.split("=", 1)[1].strip() for line in done.stdout.splitlines()
               if line.startswith("GATEWAY_MASTER_KEY=")]
    assert len(printed) == 1, f"keys rotate did not print the new GATEWAY_MASTER_KEY:\n{done.stdout}\n{done.stderr}"
    new = printed[0]
    assert new != old and len(base64.b64decode(new)) == 32, new
    assert not (gw.workdir / "master-key").exists()
    assert_not_in_database(gw, sealed)
    refuses_with_key(gw, tmp_path / "old-key", old)
    gw.env["GATEWAY_MASTER_KEY"] = new
    gw.start()
    assert_secrets_open(gw, fake, sealed)


def cli_help(command: str) -> str | None:
    import subprocess

    from cli_helpers import cli_env
    from gateway import binary_path

    done = subprocess.run([str(binary_path()), command, "--help"], capture_output=True, text=True, timeout=30,
                          env=cli_env())
    if done.returncode != 0:
        return None
    text = done.stdout + done.stderr
    # An unknown word falls through to the default `serve` command, whose help this is.
    return None if "Run the gateway." in text else text


# =====================================================================================================
# Settings
# =====================================================================================================
@pytest.mark.parametrize("change,name", [
    ({"GATEWAY_MEMBER_BACKEND_IDLE": "5"}, "GATEWAY_MEMBER_BACKEND_IDLE"),
    ({"GATEWAY_MEMBER_BACKEND_IDLE": "soon"}, "GATEWAY_MEMBER_BACKEND_IDLE"),
    ({"GATEWAY_MEMBER_BACKEND_LIMIT": "-1"}, "GATEWAY_MEMBER_BACKEND_LIMIT"),
    ({"GATEWAY_MEMBER_BACKEND_LIMIT": "many"}, "GATEWAY_MEMBER_BACKEND_LIMIT"),
    ({"GATEWAY_MASTER_KEY": "too-short"}, "GATEWAY_MASTER_KEY"),
    ({"GATEWAY_MASTER_KEY": base64.b64encode(b"k" * 16).decode()}, "GATEWAY_MASTER_KEY"),
], ids=["idle-5", "idle-not-a-number", "limit-negative", "limit-not-a-number", "key-garbage", "key-16-bytes"])
def test_bad_member_backend_settings_refuse_to_start(tmp_path, change, name):
    from gateway import run_until_exit

    code, out, err = run_until_exit(tmp_path, change)
    assert code is not None and code != 0, f"started (or hung) with {change}: {code}\n{out}\n{err}"
    assert name in err + out, f"the refusal does not name {name}:\n{err}\n{out}"


@pytest.mark.parametrize("change", [
    {"GATEWAY_MEMBER_BACKEND_IDLE": "10"},
    {"GATEWAY_MEMBER_BACKEND_LIMIT": "0"},
    {"GATEWAY_MASTER_KEY": base64.b64encode(b"k" * 32).decode()},
    {"GATEWAY_MEMBER_PRIVATE_HOSTS": "127.0.0.1,localhost"},
], ids=["idle-10", "limit-0", "key-32-bytes", "private-hosts"])
def test_good_member_backend_settings_start(start_gateway, change):
    gw = start_gateway(change)
    assert gw.running
    if "GATEWAY_MASTER_KEY" not in change:
        key_file = gw.workdir / "master-key"
        assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    else:
        assert not (gw.workdir / "master-key").exists(), "a key file was written although GATEWAY_MASTER_KEY is set"


# =====================================================================================================
# The consent page's choices, leaving the community, tampered rows, idle backends
# =====================================================================================================
def test_the_consent_page_offers_the_members_own_backends_and_unchecking_one_narrows_the_grant(setup, sessions):
    from test_member_sign_in import member_post, new_browser, sign_in
    from oauth_helpers import check_tokens, exchange, location_params

    gw, fake = setup.gw, setup.fake
    member = new_member(fake)
    me = sessions(gw, fake, member)
    kept = me.create({"name": unique("kept"), "url": setup.beta.url})
    dropped = me.create({"name": unique("dropped"), "url": setup.gamma.url, "transport": "sse"})
    with new_browser() as http:
        done = sign_in(http, gw, fake, member)
        offered = {c["value"] for c in done.form.choices}
        assert {kept["id"], dropped["id"], "alpha"} <= offered, offered
        assert kept["name"] in done.page.text and dropped["name"] in done.page.text
        r = member_post(http, done.form, choices=sorted(offered - {dropped["id"]}))
        assert r.status_code == 303, r.text[:500]
        token = check_tokens(exchange(http, gw, location_params(r)["code"], done.consent.auth))["access_token"]
    names = tools_of(gw, token)
    assert has_backend(names, kept["name"]) and has_backend(names, "alpha"), names
    assert not has_backend(names, dropped["name"]), names
    refused = call_tool(gw, token, f"{dropped['name']}__echo", {"text": "x"})
    assert not succeeded(refused) and "Unknown tool" in error_text(refused), refused


def test_a_member_who_leaves_every_allowed_guild_reaches_nothing_not_even_global_backends(setup, sessions):
    gw, fake = setup.gw, setup.fake
    member = new_member(fake)
    sessions(gw, fake, member).create({"name": unique("gone"), "url": setup.beta.url})
    token = member_mcp_token(gw, fake, member)
    assert has_backend(tools_of(gw, token), "alpha")
    fake.remove_member(fake.ids["guild"], member)
    wait_for(lambda: not tools_of(gw, token), what="the member's tool list to empty after leaving the guild")
    # Others' listings (here the operator's) leave routes behind; none of them may serve the cut-off member.
    assert has_backend(tools_of(gw, operator_token(gw, "mcp")), "alpha")
    refused = call_tool(gw, token, "alpha__echo", {"text": "still here?"})
    assert not succeeded(refused) and "Unknown tool" in error_text(refused), refused


def test_a_tampered_sealed_secret_makes_that_backend_unusable_and_leaves_the_others_alone(
    discord_fake, dedicated, fixture_backends
):
    import sqlite3

    backend = fixture_backends("tampered")
    gw = dedicated("tamper gateway", GATEWAY_MEMBER_PRIVATE_HOSTS="127.0.0.1")
    token = operator_token(gw, "backends")
    mcp = operator_token(gw, "mcp", name="tamper-mcp")
    good = op_api(gw, token, "POST", "", {"name": "good", "url": backend.url, "headers": {"X-Key": "good-secret"}})
    bad = op_api(gw, token, "POST", "", {"name": "bad", "url": backend.url, "headers": {"X-Key": "bad-secret"}})
    assert good.status_code == 201 and bad.status_code == 201, (good.text, bad.text)
    bad_id = bad.json()["id"]
    with sqlite3.connect(gw.workdir / "gateway.sqlite", timeout=10) as db:
        (sealed,) = db.execute("SELECT sealed_headers FROM member_backends WHERE id = ?", (bad_id,)).fetchone()
        headers = json.loads(sealed)
        value = headers["X-Key"]
        flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
        headers["X-Key"] = flipped
        db.execute("UPDATE member_backends SET sealed_headers = ?, updated_at = updated_at + 1 WHERE id = ?",
                   (json.dumps(headers), bad_id))
    # The gateway re-reads the definitions within seconds; the tampered one is skipped, the good one keeps working.
    def listed():
        names = tools_of(gw, mcp)
        return names if has_backend(names, "good") and not has_backend(names, "bad") else None
    names = wait_for(listed, what="the good backend listed and the tampered one not")
    assert "good-secret" in text_of(call_tool(gw, mcp, tool(names, "good", "headers") or "good__headers"))
    with httpx2.Client(timeout=10, trust_env=False) as http:
        status = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {mcp}"}).json()
    members = status["member_backends"]
    assert members["unusable"] == 1, members
    assert [b["id"] for b in members["unusable_backends"]] == [bad_id], members
    assert gw.running


def test_an_idle_member_backend_is_disconnected_and_comes_back_on_use(discord_fake, dedicated, fixture_backends):
    backend = fixture_backends("idle")
    gw = dedicated("idle gateway", GATEWAY_MEMBER_PRIVATE_HOSTS="127.0.0.1", GATEWAY_MEMBER_BACKEND_IDLE="10")
    token, mcp = operator_token(gw, "backends"), operator_token(gw, "mcp", name="idle-mcp")
    assert op_api(gw, token, "POST", "", {"name": "sleepy", "url": backend.url}).status_code == 201

    def connected() -> int:
        with httpx2.Client(timeout=10, trust_env=False) as http:
            return http.get(gw.url("/status"), headers={"Authorization": f"Bearer {mcp}"}).json()[
                "member_backends"]["connected"]

    assert connected() == 0, "defining a backend connects nothing"
    assert has_backend(tools_of(gw, mcp), "sleepy")
    assert connected() == 1
    wait_for(lambda: connected() == 0, timeout=25, what="the idle backend to be disconnected")
    assert text_of(call_tool(gw, mcp, "sleepy__echo", {"text": "again"})) == "idle: again"


def test_a_global_backend_marked_operator_only_is_kept_from_members(discord_fake, dedicated, fixture_backends, tmp_path):
    from test_member_sign_in import new_browser, sign_in

    shared, kept = fixture_backends("shared"), fixture_backends("kept")
    backends = write_backends_file(tmp_path / "backends.json", {
        "shared": {"url": shared.url}, "kept": {"url": kept.url, "operator_only": True}})
    gw = dedicated("operator-only gateway", BACKENDS_FILE=str(backends))
    member = new_member(discord_fake)
    with new_browser() as http:
        offered = {c["value"] for c in sign_in(http, gw, discord_fake, member).form.choices}
    assert "shared" in offered and "kept" not in offered, offered
    member_token = member_mcp_token(gw, discord_fake, member)
    names = tools_of(gw, member_token)
    assert has_backend(names, "shared") and not has_backend(names, "kept"), names
    operator = operator_token(gw, "mcp")
    assert has_backend(tools_of(gw, operator), "kept")
    refused = call_tool(gw, member_token, "kept__echo", {"text": "mine?"})
    assert not succeeded(refused) and "Unknown tool" in error_text(refused), refused
    assert text_of(call_tool(gw, operator, "kept__echo", {"text": "yes"})) == "kept: yes"


def test_the_operators_first_and_last_member_backend_show_and_go_at_once(discord_fake, dedicated, fixture_backends):
    # A gateway without member definitions answers the operator without asking the member pool; the first
    # definition must end that at once, and removing the last must bring it back.
    gw = dedicated("operator-only gateway")
    backend = fixture_backends("firstone")
    op_backends, op_mcp = operator_token(gw, "backends"), operator_token(gw, "mcp")
    before = tools_of(gw, op_mcp)
    assert not has_backend(before, "firstone"), before
    r = op_api(gw, op_backends, "POST", body={"name": "firstone", "url": backend.url})
    assert r.status_code == 201, f"{r.status_code} {r.text[:1000]}"
    created = r.json()
    assert has_backend(tools_of(gw, op_mcp), "firstone")
    assert op_api(gw, op_backends, "DELETE", "/" + created["id"]).status_code == 204
    after = tools_of(gw, op_mcp)
    assert not has_backend(after, "firstone") and sorted(after) == sorted(before), after
