"""OAuth backends members define themselves (through /api/backends, /me and the command line) rather than the
operator's backends file: `"auth": "oauth"` on a Streamable HTTP backend, optionally with a hand-made client whose
secret is sealed in the database. Whoever may see the backend (its scope decides) connects it from /me and reaches
it as themselves; nobody else can start a sign-in there; removing the backend, or turning OAuth off, revokes
every member's sign-in at the upstream."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli_helpers import cli
from discord_fake.permissions import FLAGS
from discord_fixtures import discord_fake  # noqa: F401
from member_backend_helpers import (
    call_tool,
    error_text,
    me_sign_in,
    member_gateway,
    member_mcp_token,
    new_member,
    operator_token,
    text_of,
    tools_of,
    wait_for,
)
from upstream_fixtures import Upstream, connect, oauth_status

SWEEP_TIMEOUT = 15.0


@pytest.fixture
def gateway(tmp_path, discord_fake):  # noqa: F811
    gw = member_gateway(tmp_path, discord_fake, "gw")
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture
def upstream(tmp_path):
    up = Upstream(tmp_path).start()
    try:
        yield up
    finally:
        up.stop()


def grant_rows(gw, backend_id: str) -> list[tuple]:
    db = sqlite3.connect(gw.env["DATABASE_PATH"])
    try:
        return db.execute("SELECT user_id FROM upstream_grants WHERE backend = ?", (backend_id,)).fetchall()
    finally:
        db.close()


def test_a_members_own_oauth_backend_is_reached_as_themselves_and_by_nobody_else(gateway, discord_fake, upstream):
    gw, fake = gateway, discord_fake
    ana, ben = new_member(fake), new_member(fake)
    ana_token, ben_token = member_mcp_token(gw, fake, ana), member_mcp_token(gw, fake, ben)
    ana_me, ben_me = me_sign_in(gw, fake, ana), me_sign_in(gw, fake, ben)
    try:
        doc = ana_me.create({"name": "issues", "url": upstream.url, "auth": "oauth"})
        backend_id = doc["id"]
        assert doc["auth"] == "oauth" and doc["connect_url"] == gw.issuer + f"/me/connect?backend={backend_id}", doc

        # Before signing in: no tools of it, a call gets the link to connect it, /status and /me say so.
        assert not [t for t in tools_of(gw, ana_token) if t.startswith("issues__")]
        refused = call_tool(gw, ana_token, "issues__whoami")
        assert f"/me/connect?backend={backend_id}" in error_text(refused) and "issues" in error_text(refused), refused
        row = next(r for r in oauth_status(gw, ana_token) if r.get("id") == backend_id)
        assert row["name"] == "issues" and row["you"] == "needs sign-in", row
        page = ana_me.page().text
        assert "Connect issues" in page and "each person signs in there" in page

        done = connect(ana_me, backend_id, "ana-at-upstream")
        assert done.status_code == 200 and "Connected issues" in done.text, done.text[:2000]
        wait_for(lambda: "issues__whoami" in tools_of(gw, ana_token), what="ana's list to show the upstream's tools")
        assert text_of(call_tool(gw, ana_token, "issues__whoami")) == "user=ana-at-upstream"
        assert next(r for r in oauth_status(gw, ana_token) if r.get("id") == backend_id)["you"] == "signed in"

        # Ben does not see Ana's personal backend: not in his list or /status, and he cannot start a sign-in there.
        assert not [t for t in tools_of(gw, ben_token) if t.startswith("issues__")]
        assert not [r for r in oauth_status(gw, ben_token) if r.get("id") == backend_id]
        r = ben_me.http.get(gw.url(f"/me/connect?backend={backend_id}"))
        assert r.status_code == 404 and "location" not in r.headers, r.text[:1000]
        assert backend_id not in error_text(call_tool(gw, ben_token, "issues__whoami"))
        assert ben_me.post_form("/me/disconnect", {"backend": backend_id}).status_code == 404
    finally:
        ana_me.close()
        ben_me.close()
    assert {a["resource"] for a in upstream.events("authorization")} == {upstream.url}
    assert [c["user"] for c in upstream.events("tool_call")] == ["ana-at-upstream"]


def test_a_guild_oauth_backend_with_a_hand_made_client_serves_each_member_as_themselves(tmp_path, gateway, discord_fake):
    gw, fake = gateway, discord_fake
    client_secret = "hand-made-s3cret-" + tmp_path.name[-6:]
    up = Upstream(tmp_path, "--no-dcr", "--static-client", f"gw-client:{client_secret}").start()
    admin_role = fake.add_role(fake.ids["guild"], "Backend Admins", FLAGS["MANAGE_GUILD"])
    moderator, ana, ben = new_member(fake, admin_role), new_member(fake), new_member(fake)
    mod_me, ana_me, ben_me = me_sign_in(gw, fake, moderator), me_sign_in(gw, fake, ana), me_sign_in(gw, fake, ben)
    try:
        doc = mod_me.create({
            "name": "tracker", "url": up.url, "auth": "oauth", "oauth_client_id": "gw-client",
            "oauth_client_secret": client_secret, "scope": {"kind": "guild", "guild_id": fake.ids["guild"]},
        })
        backend_id = doc["id"]
        assert doc["oauth_client_id"] == "gw-client" and doc["oauth_client_secret"] == "set", doc
        assert client_secret not in str(mod_me.backends())

        for me, login in ((ana_me, "ana"), (ben_me, "ben")):
            done = connect(me, backend_id, login)
            assert "Connected tracker" in done.text, done.text[:2000]
        ana_token, ben_token = member_mcp_token(gw, fake, ana), member_mcp_token(gw, fake, ben)
        assert text_of(call_tool(gw, ana_token, "tracker__whoami")) == "user=ana"
        assert text_of(call_tool(gw, ben_token, "tracker__whoami")) == "user=ben"
        tokens = up.events("token")
        assert {t["client_id"] for t in tokens} == {"gw-client"}, tokens
        assert all(t["auth_method"] in ("client_secret_basic", "client_secret_post") for t in tokens), tokens
        assert len(grant_rows(gw, backend_id)) == 2

        # Neither the client secret nor any token the upstream issued is in the database files in clear.
        issued = up.issued_tokens()
        for path in Path(gw.env["DATABASE_PATH"]).parent.glob("*"):
            if path.is_file():
                content = path.read_bytes()
                assert client_secret.encode() not in content, f"the client secret in clear in {path.name}"
                assert not [t for t in issued if t.encode() in content], f"an upstream token in clear in {path.name}"
        assert client_secret not in gw.logs()

        # The backend admin removes it: every member's sign-in there is revoked at the upstream and forgotten.
        r = mod_me.api("DELETE", f"/{backend_id}")
        assert r.status_code == 204, r.text
        wait_for(lambda: {e["user"] for e in up.events("revocation")} >= {"ana", "ben"}, timeout=SWEEP_TIMEOUT,
                 what="both members' tokens to be revoked at the upstream")
        assert grant_rows(gw, backend_id) == []
        assert ana_me.http.get(gw.url(f"/me/connect?backend={backend_id}")).status_code == 404
        assert "tracker__whoami" not in tools_of(gw, ana_token)
    finally:
        for me in (mod_me, ana_me, ben_me):
            me.close()
        up.stop()


def test_turning_oauth_off_revokes_the_sign_ins_and_bad_oauth_definitions_change_nothing(gateway, discord_fake, upstream):
    gw, fake = gateway, discord_fake
    ana = new_member(fake)
    me = me_sign_in(gw, fake, ana)
    try:
        for body, words in [
            ({"name": "x", "url": upstream.url, "auth": "kerberos"}, "auth must be oauth"),
            ({"name": "x", "url": upstream.url, "oauth_client_id": "c"}, "set auth to oauth"),
            ({"name": "x", "url": upstream.url, "auth": "oauth", "oauth_client_secret": "s"}, "oauth_client_id"),
            ({"name": "x", "url": upstream.url.replace("/mcp", "/sse"), "transport": "sse", "auth": "oauth"},
             "streamable_http"),
            ({"name": "x", "url": upstream.url, "auth": "oauth", "member_headers": ["X-Key"]}, "member_headers"),
            ({"name": "x", "url": upstream.url, "auth": "oauth", "headers": {"Authorization": "Bearer t"}},
             "Authorization"),
            ({"name": "x", "url": upstream.url, "auth": "oauth", "oauth_scope": "a\tb"}, "oauth_scope"),
            ({"name": "x", "url": upstream.url, "auth": "oauth", "oauth_client_id": 7}, ""),
        ]:
            r = me.api("POST", body=body)
            assert r.status_code == 400 and words in r.text, (body, r.status_code, r.text[:500])
        assert me.backends() == []

        doc = me.create({"name": "notes", "url": upstream.url, "auth": "oauth"})
        connect(me, doc["id"], "ana")
        token = member_mcp_token(gw, fake, ana)
        assert text_of(call_tool(gw, token, "notes__whoami")) == "user=ana"

        r = me.api("PATCH", f"/{doc['id']}", body={"auth": "none"})
        assert r.status_code == 200 and r.json()["auth"] == "none", r.text
        wait_for(lambda: up_revoked(upstream, "ana"), timeout=SWEEP_TIMEOUT, what="ana's tokens to be revoked")
        assert grant_rows(gw, doc["id"]) == []
        # Now a plain backend: the upstream refuses it without a token, and says so.
        assert "notes__whoami" not in tools_of(gw, token)
    finally:
        me.close()


def up_revoked(upstream: Upstream, user: str) -> bool:
    return any(e["user"] == user for e in upstream.events("revocation"))


def test_the_operator_adds_a_global_oauth_backend_from_the_command_line_and_every_member_connects_it(
        gateway, discord_fake, upstream):
    gw, fake = gateway, discord_fake
    cli(gw, "backends", "add", "--name", "wiki", "--url", upstream.url, "--scope", "global", "--oauth",
        "--oauth-scope", "mcp", settings=True)
    wiki = next(b for b in json.loads(cli(gw, "backends", "list", "--json", settings=True).stdout) if b["name"] == "wiki")
    assert wiki["auth"] == "oauth" and wiki["oauth_scope"] == "mcp", wiki
    # A secret without its client id, and a client id without --oauth, are refused and add nothing.
    refused = cli(gw, "backends", "add", "--name", "bad", "--url", upstream.url, "--oauth-client-id", "c",
                  settings=True, expect=65)
    assert "set auth to oauth" in refused.stderr, refused.stderr
    assert [b["name"] for b in json.loads(cli(gw, "backends", "list", "--json", settings=True).stdout)] == ["wiki"]

    ana = new_member(fake)
    token = member_mcp_token(gw, fake, ana)
    wait_for(lambda: f"/me/connect?backend={wiki['id']}" in error_text(call_tool(gw, token, "wiki__whoami")),
             timeout=SWEEP_TIMEOUT, what="the running gateway to pick the new backend up")
    me = me_sign_in(gw, fake, ana)
    try:
        connect(me, wiki["id"], "ana")
    finally:
        me.close()
    assert text_of(call_tool(gw, token, "wiki__whoami")) == "user=ana"
    assert {" ".join(a["scopes"] or []) for a in upstream.events("authorization")} == {"mcp"}
    # The operator's own token sees it in /status with how many members are connected.
    row = next(r for r in oauth_status(gw, operator_token(gw, "status")) if r.get("id") == wiki["id"])
    assert row["name"] == "wiki" and row["connected_members"] == 1, row
