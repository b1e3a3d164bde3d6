"""Self-tests of the fake Discord (Tests/e2e/discord_fake): its checks, rate limits, state and shapes.

Tests that provoke violations on purpose assert them and clear them, so the fixture's teardown check passes.
"""

from __future__ import annotations

import http.client
import time
from urllib.parse import quote

import httpx2
import pytest

from discord_fake import DiscordFake
from discord_fake.fake import default_spec_path
from discord_fake.snowflakes import created_at, iso
from discord_fixtures import assert_no_violations, discord_fake, violations_report  # noqa: F401

USER_AGENT = "DiscordBot (https://github.com/mcp-gateway/mcp-gateway, 0.1.0)"
THUMBS_UP = quote("👍")


@pytest.fixture
def client(discord_fake: DiscordFake):
    headers = {"Authorization": f"Bot {discord_fake.bot_token}", "User-Agent": USER_AGENT}
    with httpx2.Client(base_url=discord_fake.base_url, headers=headers, trust_env=False, timeout=5) as http:
        yield http


def take_violations(fake: DiscordFake) -> list[str]:
    """The violations so far, cleared (so the fixture's teardown check passes)."""
    found = list(fake.violations)
    fake.clear_violations()
    return found


# ---- the seeded world --------------------------------------------------------------------------


def test_seeded_world(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    me = client.get("/users/@me").json()
    assert me["id"] == ids["bot"] and me["bot"] is True
    guilds = client.get("/users/@me/guilds").json()
    assert {g["name"] for g in guilds} == {"Test Guild", "Other Guild"}
    channels = {c["name"]: c for c in client.get(f"/guilds/{ids['guild']}/channels").json()}
    assert {"general", "support", "announcements", "secret", "Voice Chat", "Info", "ideas"} <= set(channels)
    assert channels["ideas"]["type"] == 15 and channels["ideas"]["available_tags"]
    roles = {r["name"]: r["id"] for r in client.get(f"/guilds/{ids['guild']}/roles").json()}
    assert roles["@everyone"] == ids["guild"] and roles["Moderator"] == ids["role_moderator"]
    messages = client.get(f"/channels/{ids['general']}/messages", params={"limit": 100}).json()
    assert len(messages) >= 30 and int(messages[0]["id"]) > int(messages[-1]["id"])  # newest first
    assert any("deploy" in m["content"] for m in messages) and any("release" in m["content"] for m in messages)
    assert time.time() - created_at(ids["old_message"]) > 14 * 86400
    assert time.time() - created_at(ids["message"]) < 86400
    pins = client.get(f"/channels/{ids['general']}/messages/pins").json()
    assert len(pins["items"]) == 2 and pins["has_more"] is False
    event_users = client.get(f"/guilds/{ids['guild']}/scheduled-events/{ids['event']}/users").json()
    assert {u["user"]["username"] for u in event_users} == {"luis", "ana"}
    assert client.get(f"/invites/{ids['invite_code']}").json()["guild"]["id"] == ids["guild"]
    # The bot is not in the foreign guild; unknown ids are unknown.
    assert client.get(f"/guilds/{ids['foreign_guild']}").json()["code"] == 50001
    assert client.get(f"/channels/{ids['foreign_channel']}/messages").status_code == 403
    assert client.get("/guilds/1234567890123456789").json() == {"message": "Unknown Guild", "code": 10004}
    missing = client.get(f"/channels/{ids['general']}/messages/1234567890123456789")
    assert (missing.status_code, missing.json()["code"]) == (404, 10008)
    assert not discord_fake.violations  # answers caused by the world are not the client's mistakes


# ---- headers -----------------------------------------------------------------------------------


def test_authorization_is_checked(discord_fake: DiscordFake, client: httpx2.Client):
    token = discord_fake.bot_token
    for value in (token, f"Bearer {token}", "Bot not-the-token"):
        answer = client.get("/users/@me", headers={"Authorization": value})
        assert answer.status_code == 401
        assert answer.json() == {"message": "401: Unauthorized", "code": 0}
        assert token not in answer.text
    no_header = httpx2.get(f"{discord_fake.base_url}/users/@me", headers={"User-Agent": USER_AGENT}, trust_env=False)
    assert no_header.status_code == 401
    found = take_violations(discord_fake)
    assert len(found) == 4 and all(v.startswith("[auth]") for v in found)
    assert not any(token in v for v in found)  # the token never shows in a report
    assert discord_fake.invalid_request_count == 4


def test_user_agent_is_checked(discord_fake: DiscordFake, client: httpx2.Client):
    for value in ("python-httpx/1.0", "DiscordBot", "DiscordBot (example.com, 1.0)"):
        assert client.get("/users/@me", headers={"User-Agent": value}).status_code == 400
    extra = client.get("/users/@me", headers={"User-Agent": USER_AGENT + " Swift/6.1"})
    assert extra.status_code == 200  # Discord allows more text after the required part
    found = take_violations(discord_fake)
    assert len(found) == 3 and all(v.startswith("[user-agent]") for v in found)


def test_audit_reason_encoding_and_log(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    kick = f"/guilds/{ids['guild']}/members/{ids['user_bob']}"
    assert client.delete(kick, headers={"X-Audit-Log-Reason": "not encoded"}).status_code == 400
    too_long = quote("x" * 513, safe="")
    assert client.delete(kick, headers={"X-Audit-Log-Reason": too_long}).status_code == 400
    found = take_violations(discord_fake)
    assert len(found) == 2 and all(v.startswith("[audit-reason]") for v in found)
    assert ids["user_bob"] in discord_fake.world.members[ids["guild"]]  # nothing happened

    reason = "Spam – again, ação"
    assert client.delete(kick, headers={"X-Audit-Log-Reason": quote(reason, safe="")}).status_code == 204
    assert ids["user_bob"] not in discord_fake.world.members[ids["guild"]]
    log = client.get(f"/guilds/{ids['guild']}/audit-logs", params={"action_type": 20}).json()
    entry = log["audit_log_entries"][0]
    assert (entry["user_id"], entry["target_id"], entry["reason"]) == (ids["bot"], ids["user_bob"], reason)
    assert discord_fake.audit_entries(action_type=20) == [entry]


# ---- rate limits -------------------------------------------------------------------------------


def test_rate_limit_headers_and_429(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    discord_fake.set_rate_limit("POST", "/channels/{channel_id}/messages", 2, 0.5)
    post = f"/channels/{ids['general']}/messages"
    first, second = (client.post(post, json={"content": f"hello {n}"}) for n in (1, 2))
    assert (first.headers["x-ratelimit-limit"], first.headers["x-ratelimit-remaining"]) == ("2", "1")
    assert second.headers["x-ratelimit-remaining"] == "0"
    assert 0 < float(second.headers["x-ratelimit-reset-after"]) <= 0.5
    assert abs(float(second.headers["x-ratelimit-reset"]) - time.time() - 0.5) < 0.5
    assert first.headers["x-ratelimit-bucket"] == second.headers["x-ratelimit-bucket"]

    refused = client.post(post, json={"content": "too soon"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["message"] == "You are being rate limited." and body["global"] is False
    assert 0 < body["retry_after"] <= 0.5
    assert refused.headers["retry-after"] == "1" and refused.headers["x-ratelimit-scope"] == "user"
    assert discord_fake.past_limit_count == 1 and discord_fake.invalid_request_count == 1
    # Another top-level resource has its own state.
    assert client.post(f"/channels/{ids['support']}/messages", json={"content": "elsewhere"}).status_code == 200
    found = take_violations(discord_fake)
    assert len(found) == 1 and found[0].startswith("[rate-limit]")

    time.sleep(body["retry_after"])  # waiting what Discord said is always enough
    assert client.post(post, json={"content": "later"}).status_code == 200
    assert not discord_fake.violations


def test_every_answer_has_rate_limit_headers_and_shared_buckets(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    message = f"/channels/{ids['general']}/messages/{ids['message']}"
    add = client.put(f"{message}/reactions/{THUMBS_UP}/@me")
    remove = client.delete(f"{message}/reactions/{THUMBS_UP}/@me")
    listing = client.get(f"/channels/{ids['general']}/messages")
    unknown = client.get(f"/channels/{ids['general']}/messages/1234567890123456789")
    for answer in (add, remove, listing, unknown):
        assert {
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-reset-after",
            "x-ratelimit-bucket",
        } <= set(answer.headers)
    assert add.headers["x-ratelimit-bucket"] == remove.headers["x-ratelimit-bucket"]  # one shared bucket
    assert add.headers["x-ratelimit-remaining"] == "49" and remove.headers["x-ratelimit-remaining"] == "48"
    assert listing.headers["x-ratelimit-bucket"] != add.headers["x-ratelimit-bucket"]
    assert add.status_code == remove.status_code == 204 and add.content == b""


def test_force_429(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    route = "/channels/{channel_id}/messages"
    discord_fake.force_429("GET", route, 0.3)
    refused = client.get(f"/channels/{ids['general']}/messages")
    assert refused.status_code == 429 and refused.json()["retry_after"] == 0.3
    assert refused.headers["x-ratelimit-remaining"] == "0" and refused.headers["x-ratelimit-scope"] == "user"
    assert not discord_fake.violations  # a 429 out of the blue is not the client's fault...
    assert client.get(f"/channels/{ids['general']}/messages").status_code == 429
    assert take_violations(discord_fake)[0].startswith("[rate-limit]")  # ...ignoring its retry_after is
    time.sleep(0.3)
    assert client.get(f"/channels/{ids['general']}/messages").status_code == 200

    discord_fake.force_429("GET", route, 0.2, scope="shared")
    count = discord_fake.invalid_request_count
    shared = client.get(f"/channels/{ids['support']}/messages")
    assert shared.status_code == 429 and shared.headers["x-ratelimit-scope"] == "shared"
    assert discord_fake.invalid_request_count == count  # shared-scope 429s don't count as invalid

    discord_fake.force_429("GET", "/users/@me", 0.3, global_=True)
    blocked = client.get("/users/@me")
    assert blocked.json()["global"] is True and blocked.headers["x-ratelimit-global"] == "true"
    assert blocked.headers["x-ratelimit-scope"] == "global"
    assert client.get(f"/guilds/{ids['guild']}").status_code == 429  # every route waits out a global limit
    assert take_violations(discord_fake)[0].startswith("[rate-limit]")
    time.sleep(0.3)
    assert client.get(f"/guilds/{ids['guild']}").status_code == 200


def test_global_limit(discord_fake: DiscordFake, client: httpx2.Client):
    assert (discord_fake.limiter.global_limit, discord_fake.limiter.global_window) == (50, 1.0)
    discord_fake.set_global_limit(50, 30.0)  # the same count, a window no slow machine can outlast
    channels = [c["id"] for c in client.get(f"/guilds/{discord_fake.ids['guild']}/channels").json()]
    statuses = [client.get(f"/channels/{channels[n % len(channels)]}").status_code for n in range(51)]
    assert statuses == [200] * 49 + [429, 429]  # 50 requests in all, counting the listing
    refused = client.get("/users/@me")
    assert refused.status_code == 429 and refused.json()["global"] is True
    assert refused.headers["x-ratelimit-global"] == "true" and refused.headers["x-ratelimit-scope"] == "global"
    assert discord_fake.past_limit_count == 3
    assert all(v.startswith("[rate-limit]") for v in take_violations(discord_fake))


# ---- documented limits -------------------------------------------------------------------------


def test_content_over_2000_is_refused_like_discord(discord_fake: DiscordFake, client: httpx2.Client):
    answer = client.post(f"/channels/{discord_fake.ids['general']}/messages", json={"content": "x" * 2001})
    assert answer.status_code == 400
    assert answer.json() == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}
        },
    }
    assert len(take_violations(discord_fake)) == 1
    assert (
        client.post(f"/channels/{discord_fake.ids['general']}/messages", json={"content": "x" * 2000}).status_code
        == 200
    )


def test_limits_without_spec():
    """The fake's own checks hold without the spec: limits, snowflakes in paths."""
    with DiscordFake(spec_path=False) as fake:
        headers = {"Authorization": f"Bot {fake.bot_token}", "User-Agent": USER_AGENT}
        base = fake.base_url
        with httpx2.Client(base_url=base, headers=headers, trust_env=False, timeout=5) as http:
            general = fake.ids["general"]
            long = http.post(f"/channels/{general}/messages", json={"content": "x" * 2001}).json()
            assert long["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
            limit = http.get(f"/channels/{general}/messages", params={"limit": 101}).json()
            assert limit["errors"]["limit"]["_errors"][0]["code"] == "NUMBER_TYPE_MAX"
            bad_id = http.get("/channels/abc/messages").json()
            assert bad_id["errors"]["channel_id"]["_errors"][0] == {
                "code": "NUMBER_TYPE_COERCE",
                "message": 'Value "abc" is not snowflake.',
            }
            future = iso(time.time() + 29 * 86400)
            timeout = http.patch(
                f"/guilds/{fake.ids['guild']}/members/{fake.ids['user_bob']}",
                json={"communication_disabled_until": future},
            )
            assert timeout.status_code == 400
        assert len(fake.violations) == 4 and all(v.startswith("[limit]") for v in fake.violations)
        assert not fake.validating


def test_bulk_delete(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    bulk = f"/channels/{ids['general']}/messages/bulk-delete"
    old = client.post(bulk, json={"messages": [ids["message"], ids["old_message"]]})
    assert old.status_code == 400
    assert old.json() == {"message": "You can only bulk delete messages that are under 14 days old.", "code": 50034}
    assert client.post(bulk, json={"messages": [ids["message"]]}).json()["code"] == 50035
    assert len(take_violations(discord_fake)) == 2
    assert discord_fake.world.message(ids["general"], ids["message"]) is not None

    answer = client.post(
        bulk, json={"messages": [ids["message"], ids["reacted_message"]]}, headers={"X-Audit-Log-Reason": "cleanup"}
    )
    assert answer.status_code == 204
    assert discord_fake.world.message(ids["general"], ids["message"]) is None
    entry = discord_fake.audit_entries(action_type=73)[-1]
    assert entry["target_id"] == ids["general"] and entry["options"] == {"count": "2"}
    assert entry["reason"] == "cleanup"


# ---- state changes -----------------------------------------------------------------------------


def test_webhook_execute_posts_into_the_channel(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    hook = client.get(f"/webhooks/{ids['webhook']}").json()
    assert hook["token"] == ids["webhook_token"]  # Discord shows a bot its webhooks' tokens...
    assert hook["url"].endswith(f"/webhooks/{hook['id']}/{hook['token']}")
    url = f"{discord_fake.base_url}/webhooks/{hook['id']}/{hook['token']}"
    # ...and executing needs no Authorization.
    answer = httpx2.post(
        url,
        params={"wait": "true"},
        json={"content": "Deployed v2.4"},
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    )
    assert answer.status_code == 200
    message = answer.json()
    assert message["webhook_id"] == hook["id"] and message["author"]["username"] == "Deploy Notifier"
    newest = client.get(f"/channels/{ids['general']}/messages", params={"limit": 1}).json()[0]
    assert newest["id"] == message["id"] and newest["content"] == "Deployed v2.4"
    no_wait = httpx2.post(
        url, json={"content": "again", "username": "CI"}, headers={"User-Agent": USER_AGENT}, trust_env=False
    )
    assert no_wait.status_code == 204 and discord_fake.world.messages[ids["general"]][-1]["author"]["username"] == "CI"
    wrong = httpx2.post(url[:-3] + "abc", json={"content": "x"}, headers={"User-Agent": USER_AGENT}, trust_env=False)
    assert (wrong.status_code, wrong.json()["code"]) == (401, 50027)


def test_permissions_and_search_can_be_taken_away(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    search = f"/guilds/{ids['guild']}/messages/search"
    found = client.get(search, params={"content": "deploy"}).json()
    assert found["total_results"] >= 4
    assert all("deploy" in hit[0]["content"].lower() and hit[0]["hit"] for hit in found["messages"])
    by_author = client.get(search, params=[("author_id", ids["user_ana"]), ("limit", "25")]).json()
    assert {hit[0]["author"]["id"] for hit in by_author["messages"]} == {ids["user_ana"]}

    discord_fake.deny_permission("BAN_MEMBERS")
    ban = client.put(f"/guilds/{ids['guild']}/bans/{ids['user_bob']}", json={"delete_message_seconds": 0})
    assert (ban.status_code, ban.json()) == (403, {"message": "Missing Permissions", "code": 50013})
    discord_fake.disable_guild_search()
    assert client.get(search, params={"content": "deploy"}).json()["code"] == 50001
    assert discord_fake.invalid_request_count == 2
    assert not discord_fake.violations  # the world said no: not the client's mistake


def test_threads_and_forum_posts(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    thread = client.post(f"/channels/{ids['general']}/threads", json={"name": "plan", "type": 11}).json()
    assert thread["parent_id"] == ids["general"] and thread["type"] == 11
    archived = client.patch(f"/channels/{thread['id']}", json={"archived": True, "locked": True}).json()
    assert archived["thread_metadata"]["archived"] and archived["thread_metadata"]["locked"]
    active = client.get(f"/guilds/{ids['guild']}/threads/active").json()
    assert thread["id"] not in {t["id"] for t in active["threads"]} and ids["thread"] in {
        t["id"] for t in active["threads"]
    }
    no_message = client.post(f"/channels/{ids['forum']}/threads", json={"name": "idea"})
    assert no_message.json()["errors"]["message"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
    take_violations(discord_fake)
    post = client.post(
        f"/channels/{ids['forum']}/threads",
        json={"name": "idea", "message": {"content": "What about X?"}, "applied_tags": [ids["tag_bug"]]},
    )
    assert post.status_code == 201
    body = post.json()
    assert body["message"]["id"] == body["id"] and body["applied_tags"] == [ids["tag_bug"]]
    assert discord_fake.audit_entries(action_type=110)


# ---- the OpenAPI check -------------------------------------------------------------------------

needs_spec = pytest.mark.skipif(
    default_spec_path() is None,
    reason="Discord's OpenAPI spec is not available (set DISCORD_OPENAPI_SPEC or put it in shared/reference)",
)


@needs_spec
def test_openapi_catches_a_wrong_body_type(discord_fake: DiscordFake, client: httpx2.Client):
    answer = client.post(f"/channels/{discord_fake.ids['general']}/messages", json={"content": "hi", "tts": "yes"})
    assert answer.status_code == 400
    assert answer.json()["errors"]["tts"]["_errors"][0]["code"] == "BASE_TYPE_BOOLEAN"
    found = take_violations(discord_fake)
    assert len(found) == 1 and found[0].startswith("[openapi] create_message: body.tts")
    unknown = client.get(f"/channels/{discord_fake.ids['general']}/nonsense")
    assert unknown.json() == {"message": "404: Not Found", "code": 0}
    assert take_violations(discord_fake)[0].startswith("[openapi] no such path")
    client.get(f"/channels/{discord_fake.ids['general']}/messages", params={"limt": 5})
    assert "query parameter 'limt'" in take_violations(discord_fake)[0]
    assert client.put("/users/@me", json={}).json() == {"message": "405: Method Not Allowed", "code": 0}
    assert take_violations(discord_fake)[0].startswith("[openapi] PUT is not an operation of /users/@me")


@needs_spec
def test_openapi_accepts_correct_requests_and_documented_deviations(discord_fake: DiscordFake, client: httpx2.Client):
    ids = discord_fake.ids
    # Permissions as strings (the spec says integer; Discord's docs say strings).
    overwrite = client.put(
        f"/channels/{ids['support']}/permissions/{ids['role_member']}",
        json={"type": 0, "allow": "1024", "deny": str(1 << 11)},
    )
    assert overwrite.status_code == 204
    role = client.post(f"/guilds/{ids['guild']}/roles", json={"name": "Helper", "permissions": "1024"})
    assert role.status_code == 200 and role.json()["permissions"] == "1024"
    # PUT/DELETE bans without a body (the spec marks the body required).
    assert client.put(f"/guilds/{ids['guild']}/bans/{ids['user_bob']}").status_code == 204
    assert client.delete(f"/guilds/{ids['guild']}/bans/{ids['user_bob']}").status_code == 204
    assert not discord_fake.violations, discord_fake.violations
    assert any("maxLength 4000 -> 2000" in line for line in discord_fake.spec.overrides)


@needs_spec
def test_every_route_answers_in_the_specs_shape(discord_fake: DiscordFake, client: httpx2.Client):
    """Drives every route the fake serves and checks each answer against the spec's response schema."""
    fake, ids = discord_fake, discord_fake.ids
    fake.set_global_limit(1000)  # this test sends faster than 50/s on purpose; rate limits are tested above
    g, general = ids["guild"], ids["general"]
    soon = iso(time.time() + 86400)
    new_channel = client.post(f"/guilds/{g}/channels", json={"name": "tmp", "parent_id": ids["category"]}).json()["id"]
    sent = client.post(
        f"/channels/{general}/messages",
        json={
            "content": f"hi <@{ids['user_ana']}>",
            "embeds": [{"title": "T", "description": "d"}],
            "message_reference": {"message_id": ids["message"]},
            "allowed_mentions": {"parse": []},
        },
    ).json()["id"]
    role = client.post(f"/guilds/{g}/roles", json={"name": "Tmp", "color": 255}).json()["id"]
    hook = client.post(f"/channels/{general}/webhooks", json={"name": "Hook"}).json()
    code = client.post(f"/channels/{general}/invites", json={"max_age": 3600, "unique": True}).json()["code"]
    event = client.post(
        f"/guilds/{g}/scheduled-events",
        json={
            "name": "Voice hangout",
            "privacy_level": 2,
            "entity_type": 2,
            "channel_id": ids["voice"],
            "scheduled_start_time": soon,
        },
    ).json()["id"]
    message = f"/channels/{general}/messages/{sent}"
    calls = [
        ("GET", "/users/@me", {}),
        ("GET", f"/users/{ids['user_luis']}", {}),
        ("GET", "/users/@me/guilds", {"params": {"with_counts": "true"}}),
        ("POST", "/users/@me/channels", {"json": {"recipient_id": ids["user_ana"]}}),
        ("GET", f"/guilds/{g}", {"params": {"with_counts": "true"}}),
        ("GET", f"/guilds/{g}/channels", {}),
        ("GET", f"/channels/{new_channel}", {}),
        ("PATCH", f"/channels/{new_channel}", {"json": {"topic": "t"}}),
        ("DELETE", f"/channels/{new_channel}", {}),
        ("GET", f"/channels/{general}/messages", {"params": {"around": ids["message"], "limit": 5}}),
        ("GET", f"/channels/{general}/messages/{ids['reply_message']}", {}),
        ("GET", f"/channels/{general}/messages/{ids['reacted_message']}", {}),
        ("PATCH", message, {"json": {"content": "edited"}}),
        ("PUT", f"{message}/reactions/{THUMBS_UP}/@me", {}),
        ("GET", f"{message}/reactions/{THUMBS_UP}", {}),
        ("DELETE", f"{message}/reactions/{THUMBS_UP}/@me", {}),
        ("PUT", f"/channels/{general}/messages/pins/{sent}", {}),
        ("GET", f"/channels/{general}/messages/pins", {"params": {"limit": 50}}),
        ("DELETE", f"/channels/{general}/messages/pins/{sent}", {}),
        ("GET", f"/guilds/{g}/messages/search", {"params": {"content": "deploy"}}),
        ("POST", f"/channels/{general}/messages/{ids['message']}/threads", {"json": {"name": "t"}}),
        ("POST", f"/channels/{ids['forum']}/threads", {"json": {"name": "p", "message": {"content": "x"}}}),
        ("PATCH", f"/channels/{ids['thread']}", {"json": {"archived": True}}),
        ("GET", f"/guilds/{g}/threads/active", {}),
        ("GET", f"/guilds/{g}/roles", {}),
        ("PATCH", f"/guilds/{g}/roles/{role}", {"json": {"name": "Tmp2"}}),
        ("PUT", f"/guilds/{g}/members/{ids['user_bob']}/roles/{role}", {}),
        ("DELETE", f"/guilds/{g}/members/{ids['user_bob']}/roles/{role}", {}),
        ("DELETE", f"/guilds/{g}/roles/{role}", {}),
        ("GET", f"/guilds/{g}/members", {"params": {"limit": 1000}}),
        ("GET", f"/guilds/{g}/members/search", {"params": {"query": "a", "limit": 10}}),
        ("GET", f"/guilds/{g}/members/{ids['user_luis']}", {}),
        (
            "PATCH",
            f"/guilds/{g}/members/{ids['user_bob']}",
            {"json": {"nick": "B", "communication_disabled_until": soon}},
        ),
        ("PATCH", f"/guilds/{g}/members/@me", {"json": {"nick": "Gateway"}}),
        ("DELETE", f"/channels/{general}/messages/{ids['reply_message']}", {}),
        ("GET", f"/guilds/{g}/bans", {}),
        ("GET", f"/guilds/{g}/bans/{ids['user_spammer']}", {}),
        ("PUT", f"/guilds/{g}/bans/{ids['user_ana']}", {"json": {"delete_message_seconds": 3600}}),
        ("DELETE", f"/guilds/{g}/bans/{ids['user_ana']}", {}),
        ("DELETE", f"/guilds/{g}/members/{ids['user_bob']}", {}),
        ("GET", f"/channels/{general}/webhooks", {}),
        ("GET", f"/guilds/{g}/webhooks", {}),
        ("GET", f"/webhooks/{hook['id']}", {}),
        ("PATCH", f"/webhooks/{hook['id']}", {"json": {"name": "H2"}}),
        ("POST", f"/webhooks/{hook['id']}/{hook['token']}", {"params": {"wait": "true"}, "json": {"content": "w"}}),
        ("DELETE", f"/webhooks/{hook['id']}", {}),
        ("GET", f"/guilds/{g}/invites", {}),
        ("GET", f"/channels/{general}/invites", {}),
        ("GET", f"/invites/{code}", {"params": {"with_counts": "true"}}),
        ("DELETE", f"/invites/{code}", {}),
        ("GET", f"/guilds/{g}/scheduled-events", {"params": {"with_user_count": "true"}}),
        ("GET", f"/guilds/{g}/scheduled-events/{ids['event']}", {}),
        ("PATCH", f"/guilds/{g}/scheduled-events/{event}", {"json": {"status": 4}}),
        ("GET", f"/guilds/{g}/scheduled-events/{ids['event']}/users", {"params": {"with_member": "true"}}),
        ("DELETE", f"/guilds/{g}/scheduled-events/{event}", {}),
        ("POST", f"/channels/{general}/messages/bulk-delete", {"json": {"messages": [sent, ids["message"]]}}),
        ("GET", f"/guilds/{g}/audit-logs", {"params": {"limit": 100}}),
        ("GET", f"/guilds/{g}/emojis", {}),
        ("GET", f"/guilds/{g}/auto-moderation/rules", {}),
        # Error answers have a documented shape too.
        ("GET", f"/channels/{general}/messages/1234567890123456789", {}),
        ("GET", f"/guilds/{ids['foreign_guild']}/roles", {}),
    ]
    mismatches = []
    for method, path, options in calls:
        answer = client.request(method, path, **options)
        record = fake.requests[-1]
        assert answer.status_code < 500, (method, path, answer.text)
        assert fake.bot_token not in answer.text
        operation = fake.spec.operation(method, record["template"])
        mismatches += fake.spec.check_response(operation, answer.status_code, answer.json() if answer.content else None)
    assert not mismatches, "\n".join(mismatches)
    assert not fake.unhandled
    failures = [(r["method"], r["path"], r["status"]) for r in fake.requests if r["status"] >= 400]
    assert [status for _, _, status in failures] == [404, 403], failures


# ---- HTTP behaviour and the fixture ------------------------------------------------------------


def test_keep_alive_content_length_and_quick_stop():
    fake = DiscordFake(spec_path=False).start()
    headers = {"Authorization": f"Bot {fake.bot_token}", "User-Agent": USER_AGENT}
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        for path in ("/api/v10/users/@me", f"/api/v10/channels/{fake.ids['general']}"):
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            body = answer.read()
            assert answer.status == 200 and int(answer.getheader("Content-Length")) == len(body)
        message = f"/api/v10/channels/{fake.ids['general']}/messages/{fake.ids['message']}"
        connection.request("PUT", f"{message}/reactions/{THUMBS_UP}/@me", headers=headers)
        answer = connection.getresponse()
        assert answer.status == 204 and answer.read() == b""
        connection.request("GET", "/api/v10/users/@me", headers=headers)  # same connection after a 204
        assert connection.getresponse().status == 200
        started = time.monotonic()
        fake.stop()  # with the connection still open
        assert time.monotonic() - started < 2
    finally:
        connection.close()
        fake.stop()


def test_fixture_helper_fails_on_violations():
    fake = DiscordFake(spec_path=False)
    assert violations_report(fake) is None
    assert_no_violations(fake)
    fake.violations.append("[auth] no Authorization header (GET /users/@me)")
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_no_violations(fake)
    assert "no Authorization header" in str(failure.value) and "1 time(s)" in str(failure.value)
    fake.violations.clear()
    fake.errors.append("GET /users/@me: KeyError('x') at routes_users.py:1")
    with pytest.raises(pytest.fail.Exception, match="fake Discord itself failed"):
        assert_no_violations(fake)
