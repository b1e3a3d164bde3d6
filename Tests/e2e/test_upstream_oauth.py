"""Backends that need each member's own sign-in: an OAuth-protected MCP server (the MCP Python SDK's server with its
own authorization server, backends/oauth_upstream.py) behind `"auth": "oauth"`. Each member connects it from /me
(authorization code with PKCE, `resource` set to the backend) and reaches it as themselves; before that its tools
are not listed and a call gets a sign-in link (a tool error, or a URL elicitation for clients that take one); tokens
are refreshed when they expire, dropped when the upstream stops taking them, revoked on disconnect, sealed at rest;
the upstream's dynamic registration, client metadata document and a hand-made client each work; hostile metadata and
replayed or swapped `state` are refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from backend_fixtures import write_backends_file
from discord_fixtures import discord_fake  # noqa: F401
from gateway import Gateway
from mcp_helpers import run_sdk_client
from member_backend_helpers import (
    call_tool,
    error_text,
    me_sign_in,
    member_gateway,
    member_mcp_token,
    new_member,
    text_of,
    tools_of,
    wait_for,
)
from upstream_fixtures import Upstream, connect, follow_upstream, oauth_status

from mcp import types


def oauth_gateway(work: Path, fake, upstream: Upstream, name: str, **backend: object) -> Gateway:
    write_backends_file(work / f"{name}-backends.json", {"up": {"url": upstream.url, "auth": "oauth", **backend}})
    gw = member_gateway(work, fake, name, BACKENDS_FILE=str(work / f"{name}-backends.json"))
    gw.start()
    return gw


@pytest.fixture
def dcr_setup(tmp_path, discord_fake):  # noqa: F811
    upstream = Upstream(tmp_path).start()
    gw = oauth_gateway(tmp_path, discord_fake, upstream, "gw")
    try:
        yield gw, discord_fake, upstream
    finally:
        gw.stop()
        upstream.stop()


def test_two_members_each_sign_in_and_the_upstream_sees_each_of_them(dcr_setup):
    gw, fake, upstream = dcr_setup
    ana, ben = new_member(fake), new_member(fake)
    ana_token, ben_token = member_mcp_token(gw, fake, ana), member_mcp_token(gw, fake, ben)

    # Before signing in: no tools of it, /status says so, a call gets the link (never another member's access).
    assert not [t for t in tools_of(gw, ana_token) if t.startswith("up__")]
    row = next(r for r in oauth_status(gw, ana_token) if r["name"] == "up")
    assert row["you"] == "needs sign-in" and row["sign_in_url"].endswith("/me/connect?backend=up"), row
    refused = call_tool(gw, ana_token, "up__whoami")
    assert "/me/connect?backend=up" in error_text(refused), refused

    ana_me, ben_me = me_sign_in(gw, fake, ana), me_sign_in(gw, fake, ben)
    try:
        assert "Connect up" in ana_me.page().text
        done = connect(ana_me, "up", "ana-at-upstream")
        assert done.status_code == 200 and "Connected up" in done.text, done.text[:2000]
        wait_for(lambda: "up__whoami" in tools_of(gw, ana_token), what="ana's list to show the upstream's tools")
        assert text_of(call_tool(gw, ana_token, "up__whoami")) == "user=ana-at-upstream"
        # Ben has not signed in: still nothing of it for him.
        assert "/me/connect?backend=up" in error_text(call_tool(gw, ben_token, "up__whoami"))

        connect(ben_me, "up", "ben-at-upstream")
        assert text_of(call_tool(gw, ben_token, "up__whoami")) == "user=ben-at-upstream"
        assert text_of(call_tool(gw, ana_token, "up__whoami")) == "user=ana-at-upstream"
        assert "Disconnect up" in ana_me.page().text
    finally:
        ana_me.close()
        ben_me.close()

    # The upstream saw one registration, two authorizations with the backend as resource and PKCE, two identities.
    assert len(upstream.events("registration")) == 1, upstream.events("registration")
    authorizations = upstream.events("authorization")
    assert {a["user"] for a in authorizations} == {"ana-at-upstream", "ben-at-upstream"}
    assert all(a["resource"] == upstream.url for a in authorizations), authorizations
    assert {c["user"] for c in upstream.events("tool_call")} == {"ana-at-upstream", "ben-at-upstream"}

    # No token the upstream issued is anywhere in the gateway's database files in clear.
    issued = upstream.issued_tokens()
    assert issued
    for path in Path(gw.env["DATABASE_PATH"]).parent.glob("*"):
        if path.is_file():
            content = path.read_bytes()
            for token in issued:
                assert token.encode() not in content, f"an upstream token in clear in {path.name}"
    db = sqlite3.connect(gw.env["DATABASE_PATH"])
    try:
        rows = db.execute("SELECT sealed_access_token, sealed_refresh_token FROM upstream_grants").fetchall()
    finally:
        db.close()
    assert len(rows) == 2 and all(a.startswith("v1:") and r.startswith("v1:") for a, r in rows), rows
    # Nor in the gateway's log.
    assert not any(token in gw.logs() for token in issued)


def test_an_expired_token_is_refreshed_and_a_revoked_grant_asks_again_for_that_member_only(dcr_setup):
    gw, fake, upstream = dcr_setup
    ana, ben = new_member(fake), new_member(fake)
    ana_token, ben_token = member_mcp_token(gw, fake, ana), member_mcp_token(gw, fake, ben)
    for user, login in ((ana, "ana"), (ben, "ben")):
        me = me_sign_in(gw, fake, user)
        try:
            connect(me, "up", login)
        finally:
            me.close()
    assert text_of(call_tool(gw, ana_token, "up__whoami")) == "user=ana"

    upstream.admin("POST", "/admin/expire?user=ana")
    assert text_of(call_tool(gw, ana_token, "up__whoami")) == "user=ana", "refreshed transparently"
    assert [e["user"] for e in upstream.events("refresh")] == ["ana"]

    upstream.admin("POST", "/admin/revoke?user=ana")
    asked = call_tool(gw, ana_token, "up__whoami")
    assert "/me/connect?backend=up" in error_text(asked), asked
    assert text_of(call_tool(gw, ben_token, "up__whoami")) == "user=ben", "others are unaffected"
    wait_for(lambda: "up__whoami" not in tools_of(gw, ana_token), what="ana's list to drop the upstream's tools")
    assert "up__whoami" in tools_of(gw, ben_token)


def test_a_client_that_takes_url_elicitations_is_sent_to_sign_in_and_its_call_then_works(dcr_setup):
    gw, fake, upstream = dcr_setup
    ana = new_member(fake)
    token = member_mcp_token(gw, fake, ana)
    me = me_sign_in(gw, fake, ana)
    shown: list[types.ElicitRequestURLParams] = []

    async def on_elicit(context, params):
        shown.append(params)
        # The person opens the link in their browser (signed in to /me) and signs in at the upstream.
        start = me.http.get(params.url)
        assert start.status_code == 303, start.text[:500]
        follow_upstream(me, start.headers["location"], "ana-elicited")
        return types.ElicitResult(action="accept")

    async def body(client):
        return await client.call_tool("up__whoami", {})

    try:
        result = run_sdk_client(gw, token, body, elicitation_callback=on_elicit)
    finally:
        me.close()
    assert len(shown) == 1 and shown[0].mode == "url", shown
    assert shown[0].url == gw.issuer + "/me/connect?backend=up"
    assert not result.is_error, result
    assert result.content[0].text == "user=ana-elicited"


def test_a_declined_elicitation_gets_the_link_as_a_tool_error(dcr_setup):
    gw, fake, _ = dcr_setup
    token = member_mcp_token(gw, fake, new_member(fake))

    async def on_elicit(context, params):
        return types.ElicitResult(action="decline")

    async def body(client):
        return await client.call_tool("up__whoami", {})

    result = run_sdk_client(gw, token, body, mode="legacy", elicitation_callback=on_elicit)
    assert result.is_error and "/me/connect?backend=up" in result.content[0].text, result


def test_disconnecting_forgets_and_revokes_at_the_upstream(dcr_setup):
    gw, fake, upstream = dcr_setup
    ana = new_member(fake)
    token = member_mcp_token(gw, fake, ana)
    me = me_sign_in(gw, fake, ana)
    try:
        connect(me, "up", "ana")
        assert text_of(call_tool(gw, token, "up__whoami")) == "user=ana"
        r = me.post_form("/me/disconnect", {"backend": "up"})
        assert r.status_code == 200 and "Disconnected up" in r.text, r.text[:2000]
        assert "Connect up" in me.page().text
        # Without its CSRF token, nothing happens.
        assert me.post_form("/me/disconnect", {"backend": "up"}, csrf=None).status_code == 400
    finally:
        me.close()
    assert upstream.events("revocation"), ("the tokens were revoked at the upstream", upstream.events(), gw.logs()[-3000:])
    assert "/me/connect?backend=up" in error_text(call_tool(gw, token, "up__whoami"))


def test_a_state_is_single_use_and_bound_to_the_member_who_started_it(dcr_setup):
    gw, fake, _ = dcr_setup
    ana, ben = new_member(fake), new_member(fake)
    ben_token = member_mcp_token(gw, fake, ben)
    ana_me, ben_me = me_sign_in(gw, fake, ana), me_sign_in(gw, fake, ben)
    try:
        start = ana_me.http.get(gw.url("/me/connect?backend=up"))
        at_upstream = ana_me.http.get(start.headers["location"] + "&login_hint=ana")
        callback = at_upstream.headers["location"]
        # Ben's browser brings back the sign-in Ana started: refused, and it is used up for Ana too.
        swapped = ben_me.http.get(callback)
        assert swapped.status_code == 400 and "started by someone else" in swapped.text, swapped.text[:1000]
        assert ana_me.http.get(callback).status_code == 400
        assert "/me/connect" in error_text(call_tool(gw, ben_token, "up__whoami"))
        # A sign-in finished once cannot be replayed.
        start = ana_me.http.get(gw.url("/me/connect?backend=up"))
        callback = ana_me.http.get(start.headers["location"] + "&login_hint=ana").headers["location"]
        assert ana_me.http.get(callback).status_code == 200
        assert ana_me.http.get(callback).status_code == 400
        # A made-up state changes nothing.
        assert ana_me.http.get(gw.url("/oauth/upstream/callback?state=nope&code=x")).status_code == 400
    finally:
        ana_me.close()
        ben_me.close()


@pytest.mark.parametrize("variant", ["static", "cimd"])
def test_a_hand_made_client_and_a_client_metadata_document_each_identify_the_gateway(tmp_path, discord_fake, variant):  # noqa: F811
    if variant == "static":
        upstream = Upstream(tmp_path, "--no-dcr", "--static-client", "gw-client:s3cret-value").start()
        backend = {"oauth_client_id": "gw-client", "oauth_client_secret": "s3cret-value"}
    else:
        upstream = Upstream(tmp_path, "--no-dcr", "--cimd").start()
        backend = {}
    gw = oauth_gateway(tmp_path, discord_fake, upstream, "gw", **backend)
    try:
        ana = new_member(discord_fake)
        token = member_mcp_token(gw, discord_fake, ana)
        me = me_sign_in(gw, discord_fake, ana)
        try:
            done = connect(me, "up", "ana")
            assert "Connected up" in done.text, done.text[:2000]
        finally:
            me.close()
        assert text_of(call_tool(gw, token, "up__whoami")) == "user=ana"
        grants = upstream.events("token")
        if variant == "static":
            assert grants[0]["client_id"] == "gw-client" and grants[0]["auth_method"] in ("client_secret_basic", "client_secret_post"), grants
        else:
            assert grants[0]["client_id"] == gw.issuer + "/oauth/upstream/client-metadata.json", grants
            fetched = [e for e in upstream.events("cimd_fetch") if e.get("ok")]
            assert fetched and fetched[0]["document"]["redirect_uris"] == [gw.issuer + "/oauth/upstream/callback"]
        assert not upstream.events("registration")
    finally:
        gw.stop()
        upstream.stop()


def first_connect(tmp_path: Path, fake, *flags: str):
    """A member opens the connect link of an upstream started with `flags`: the gateway's answer."""
    upstream = Upstream(tmp_path, *flags).start()
    gw = oauth_gateway(tmp_path, fake, upstream, "gw")
    try:
        me = me_sign_in(gw, fake, new_member(fake))
        try:
            return me.http.get(gw.url("/me/connect?backend=up"))
        finally:
            me.close()
    finally:
        gw.stop()
        upstream.stop()


def test_the_upstream_without_any_way_to_identify_the_gateway_gets_a_clear_message(tmp_path, discord_fake):  # noqa: F811
    r = first_connect(tmp_path, discord_fake, "--no-dcr")
    assert r.status_code == 502 and "oauth_client_id" in r.text and "/oauth/upstream/callback" in r.text, r.text[:2000]


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--issuer-mismatch"], "issuer"),
        (["--private-authorize", "http://10.0.0.1/authorize"], "10.0.0.1"),
        (["--redirect-loop", "both"], "redirect"),
        (["--huge-metadata", "both"], "larger than"),
    ],
    ids=["issuer-mismatch", "private-authorization-endpoint", "redirect-loop", "oversized"],
)
def test_hostile_upstream_metadata_is_refused_with_a_clear_error(tmp_path, discord_fake, flags, words):  # noqa: F811
    r = first_connect(tmp_path, discord_fake, *flags)
    assert r.status_code == 502, f"{r.status_code} {r.text[:2000]}"
    assert "Could not connect up" in r.text and words in r.text, r.text[:3000]
    assert "location" not in r.headers, "the browser is never sent on"


def test_an_oauth_backend_definition_that_cannot_work_refuses_to_load(tmp_path, discord_fake):  # noqa: F811
    from gateway import run_until_exit

    for backend, words in [
        ({"command": "true", "auth": "oauth"}, "only Streamable HTTP backends"),
        ({"url": "http://127.0.0.1:9/mcp", "auth": "magic"}, 'must be "oauth" or "none"'),
        ({"url": "http://127.0.0.1:9/mcp", "oauth_client_id": "x"}, 'add "auth": "oauth"'),
        ({"url": "http://127.0.0.1:9/mcp", "auth": "oauth", "headers": {"Authorization": "Bearer x"}}, "Authorization"),
    ]:
        path = tmp_path / "bad-backends.json"
        path.write_text(json.dumps({"backends": {"up": backend}}))
        code, out, err = run_until_exit(tmp_path / "bad", {"BACKENDS_FILE": str(path)})
        assert code not in (0, None) and words in out + err, (backend, code, (out + err)[-2000:])


def test_the_operator_signs_in_through_their_admin_session(tmp_path):
    """A gateway without Sign in with Discord: the operator's own MCP token reaches the backend as the operator, after
    the operator connected it in the browser that holds their /admin session."""
    import httpx2

    from gateway import PASSWORD
    from oauth_helpers import obtain_tokens
    from test_admin import sign_in as admin_sign_in

    upstream = Upstream(tmp_path).start()
    write_backends_file(tmp_path / "backends.json", {"up": {"url": upstream.url, "auth": "oauth"}})
    gw = Gateway(tmp_path / "gw", {"BACKENDS_FILE": str(tmp_path / "backends.json"), "GATEWAY_MEMBER_PRIVATE_HOSTS": "127.0.0.1"})
    gw.start()
    try:
        with httpx2.Client(timeout=15, trust_env=False) as http:
            token = obtain_tokens(http, gw)[1]["access_token"]
        asked = call_tool(gw, token, "up__whoami")
        link = gw.issuer + "/me/connect?backend=up"
        assert link in error_text(asked), asked
        with httpx2.Client(timeout=15, trust_env=False, follow_redirects=False) as browser:
            assert browser.get(link).status_code == 200, "without a session: the sign-in page, nothing started"
            assert admin_sign_in(browser, gw, PASSWORD).status_code == 303
            assert f'href="{link}"' in browser.get(gw.url("/admin")).text, "the dashboard offers the connect link"
            start = browser.get(link)
            assert start.status_code == 303, start.text[:1000]
            back = browser.get(start.headers["location"] + "&login_hint=the-operator").headers["location"]
            done = browser.get(back)
            assert done.status_code == 200 and "Connected up" in done.text, done.text[:1000]
            dashboard = browser.get(gw.url("/admin")).text
            assert "<strong>up</strong>: connected" in dashboard and f'href="{link}"' not in dashboard
        assert text_of(call_tool(gw, token, "up__whoami")) == "user=the-operator"
        row = next(r for r in oauth_status(gw, token) if r["name"] == "up")
        assert row["you"] == "signed in" and row["connected_members"] == 1, row
    finally:
        gw.stop()
        upstream.stop()


def test_a_member_connects_in_a_real_browser(page, dcr_setup):
    from playwright.sync_api import expect

    from browser import save_screenshot

    gw, fake, upstream = dcr_setup
    ana = new_member(fake)
    token = member_mcp_token(gw, fake, ana)
    fake.sign_in_as(ana)
    page.goto(gw.url("/me"))
    page.get_by_role("button", name="Sign in with Discord").click()
    page.wait_for_url(lambda url: url.endswith("/me"))
    page.get_by_role("link", name="Connect up").click()
    # The upstream's own sign-in form, on its own origin.
    page.wait_for_url(lambda url: url.startswith(upstream.base + "/login"))
    page.fill("#username", "ana-in-chromium")
    page.click("#approve")
    page.wait_for_url(lambda url: "/oauth/upstream/callback" in url)
    expect(page.locator(".notice")).to_contain_text("Connected up")
    expect(page.get_by_role("button", name="Disconnect up")).to_be_visible()
    save_screenshot(page, "upstream-connected")
    assert text_of(call_tool(gw, token, "up__whoami")) == "user=ana-in-chromium"


def test_a_backend_that_answers_with_an_oauth_challenge_becomes_an_oauth_backend(tmp_path, discord_fake):  # noqa: F811
    """No "auth" in its definition: its 401 naming RFC 9728 metadata is enough."""
    upstream = Upstream(tmp_path).start()
    write_backends_file(tmp_path / "plain.json", {"up": {"url": upstream.url}})
    gw = member_gateway(tmp_path, discord_fake, "gw", BACKENDS_FILE=str(tmp_path / "plain.json"))
    gw.start()
    try:
        ana = new_member(discord_fake)
        token = member_mcp_token(gw, discord_fake, ana)
        wait_for(lambda: any(r["name"] == "up" for r in oauth_status(gw, token)),
                 what="the backend to be run as an OAuth backend")
        assert "/me/connect?backend=up" in error_text(call_tool(gw, token, "up__whoami"))
        me = me_sign_in(gw, discord_fake, ana)
        try:
            assert "Connected up" in connect(me, "up", "ana-found").text
        finally:
            me.close()
        assert text_of(call_tool(gw, token, "up__whoami")) == "user=ana-found"
        assert "OAuth challenge" in gw.logs()
    finally:
        gw.stop()
        upstream.stop()


def test_a_member_who_leaves_the_community_has_their_sign_ins_revoked(dcr_setup):
    gw, fake, upstream = dcr_setup
    ana, ben = new_member(fake), new_member(fake)
    ben_token = member_mcp_token(gw, fake, ben)
    for user, login in ((ana, "ana-leaving"), (ben, "ben-staying")):
        me = me_sign_in(gw, fake, user)
        try:
            connect(me, "up", login)
        finally:
            me.close()
    fake.remove_member(fake.ids["guild"], ana)
    wait_for(lambda: [e for e in upstream.events("revocation") if e["user"] == "ana-leaving"], timeout=30,
             what="ana's tokens to be revoked at the upstream")
    assert not [e for e in upstream.events("revocation") if e["user"] == "ben-staying"]
    assert text_of(call_tool(gw, ben_token, "up__whoami")) == "user=ben-staying"


def test_a_token_about_to_expire_is_refreshed_before_it_is_sent(tmp_path, discord_fake):  # noqa: F811
    upstream = Upstream(tmp_path, "--access-ttl", "20").start()
    gw = oauth_gateway(tmp_path, discord_fake, upstream, "gw")
    try:
        ana = new_member(discord_fake)
        token = member_mcp_token(gw, discord_fake, ana)
        me = me_sign_in(gw, discord_fake, ana)
        try:
            connect(me, "up", "ana")
        finally:
            me.close()
        assert text_of(call_tool(gw, token, "up__whoami")) == "user=ana"
        kinds = [e["type"] for e in upstream.events() if e["type"] in ("refresh", "tool_call", "token_rejected")]
        assert "token_rejected" not in kinds, kinds
        assert kinds.index("refresh") < kinds.index("tool_call"), kinds
    finally:
        gw.stop()
        upstream.stop()
