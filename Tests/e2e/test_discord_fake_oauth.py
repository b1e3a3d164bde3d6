"""Self-tests of the fake Discord's OAuth2 side ("Sign in with Discord"): the authorization-code grant with
PKCE, /users/@me with a member's Bearer token, and the bot's membership and role look-ups.

Tests that provoke violations on purpose assert them and clear them, so the fixture's teardown check passes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest

from discord_fake import DiscordFake
from discord_fake.fake import default_spec_path
from discord_fixtures import discord_fake  # noqa: F401

USER_AGENT = "DiscordBot (https://github.com/mcp-gateway/mcp-gateway, 0.1.0)"
REDIRECT = "http://127.0.0.1:8443/auth/discord/callback"
TIMEOUT = 5

needs_spec = pytest.mark.skipif(
    default_spec_path() is None,
    reason="Discord's OpenAPI spec is not available (set DISCORD_OPENAPI_SPEC or put it in shared/reference)",
)


# ---- helpers -------------------------------------------------------------------------------------


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def take_violations(fake: DiscordFake) -> list[str]:
    found = list(fake.violations)
    fake.clear_violations()
    return found


@pytest.fixture
def http():
    with httpx2.Client(trust_env=False, timeout=TIMEOUT, follow_redirects=False) as client:
        yield client


@pytest.fixture
def bot(discord_fake: DiscordFake):
    headers = {"Authorization": f"Bot {discord_fake.bot_token}", "User-Agent": USER_AGENT}
    with httpx2.Client(base_url=discord_fake.base_url, headers=headers, trust_env=False, timeout=TIMEOUT) as client:
        yield client


@pytest.fixture
def app(discord_fake: DiscordFake) -> tuple[str, str]:
    """The default application with the gateway's callback registered; ana is signed in in the browser."""
    client_id, secret = discord_fake.register_application(redirect_uris=[REDIRECT])
    discord_fake.sign_in_as(discord_fake.ids["user_ana"])
    return client_id, secret


def authorize(fake: DiscordFake, http: httpx2.Client, path: str = "/oauth2/authorize", **params) -> httpx2.Response:
    query = {"response_type": "code", "client_id": fake.client_id, "redirect_uri": REDIRECT, "scope": "identify"}
    query.update({k: v for k, v in params.items() if v is not None})
    for key in [k for k, v in params.items() if v is None]:
        query.pop(key, None)
    return http.get(f"{fake.origin}{path}?{urlencode(query)}")


def redirected(answer: httpx2.Response) -> dict[str, str]:
    """The query of a 302 to REDIRECT."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(fake: DiscordFake, http: httpx2.Client, **params) -> tuple[str, str]:
    """(code, verifier) from a successful authorization with PKCE."""
    verifier, challenge = pkce()
    answer = authorize(fake, http, code_challenge=challenge, code_challenge_method="S256", state="s1", **params)
    query = redirected(answer)
    assert query["state"] == "s1"
    return query["code"], verifier


def exchange(
    fake: DiscordFake,
    http: httpx2.Client,
    code: str,
    verifier: str | None,
    auth: str = "basic",
    secret: str | None = None,
    redirect_uri: str = REDIRECT,
    url: str | None = None,
    **extra: str,
) -> httpx2.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    form.update(extra)
    secret = secret if secret is not None else fake.client_secret
    basic = None
    if auth in ("basic", "both"):
        basic = (fake.client_id, secret)
    if auth in ("post", "both"):
        form.update(client_id=fake.client_id, client_secret=secret)
    return http.post(url or fake.token_url, data=form, auth=basic)


def me(fake: DiscordFake, http: httpx2.Client, token: str) -> httpx2.Response:
    return http.get(
        f"{fake.base_url}/users/@me", headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    )


def check_shape(fake: DiscordFake, method: str, template: str, answer: httpx2.Response) -> list[str]:
    """Mismatches of an answer with the spec's response schema (none without a spec)."""
    if fake.spec is None:
        return []
    operation = fake.spec.operation(method, template)
    assert operation is not None, template
    return fake.spec.check_response(operation, answer.status_code, answer.json() if answer.content else None)


# ---- the happy flow ------------------------------------------------------------------------------


def test_sign_in_with_pkce_then_membership_checks(discord_fake: DiscordFake, http, bot, app):
    fake, ids = discord_fake, discord_fake.ids
    client_id, secret = app
    assert client_id == ids["bot"] and len(secret) >= 32
    verifier, challenge = pkce()
    answer = authorize(
        fake, http, scope="identify", state="xyz 1/2", code_challenge=challenge, code_challenge_method="S256",
        prompt="none",
    )
    query = redirected(answer)
    assert set(query) == {"code", "state"} and query["state"] == "xyz 1/2"

    token = exchange(fake, http, query["code"], verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 604800, "identify")
    assert token.headers["cache-control"] == "no-store"
    assert "x-ratelimit-bucket" in token.headers

    user = me(fake, http, body["access_token"])
    assert user.status_code == 200
    profile = user.json()
    assert (profile["id"], profile["username"], profile["global_name"]) == (ids["user_ana"], "ana", "Ana")
    assert profile["locale"] == "en-US" and profile["mfa_enabled"] is False
    assert "email" not in profile and "bot" not in profile  # email needs the email scope
    assert not check_shape(fake, "GET", "/users/@me", user)
    assert user.headers["x-ratelimit-remaining"] == "49"
    assert bot.get("/users/@me").json()["id"] == ids["bot"]  # the bot token still means the bot
    assert bot.get("/users/@me").headers["x-ratelimit-remaining"] == "48"  # its own state, apart from ana's

    # The gateway's membership checks, with the bot token.
    g = ids["guild"]
    member = bot.get(f"/guilds/{g}/members/{profile['id']}")
    assert member.status_code == 200 and member.json()["roles"] == [ids["role_member"]]
    assert member.json()["user"]["id"] == ids["user_ana"]
    roles = bot.get(f"/guilds/{g}/roles").json()
    assert all(isinstance(r["permissions"], str) and r["permissions"].isdigit() for r in roles)
    assert bot.get(f"/guilds/{g}").json()["owner_id"] == ids["user_owner"]
    overwrites = bot.get(f"/channels/{ids['secret']}").json()["permission_overwrites"]
    assert {(o["id"], o["type"], o["allow"], o["deny"]) for o in overwrites} == {
        (g, 0, "0", "1024"),
        (ids["role_moderator"], 0, "1024", "0"),
        (ids["role_bot"], 0, "1024", "0"),
    }

    # What was recorded.
    records = fake.oauth_requests()
    assert [r["endpoint"] for r in records] == ["authorize", "token", "users/@me"]
    authorized, exchanged, used = records
    assert authorized["code_challenge_method"] == "S256" and authorized["user_id"] == ids["user_ana"]
    assert exchanged["client_auth"] == "client_secret_basic" and exchanged["client_secret"] == secret
    assert exchanged["code_verifier"] == verifier and exchanged["status"] == 200
    assert used["user_id"] == ids["user_ana"] and used["status"] == 200
    assert len(fake.requests_to("POST", "/oauth2/token")) == 1
    [issued] = fake.issued_user_tokens()
    assert issued["access_token"] == body["access_token"] and issued["active"] and issued["scopes"] == ["identify"]
    assert {r["template"] for r in fake.user_token_uses()} == {"/users/@me"}
    assert not fake.unhandled and not fake.violations


def test_other_paths_and_client_secret_post(discord_fake: DiscordFake, http, app):
    fake = discord_fake
    for path in ("/api/oauth2/authorize", "/api/v10/oauth2/authorize"):
        verifier, challenge = pkce()
        query = redirected(
            authorize(fake, http, path=path, code_challenge=challenge, code_challenge_method="S256", state=None)
        )
        assert "state" not in query  # only echoed when sent
        answer = exchange(fake, http, query["code"], verifier, auth="post", url=f"{fake.base_url}/oauth2/token")
        assert answer.status_code == 200, answer.text
    assert [r["client_auth"] for r in fake.oauth_requests("token")] == ["client_secret_post"] * 2
    # A redirect URI with a query of its own keeps it.
    fake.register_application(redirect_uris=[REDIRECT, REDIRECT + "?next=%2Fadmin"])
    answer = authorize(fake, http, redirect_uri=REDIRECT + "?next=%2Fadmin")
    assert answer.headers["location"].startswith(REDIRECT + "?next=%2Fadmin&code=")


def test_email_and_guilds_scopes_and_current_authorization(discord_fake: DiscordFake, http, app):
    fake, ids = discord_fake, discord_fake.ids
    dora = fake.add_user("dora", "Dora", email="dora@example.com")
    fake.add_member(ids["guild"], dora, [ids["role_moderator"]])
    fake.sign_in_as(dora)
    code, verifier = get_code(fake, http, scope="identify email guilds")
    body = exchange(fake, http, code, verifier).json()
    assert body["scope"] == "identify email guilds"
    token = body["access_token"]
    profile = me(fake, http, token).json()
    assert (profile["email"], profile["verified"]) == ("dora@example.com", True)
    headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    guilds = http.get(f"{fake.base_url}/users/@me/guilds", headers=headers)
    assert [(g["id"], g["owner"]) for g in guilds.json()] == [(ids["guild"], False)]
    assert int(guilds.json()[0]["permissions"]) & (1 << 2)  # BAN_MEMBERS, from Moderator
    assert not check_shape(fake, "GET", "/users/@me/guilds", guilds)
    current = http.get(f"{fake.base_url}/oauth2/@me", headers=headers)
    assert current.status_code == 200
    assert current.json()["application"]["id"] == fake.client_id and current.json()["user"]["id"] == dora
    assert current.json()["scopes"] == ["identify", "email", "guilds"]
    assert not check_shape(fake, "GET", "/oauth2/@me", current)
    assert not fake.violations and not fake.unhandled


# ---- PKCE and the code -------------------------------------------------------------------------


def test_wrong_verifier(discord_fake: DiscordFake, http, app):
    code, verifier = get_code(discord_fake, http)
    wrong = exchange(discord_fake, http, code, pkce()[0])
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"error": "invalid_grant", "error_description": 'Invalid "code_verifier" in request.'},
    )
    found = take_violations(discord_fake)
    assert len(found) == 1 and found[0].startswith("[oauth] token: code_verifier does not match")
    assert not discord_fake.issued_user_tokens()
    assert exchange(discord_fake, http, code, verifier).status_code == 200  # a failed try does not use the code


def test_missing_verifier_when_a_challenge_was_used(discord_fake: DiscordFake, http, app):
    code, _ = get_code(discord_fake, http)
    answer = exchange(discord_fake, http, code, None)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert "code_verifier" in answer.json()["error_description"]
    assert take_violations(discord_fake)[0].startswith("[oauth] token: no code_verifier")
    # And a verifier without a challenge is refused too (OAuth 2.1).
    plain = redirected(authorize(discord_fake, http))["code"]
    assert exchange(discord_fake, http, plain, pkce()[0]).json()["error"] == "invalid_grant"
    assert "no code_challenge" in take_violations(discord_fake)[0]
    assert exchange(discord_fake, http, plain, None).status_code == 200  # PKCE is optional for Discord


def test_replayed_code_revokes_the_first_token(discord_fake: DiscordFake, http, app):
    code, verifier = get_code(discord_fake, http)
    first = exchange(discord_fake, http, code, verifier).json()["access_token"]
    assert me(discord_fake, http, first).status_code == 200
    again = exchange(discord_fake, http, code, verifier)
    assert (again.status_code, again.json()) == (
        400,
        {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'},
    )
    assert "used a second time" in take_violations(discord_fake)[0]
    revoked = me(discord_fake, http, first)
    assert (revoked.status_code, revoked.json()) == (401, {"message": "401: Unauthorized", "code": 0})
    assert [t["revoked"] for t in discord_fake.issued_user_tokens()] == [True]
    assert not discord_fake.violations  # a revoked token is the world's doing


def test_expired_code(discord_fake: DiscordFake, http, app):
    discord_fake.set_code_ttl(0.2)
    code, verifier = get_code(discord_fake, http)
    time.sleep(0.3)
    answer = exchange(discord_fake, http, code, verifier)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    assert not discord_fake.violations  # a slow user is nobody's mistake


def test_unknown_code(discord_fake: DiscordFake, http, app):
    answer = exchange(discord_fake, http, "not-a-code", pkce()[0])
    assert answer.json() == {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'}


# ---- redirect URIs -------------------------------------------------------------------------------


def test_unregistered_redirect_uri_at_authorize_is_a_page_not_a_redirect(discord_fake: DiscordFake, http, app):
    fake = discord_fake
    for uri in (REDIRECT + "/", REDIRECT.replace("8443", "8444"), "https://evil.example/callback", REDIRECT.upper()):
        answer = authorize(fake, http, redirect_uri=uri, state="s")
        assert answer.status_code == 400 and "location" not in answer.headers
        assert answer.headers["content-type"].startswith("text/html") and "redirect_uri" in answer.text
    unknown = authorize(fake, http, client_id="1234567890123456789")
    assert unknown.status_code == 400 and "location" not in unknown.headers
    assert not fake.oauth.codes
    assert not fake.violations  # the operator's configuration, not a client bug
    missing = authorize(fake, http, redirect_uri=None)
    assert missing.status_code == 400 and "location" not in missing.headers
    assert take_violations(fake) == ["[oauth] authorize: no redirect_uri (GET /oauth2/authorize)"]


def test_redirect_uri_mismatch_at_token(discord_fake: DiscordFake, http, app):
    discord_fake.register_application(redirect_uris=[REDIRECT, REDIRECT + "2"])
    code, verifier = get_code(discord_fake, http)
    answer = exchange(discord_fake, http, code, verifier, redirect_uri=REDIRECT + "2")
    assert answer.json() == {"error": "invalid_grant", "error_description": 'Invalid "redirect_uri" in request.'}
    assert "redirect_uri differs" in take_violations(discord_fake)[0]


# ---- client authentication and the request's form ----------------------------------------------


def test_wrong_client_secret(discord_fake: DiscordFake, http, app):
    for auth in ("basic", "post"):
        code, verifier = get_code(discord_fake, http)
        answer = exchange(discord_fake, http, code, verifier, auth=auth, secret="wrong-secret")
        assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client"})
        assert ("www-authenticate" in answer.headers) == (auth == "basic")
    assert not discord_fake.violations and not discord_fake.issued_user_tokens()
    other = discord_fake.register_application("1111111111111111111", "s3cret", [REDIRECT])
    assert other == ("1111111111111111111", "s3cret")
    code, verifier = get_code(discord_fake, http)  # a code of the default application...
    stolen = http.post(
        discord_fake.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        auth=other,
    )
    assert stolen.json()["error"] == "invalid_grant"  # ...is no good to another one


def test_both_client_authentication_methods(discord_fake: DiscordFake, http, app):
    code, verifier = get_code(discord_fake, http)
    answer = exchange(discord_fake, http, code, verifier, auth="both")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert "Basic and client_secret" in take_violations(discord_fake)[0]
    assert discord_fake.oauth_requests("token")[-1]["client_auth"] == "both"
    none = exchange(discord_fake, http, code, verifier, auth="none")
    assert (none.status_code, none.json()) == (401, {"error": "invalid_client"})
    assert "no client authentication" in take_violations(discord_fake)[0]


def test_token_endpoint_takes_forms_only(discord_fake: DiscordFake, http, app):
    code, verifier = get_code(discord_fake, http)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    auth = (discord_fake.client_id, discord_fake.client_secret)
    as_json = http.post(discord_fake.token_url, json=form, auth=auth)
    assert (as_json.status_code, as_json.json()) == (
        400,
        {"error": "unsupported_grant_type", "error_description": "Grant type None is not supported"},
    )
    no_type = http.post(discord_fake.token_url, content=urlencode(form), auth=auth)
    assert no_type.json()["error"] == "unsupported_grant_type"
    found = take_violations(discord_fake)
    assert len(found) == 2 and all("application/x-www-form-urlencoded" in v for v in found)
    unknown = http.post(discord_fake.token_url, data={**form, "grant_type": "password"}, auth=auth)
    assert unknown.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Grant type password is not supported",
    }
    assert take_violations(discord_fake)
    ok = http.post(
        discord_fake.token_url,
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        auth=auth,
    )
    assert ok.status_code == 200
    assert http.get(discord_fake.token_url).status_code == 405
    take_violations(discord_fake)


# ---- the authorization page -----------------------------------------------------------------------


def test_cancelled_authorization(discord_fake: DiscordFake, http, app):
    discord_fake.deny_next_authorization()
    query = redirected(authorize(discord_fake, http, state="st-9"))
    assert query == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request",
        "state": "st-9",
    }
    assert "code" in redirected(authorize(discord_fake, http, state="st-10"))  # only the next one
    discord_fake.sign_in_as(None)  # nobody signed in: nobody authorizes
    assert redirected(authorize(discord_fake, http, state="x"))["error"] == "access_denied"
    assert not discord_fake.violations and discord_fake.oauth_requests("authorize")[0]["error"] == "access_denied"


def test_authorization_request_errors_go_back_to_the_client(discord_fake: DiscordFake, http, app):
    fake = discord_fake
    _, challenge = pkce()
    cases = [
        ({"scope": "identify nonsense"}, "invalid_scope", "unknown scope"),
        ({"scope": "identify,email"}, "invalid_scope", "unknown scope"),
        ({"scope": "bot"}, "invalid_scope", "not for signing in"),
        ({"response_type": "token"}, "unsupported_response_type", "response_type"),
        ({"code_challenge": challenge, "code_challenge_method": "plain"}, "invalid_request", "S256 only"),
        ({"code_challenge": challenge}, "invalid_request", "without code_challenge_method"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", "code_challenge of 5"),
    ]
    for params, error, problem in cases:
        query = redirected(authorize(fake, http, state="k", **params))
        assert (query["error"], query["state"]) == (error, "k"), params
        found = take_violations(fake)
        assert len(found) == 1 and problem in found[0], (params, found)
    # Signing in needs identify: without it the fake goes on, as Discord does, but reports it.
    assert "code" in redirected(authorize(fake, http, scope="email"))
    assert "scope lacks identify" in take_violations(fake)[0]


def test_sign_in_controls_check_their_arguments(discord_fake: DiscordFake):
    with pytest.raises(ValueError):
        discord_fake.sign_in_as("1234567890123456789")
    with pytest.raises(ValueError):
        discord_fake.sign_in_as(discord_fake.ids["bot"])
    with pytest.raises(ValueError):
        discord_fake.register_application("not-a-snowflake", "x", [REDIRECT])
    with pytest.raises(ValueError):
        discord_fake.register_application(redirect_uris=["/relative"])
    with pytest.raises(ValueError):
        discord_fake.add_user("Has Spaces")
    with pytest.raises(ValueError):
        discord_fake.add_user("ana")  # taken


# ---- Bearer tokens and the bot's routes -----------------------------------------------------------


def test_bearer_token_is_refused_on_bot_routes(discord_fake: DiscordFake, http, bot, app):
    fake, ids = discord_fake, discord_fake.ids
    code, verifier = get_code(fake, http)
    token = exchange(fake, http, code, verifier).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
    for path in (f"/guilds/{ids['guild']}/members/{ids['user_ana']}", f"/guilds/{ids['guild']}/roles",
                 f"/channels/{ids['general']}"):
        answer = http.get(f"{fake.base_url}{path}", headers=headers)
        assert (answer.status_code, answer.json()) == (401, {"message": "401: Unauthorized", "code": 0})
    found = take_violations(fake)
    assert len(found) == 3 and all(v.startswith("[auth] a Bearer (user OAuth2) token") for v in found)
    assert token not in " ".join(found)
    # /users/@me/guilds needs the guilds scope.
    guilds = http.get(f"{fake.base_url}/users/@me/guilds", headers=headers)
    assert guilds.status_code == 401 and "guilds scope" in take_violations(fake)[0]
    # A member token passed off as the bot's is refused as a wrong bot token, and shows in user_token_uses.
    assert bot.get("/users/@me", headers={"Authorization": f"Bot {token}"}).status_code == 401
    assert "wrong bot token" in take_violations(fake)[0]
    uses = {(r["template"], r["auth"], r["status"]) for r in fake.user_token_uses()}
    assert ("/users/@me", None, 401) in uses and ("/guilds/{guild_id}/members/{user_id}", None, 401) in uses
    # A revoked (or unknown) token on /users/@me is 401 and not the client's mistake.
    assert fake.revoke_user_tokens() == 1
    assert me(fake, http, token).status_code == 401 and me(fake, http, "unknown").status_code == 401
    assert not fake.violations


def test_refresh_and_revoke(discord_fake: DiscordFake, http, app):
    fake = discord_fake
    code, verifier = get_code(fake, http)
    first = exchange(fake, http, code, verifier).json()
    auth = (fake.client_id, fake.client_secret)
    refreshed = http.post(
        fake.token_url, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != first["access_token"]
    assert me(fake, http, first["access_token"]).status_code == 401  # rotated
    second = refreshed.json()["access_token"]
    assert me(fake, http, second).status_code == 200
    again = http.post(
        fake.token_url, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=auth
    )
    assert again.json() == {"error": "invalid_grant", "error_description": 'Invalid "refresh_token" in request.'}
    revoke = http.post(fake.revoke_url, data={"token": second, "token_type_hint": "access_token"}, auth=auth)
    assert revoke.status_code == 200
    assert me(fake, http, second).status_code == 401
    assert not any(t["active"] for t in fake.issued_user_tokens())
    assert not fake.violations


def test_token_endpoint_rate_limit(discord_fake: DiscordFake, http, app):
    discord_fake.force_429("POST", "/oauth2/token", 0.2)
    code, verifier = get_code(discord_fake, http)
    limited = exchange(discord_fake, http, code, verifier)
    assert limited.status_code == 429 and limited.json()["message"] == "You are being rate limited."
    assert limited.headers["retry-after"] == "1"
    time.sleep(0.2)
    assert exchange(discord_fake, http, code, verifier).status_code == 200
    assert not discord_fake.violations


# ---- members, roles and overwrites -------------------------------------------------------------------


def test_member_lookup_roles_and_overwrites(discord_fake: DiscordFake, bot):
    fake, ids = discord_fake, discord_fake.ids
    g = ids["guild"]
    eve = fake.add_user("eve", "Eve")
    absent = bot.get(f"/guilds/{g}/members/{eve}")
    assert (absent.status_code, absent.json()) == (404, {"message": "Unknown Member", "code": 10007})
    for who in ("user_carol", "user_spammer"):  # in another guild / banned here: not members either
        assert bot.get(f"/guilds/{g}/members/{ids[who]}").json()["code"] == 10007
    assert not check_shape(fake, "GET", "/guilds/{guild_id}/members/{user_id}", absent)

    ops = fake.add_role(g, "Ops", (1 << 10) | (1 << 11), color=0x00FF00)
    fake.add_member(g, eve, [ops])
    member = bot.get(f"/guilds/{g}/members/{eve}")
    assert member.status_code == 200 and member.json()["roles"] == [ops]
    assert not check_shape(fake, "GET", "/guilds/{guild_id}/members/{user_id}", member)
    fake.set_member_roles(g, eve, [ops, ids["role_member"]])
    assert bot.get(f"/guilds/{g}/members/{eve}").json()["roles"] == [ops, ids["role_member"]]

    roles = bot.get(f"/guilds/{g}/roles")
    ops_role = next(r for r in roles.json() if r["id"] == ops)
    assert (ops_role["permissions"], ops_role["position"], ops_role["managed"]) == (str(3072), 1, False)
    positions = sorted(r["position"] for r in roles.json())
    assert positions == list(range(len(positions)))  # the others moved up
    assert not check_shape(fake, "GET", "/guilds/{guild_id}/roles", roles)

    fake.set_channel_overwrites(
        ids["support"],
        [{"id": g, "type": 0, "allow": 0, "deny": 1 << 10}, {"id": eve, "type": 1, "allow": "1024", "deny": 0}],
    )
    channel = bot.get(f"/channels/{ids['support']}")
    assert channel.json()["permission_overwrites"] == [
        {"id": g, "type": 0, "allow": "0", "deny": "1024"},
        {"id": eve, "type": 1, "allow": "1024", "deny": "0"},
    ]
    assert not check_shape(fake, "GET", "/channels/{channel_id}", channel)
    guild = bot.get(f"/guilds/{g}")
    assert guild.json()["owner_id"] == ids["user_owner"]
    assert not check_shape(fake, "GET", "/guilds/{guild_id}", guild)

    fake.remove_member(g, eve)
    assert bot.get(f"/guilds/{g}/members/{eve}").status_code == 404
    with pytest.raises(ValueError):
        fake.remove_member(g, ids["user_owner"])
    with pytest.raises(ValueError):
        fake.add_member(g, ids["user_spammer"])  # banned
    with pytest.raises(ValueError):
        fake.add_member(g, ids["user_ana"])  # already a member
    with pytest.raises(ValueError):
        fake.set_member_roles(g, ids["user_ana"], [ids["role_everyone"]])
    with pytest.raises(ValueError):
        fake.set_channel_overwrites(ids["thread"], [])
    with pytest.raises(ValueError):
        fake.set_channel_overwrites(ids["support"], [{"id": eve, "type": 0, "allow": 0, "deny": 0}])
    assert not fake.violations


@needs_spec
def test_the_spec_does_not_flag_the_sign_in(discord_fake: DiscordFake, http, bot, app):
    """The OAuth2 endpoints are not in the spec: they are served without false [openapi] reports."""
    fake = discord_fake
    assert fake.validating
    code, verifier = get_code(fake, http)
    token = exchange(fake, http, code, verifier, url=f"{fake.base_url}/oauth2/token").json()["access_token"]
    assert me(fake, http, token).status_code == 200
    assert bot.get(f"/guilds/{fake.ids['guild']}/members/{fake.ids['user_ana']}").status_code == 200
    assert not fake.violations and not fake.unhandled
