"""Every Discord tool, through the real gateway and the MCP SDK client, against the Discord fake."""

from __future__ import annotations

import time

import pytest

from discord_fake import DiscordFake
from discord_helpers import PREFIX, discord_gateway

EXPECTED_TOOLS = 62


@pytest.fixture(scope="module")
def discord(tmp_path_factory):
    fake = DiscordFake().start()
    try:
        with discord_gateway(tmp_path_factory.mktemp("discord"), fake, allow_dms="true") as setup:
            yield setup
    finally:
        fake.stop()


@pytest.fixture(autouse=True)
def no_violations(discord):
    """Nothing the gateway sends may break Discord's rules or its OpenAPI description."""
    discord.fake.clear_violations()
    yield
    assert discord.fake.violations == [], "\n".join(discord.fake.violations)


def messages(fake: DiscordFake, channel: str) -> list[dict]:
    return fake.world.messages.get(channel, [])


def test_every_tool_is_listed_with_schema_and_annotations(discord):
    tools = discord.run(lambda s: s.tools())
    mine = [t for t in tools if t.name.startswith(PREFIX)]
    assert len(mine) == EXPECTED_TOOLS, sorted(t.name for t in mine)
    by_name = {t.name[len(PREFIX):]: t for t in mine}
    assert by_name["read_messages"].annotations.read_only_hint is True
    assert by_name["delete_channel"].annotations.destructive_hint is True
    assert by_name["send_message"].annotations.destructive_hint is False
    assert all(t.annotations.open_world_hint for t in mine)
    assert "confirmation" in by_name["ban_member"].input_schema["properties"]
    assert "dry_run" in by_name["send_message"].input_schema["properties"]


def test_guild_tools(discord):
    ids = discord.fake.ids

    async def body(s):
        guilds = await s.call("list_guilds")
        assert "Test Guild" in guilds.text and "Other Guild" in guilds.text and "Foreign" not in guilds.text
        guild = await s.call("get_guild", guild="Test Guild")
        assert ids["guild"] in guild.text and guild.structured["guild"]["id"] == ids["guild"]

    discord.run(body)


def test_channel_tools(discord):
    ids, fake = discord.fake.ids, discord.fake

    async def body(s):
        listed = await s.call("list_channels", guild=ids["guild"])
        assert "#general" in listed.text and "#support" in listed.text, listed
        got = await s.call("get_channel", channel=ids["support"])
        assert "Ask for help here" in got.text
        created = await s.call("create_channel", guild=ids["guild"], name="team-only", type="text", private=True,
                               allow_roles=["Moderator"], category="Info", topic="For the team")
        assert not created.is_error, created
        new_id = created.structured["channel"]["id"]
        channel = fake.world.channels[new_id]
        assert channel["parent_id"] == ids["category"] and channel["topic"] == "For the team"
        overwrites = {o["id"]: o for o in channel["permission_overwrites"]}
        assert overwrites[ids["guild"]]["deny"] == str(1 << 10) and ids["role_moderator"] in overwrites
        edited = await s.call("edit_channel", channel=new_id, name="team", slowmode_seconds=10)
        assert not edited.is_error and fake.world.channels[new_id]["name"] == "team", edited
        await s.confirmed("set_channel_permissions", channel=new_id, target="@Luis", allow=["SEND_MESSAGES"],
                          deny=["ADD_REACTIONS"])
        overwrite = {o["id"]: o for o in fake.world.channels[new_id]["permission_overwrites"]}[ids["user_luis"]]
        assert overwrite["type"] == 1 and overwrite["allow"] == str(1 << 11) and overwrite["deny"] == str(1 << 6)
        await s.confirmed("delete_channel_permissions", channel=new_id, target=ids["user_luis"])
        assert ids["user_luis"] not in {o["id"] for o in fake.world.channels[new_id]["permission_overwrites"]}
        await s.confirmed("delete_channel", channel=new_id, reason="cleanup after test")
        assert new_id not in fake.world.channels
        assert any(e["action_type"] == 12 and e.get("reason") == "cleanup after test"
                   for e in fake.world.audit_log[ids["guild"]])

    discord.run(body)


def test_message_tools(discord):
    ids, fake = discord.fake.ids, discord.fake

    async def body(s):
        read = await s.call("read_messages", channel="#general", guild="Test Guild", limit=5)
        assert not read.is_error and len(read.structured["messages"]) == 5, read
        around = await s.call("read_messages", channel=ids["general"], around=ids["pinned_message"], limit=3)
        assert ids["pinned_message"] in {m["id"] for m in around.structured["messages"]}
        one = await s.call("get_message", channel=ids["general"], message_id=ids["message"])
        assert "release checklist" in one.text
        sent = await s.call("send_message", channel=ids["support"], content="Hello from the gateway",
                            reply_to=fake.world.messages[ids["support"]][-1]["id"],
                            embeds=[{"title": "Status", "description": "all good"}])
        assert not sent.is_error, sent
        message_id = sent.structured["message"]["id"]
        stored = messages(fake, ids["support"])[-1]
        assert stored["content"] == "Hello from the gateway" and stored["embeds"][0]["title"] == "Status"
        assert stored["message_reference"]["message_id"]
        edited = await s.call("edit_message", channel=ids["support"], message_id=message_id, content="Edited text")
        assert not edited.is_error and messages(fake, ids["support"])[-1]["content"] == "Edited text"
        await s.confirmed("delete_message", channel=ids["support"], message_id=message_id)
        assert message_id not in {m["id"] for m in messages(fake, ids["support"])}
        batch = [(await s.call("send_message", channel=ids["support"], content=f"batch {n}")).structured["message"]["id"]
                 for n in range(3)]
        await s.confirmed("bulk_delete_messages", channel=ids["support"], message_ids=batch)
        assert not set(batch) & {m["id"] for m in messages(fake, ids["support"])}

    discord.run(body)


def test_search_uses_discords_search_then_falls_back_to_a_scan(discord):
    ids, fake = discord.fake.ids, discord.fake

    async def body(s):
        found = await s.call("search_messages", guild=ids["guild"], query="deploy", limit=10)
        assert not found.is_error and found.structured["method"] == "search", found
        assert found.structured["messages"] and all("deploy" in m["content"].lower() for m in found.structured["messages"])
        by_ana = await s.call("search_messages", guild=ids["guild"], query="deploy", author="Ana")
        assert {m["author"]["id"] for m in by_ana.structured["messages"]} == {ids["user_ana"]}, by_ana
        fake.disable_guild_search()
        scanned = await s.call("search_messages", guild=ids["guild"], query="release", channel="general")
        assert not scanned.is_error and scanned.structured["method"] == "scan", scanned
        assert scanned.structured["messages"] and all("release" in m["content"].lower()
                                                      for m in scanned.structured["messages"])

    discord.run(body)


def test_reaction_and_pin_tools(discord):
    ids, fake = discord.fake.ids, discord.fake
    target = ids["message"]

    async def body(s):
        added = await s.call("add_reaction", channel=ids["general"], message_id=target, emoji="👍")
        assert not added.is_error and ids["bot"] in fake.world.reactions[target]["👍"], added
        listed = await s.call("list_reactions", channel=ids["general"], message_id=target, emoji="👍")
        assert ids["bot"] in {u["id"] for u in listed.structured["users"]}
        custom = await s.call("add_reaction", channel=ids["general"], message_id=target,
                              emoji=f"shipit:{ids['emoji_shipit']}")
        assert not custom.is_error, custom
        removed = await s.call("remove_reaction", channel=ids["general"], message_id=target, emoji="👍")
        assert not removed.is_error and ids["bot"] not in fake.world.reactions[target].get("👍", [])
        others = await s.call("remove_reaction", channel=ids["general"], message_id=ids["reacted_message"], emoji="🎉",
                              member="Luis")
        assert not others.is_error and ids["user_luis"] not in fake.world.reactions[ids["reacted_message"]].get("🎉", [])
        pins = await s.call("list_pins", channel=ids["general"])
        assert ids["pinned_message"] in {m["id"] for m in pins.structured["messages"]}
        pinned = await s.call("pin_message", channel=ids["general"], message_id=target)
        assert not pinned.is_error and target in {p[0] for p in fake.world.pins[ids["general"]]}
        unpinned = await s.call("unpin_message", channel=ids["general"], message_id=target)
        assert not unpinned.is_error and target not in {p[0] for p in fake.world.pins[ids["general"]]}

    discord.run(body)


def test_thread_and_forum_tools(discord):
    ids, fake = discord.fake.ids, discord.fake

    async def body(s):
        thread = await s.call("create_thread", channel=ids["general"], name="from-a-message", message_id=ids["message"],
                              auto_archive_minutes=1440)
        assert not thread.is_error, thread
        standalone = await s.call("create_thread", channel=ids["support"], name="private-help", private=True)
        assert not standalone.is_error and standalone.structured["thread"]["type"] == 12, standalone
        active = await s.call("list_active_threads", guild=ids["guild"])
        assert "from-a-message" in active.text and "deploy-discussion" in active.text
        thread_id = thread.structured["thread"]["id"]
        archived = await s.call("archive_thread", channel=thread_id, lock=True)
        assert not archived.is_error and fake.world.channels[thread_id]["thread_metadata"]["archived"] is True
        post = await s.call("create_forum_post", channel="ideas", guild=ids["guild"], title="Keyboard shortcuts",
                            content="Please add shortcuts", tags=["feature"])
        assert not post.is_error, post
        post_id = post.structured["thread"]["id"]
        assert fake.world.channels[post_id]["applied_tags"] == [ids["tag_feature"]]
        assert messages(fake, post_id)[0]["content"] == "Please add shortcuts"

    discord.run(body)


def test_role_tools(discord):
    ids, fake = discord.fake.ids, discord.fake
    guild = ids["guild"]

    async def body(s):
        roles = await s.call("list_roles", guild=guild)
        assert "@Moderator" in roles.text
        created = await s.confirmed("create_role", guild=guild, name="Helpers", permissions=["MANAGE_MESSAGES"],
                                    color="#00ff00", mentionable=True)
        role_id = created.structured["role"]["id"]
        role = fake.world.roles[guild][role_id]
        assert role["permissions"] == str(1 << 13) and role["color"] == 0x00FF00
        await s.confirmed("edit_role", guild=guild, role="Helpers", name="Helpers+", hoist=True)
        assert fake.world.roles[guild][role_id]["name"] == "Helpers+"
        await s.confirmed("add_member_role", guild=guild, member="@ana", role=role_id)
        assert role_id in fake.world.members[guild][ids["user_ana"]]["roles"]
        await s.confirmed("remove_member_role", guild=guild, member=ids["user_ana"], role="Helpers+")
        assert role_id not in fake.world.members[guild][ids["user_ana"]]["roles"]
        await s.confirmed("delete_role", guild=guild, role=role_id)
        assert role_id not in fake.world.roles[guild]

    discord.run(body)


def test_member_tools(discord):
    ids, fake = discord.fake.ids, discord.fake
    guild = ids["guild"]

    async def body(s):
        listed = await s.call("list_members", guild=guild, limit=50)
        assert "Luis" in listed.text and "Moderator" in listed.text, listed
        member = await s.call("get_member", guild=guild, member="Luis (mod)")
        assert member.structured["member"]["user"]["id"] == ids["user_luis"]
        found = await s.call("search_members", guild=guild, query="bo")
        assert ids["user_bob"] in {m["user"]["id"] for m in found.structured["members"]}
        nick = await s.call("set_nickname", guild=guild, member="bob", nickname="Bobby")
        assert not nick.is_error and fake.world.members[guild][ids["user_bob"]]["nick"] == "Bobby"
        await s.confirmed("timeout_member", guild=guild, member=ids["user_bob"], minutes=30)
        assert fake.world.members[guild][ids["user_bob"]]["communication_disabled_until"]
        ended = await s.call("remove_timeout", guild=guild, member=ids["user_bob"])
        assert not ended.is_error and fake.world.members[guild][ids["user_bob"]]["communication_disabled_until"] is None
        bans = await s.call("list_bans", guild=guild)
        assert "Spamming invite links" in bans.text
        await s.confirmed("ban_member", guild=guild, member="Bobby", delete_message_days=1, reason="test ban")
        assert ids["user_bob"] in fake.world.bans[guild] and ids["user_bob"] not in fake.world.members[guild]
        await s.confirmed("unban_member", guild=guild, user_id=ids["user_bob"])
        assert ids["user_bob"] not in fake.world.bans[guild]
        await s.confirmed("kick_member", guild=guild, member="ana")
        assert ids["user_ana"] not in fake.world.members[guild]

    discord.run(body)


def test_webhook_tools_never_show_a_secret(discord):
    ids, fake = discord.fake.ids, discord.fake
    seen: list[str] = []

    async def body(s):
        async def call(tool, confirmed=False, **arguments):
            answer = await (s.confirmed if confirmed else s.call)(tool, **arguments)
            seen.append(answer.text + repr(answer.structured))
            return answer

        listed = await call("list_webhooks", channel=ids["general"])
        assert "Deploy Notifier" in listed.text
        await call("list_webhooks", guild=ids["guild"])
        created = await call("create_webhook", confirmed=True, channel=ids["support"], name="Alerts")
        hook_id = created.structured["webhook"]["id"]
        assert fake.world.webhooks[hook_id]["token"]
        edited = await call("edit_webhook", webhook_id=hook_id, name="Alerts v2", channel="announcements",
                            guild=ids["guild"])
        assert not edited.is_error and fake.world.webhooks[hook_id]["channel_id"] == ids["announcements"]
        posted = await call("execute_webhook", webhook_id=ids["webhook"], content="Deployed 2.4", username="CI")
        assert not posted.is_error and messages(fake, ids["general"])[-1]["content"] == "Deployed 2.4", posted
        await call("delete_webhook", confirmed=True, webhook_id=hook_id)
        assert hook_id not in fake.world.webhooks
        return fake.world.webhooks[ids["webhook"]]["token"], created

    token, created = discord.run(body)
    secrets = [token] + [h["token"] for h in fake.world.webhooks.values() if h.get("token")]
    for text in seen:
        for secret in secrets:
            assert secret not in text, text
        assert "/webhooks/" not in text, text
    logs = discord.gw.logs()
    assert not any(secret in logs for secret in secrets)


def test_invite_tools(discord):
    ids, fake = discord.fake.ids, discord.fake

    async def body(s):
        listed = await s.call("list_invites", guild=ids["guild"])
        assert ids["invite_code"] in listed.text
        got = await s.call("get_invite", code=f"https://discord.gg/{ids['invite_code']}")
        assert not got.is_error and "Test Guild" in got.text, got
        created = await s.confirmed("create_invite", channel=ids["general"], max_age_seconds=3600, max_uses=5)
        code = created.structured["invite"]["code"]
        assert fake.world.invites[code]["max_uses"] == 5
        await s.call("list_invites", channel=ids["general"])
        await s.confirmed("delete_invite", code=code)
        assert code not in fake.world.invites

    discord.run(body)


def test_event_tools(discord):
    ids, fake = discord.fake.ids, discord.fake
    guild = ids["guild"]
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3 * 86400))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3 * 86400 + 3600))

    async def body(s):
        listed = await s.call("list_events", guild=guild)
        assert "Release Party" in listed.text
        got = await s.call("get_event", guild=guild, event_id=ids["event"])
        assert "Office rooftop" in got.text
        users = await s.call("list_event_users", guild=guild, event_id=ids["event"])
        assert ids["user_luis"] in users.text
        created = await s.call("create_event", guild=guild, name="Retro", start_time=start, end_time=end,
                               location="Room 4", description="Sprint retro")
        assert not created.is_error, created
        event_id = created.structured["event"]["id"]
        in_voice = await s.call("create_event", guild=guild, name="Voice hangout", start_time=start, channel="Voice Chat")
        assert not in_voice.is_error and in_voice.structured["event"]["entity_type"] == 2, in_voice
        edited = await s.call("edit_event", guild=guild, event_id=event_id, name="Retrospective", status="canceled")
        assert not edited.is_error and fake.world.events[event_id]["name"] == "Retrospective", edited
        await s.confirmed("delete_event", guild=guild, event_id=event_id)
        assert event_id not in fake.world.events

    discord.run(body)


def test_audit_log_emoji_automod_dm_and_resolve(discord):
    ids, fake = discord.fake.ids, discord.fake

    async def body(s):
        log = await s.call("read_audit_log", guild=ids["guild"], action_type="member_ban_add")
        assert "Spamming invite links" in log.text and "member_ban_add" in log.text, log
        by_owner = await s.call("read_audit_log", guild=ids["guild"], user=ids["user_owner"], limit=10)
        assert not by_owner.is_error and by_owner.structured["audit_log_entries"]
        emojis = await s.call("list_emojis", guild=ids["guild"])
        assert "shipit" in emojis.text
        rules = await s.call("list_automod_rules", guild=ids["guild"])
        assert "Block bad words" in rules.text
        dm = await s.call("send_dm", guild=ids["guild"], member="Luis", content="Hi Luis, a private note")
        assert not dm.is_error, dm
        dm_channel = fake.world.dm_channels[ids["user_luis"]]
        assert messages(fake, dm_channel)[-1]["content"] == "Hi Luis, a private note"
        resolved = await s.call("resolve", guild=ids["guild"], name="#support")
        assert resolved.structured["matches"][0]["id"] == ids["support"]
        member = await s.call("resolve", guild=ids["guild"], name="@Luis", kind="member")
        assert member.structured["matches"][0]["id"] == ids["user_luis"]
        role = await s.call("resolve", guild=ids["guild"], name="moderator", kind="role")
        assert role.structured["matches"][0]["id"] == ids["role_moderator"]
        typo = await s.call("resolve", guild=ids["guild"], name="#suport")
        assert typo.is_error and "close matches: #support" in typo.text, typo

    discord.run(body)
