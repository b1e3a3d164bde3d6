"""The Discord backend's policy end to end: confirmation, the user's elicitation, allow-list, read-only, closed
channels, rate limits, secrets and the audit trail."""

from __future__ import annotations

import json
import sqlite3
import time

import anyio
import httpx2
import mcp_types as types
import pytest

from discord_fake import DiscordFake
from discord_helpers import PREFIX, discord_gateway
from gateway import run_until_exit
from mcp_helpers import MODERN, bearer, find_mcp_error

MODES = [MODERN, "legacy"]


@pytest.fixture(scope="module")
def fake():
    fake = DiscordFake().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_violations(fake):
    fake.clear_violations()
    yield
    assert fake.violations == [], "\n".join(fake.violations)


@pytest.fixture(scope="module")
def discord(fake, tmp_path_factory):
    with discord_gateway(tmp_path_factory.mktemp("policy"), fake) as setup:
        yield setup


def channel_ids(fake, guild: str) -> set[str]:
    return {c["id"] for c in fake.world.channels.values() if c.get("guild_id") == guild}


# ---- confirmation ---------------------------------------------------------------------------------


def test_a_destructive_call_plans_first_and_runs_only_with_its_confirmation(discord, fake):
    ids = fake.ids
    arguments = {"guild": ids["guild"], "member": ids["user_bob"], "minutes": 10}

    async def body(s):
        plan = await s.call("timeout_member", **arguments)
        assert not plan.is_error and plan.structured["executed"] is False, plan
        assert "time out" in plan.text and "Bob" in plan.text and "Dry run" in plan.text, plan.text
        assert fake.world.members[ids["guild"]][ids["user_bob"]].get("communication_disabled_until") is None
        token = plan.structured["confirmation"]
        other = await s.call("timeout_member", **{**arguments, "minutes": 20}, confirmation=token)
        assert other.is_error and "other arguments" in other.text, other
        wrong_tool = await s.call("kick_member", guild=ids["guild"], member=ids["user_bob"], confirmation=token)
        assert wrong_tool.is_error, wrong_tool
        done = await s.call("timeout_member", **arguments, confirmation=token)
        assert not done.is_error and done.structured["executed"] is True, done
        assert fake.world.members[ids["guild"]][ids["user_bob"]]["communication_disabled_until"]
        replay = await s.call("timeout_member", **arguments, confirmation=token)
        assert replay.is_error and "already used" in replay.text, replay
        forged = await s.call("timeout_member", **arguments, confirmation=token[:-4] + "AAAA")
        assert forged.is_error, forged
        await s.call("remove_timeout", guild=ids["guild"], member=ids["user_bob"])

    discord.run(body)
    patches = fake.requests_to("PATCH", "/guilds/{guild_id}/members/{user_id}")
    assert len([r for r in patches if r["json"].get("communication_disabled_until")]) == 1


def test_dry_run_of_a_plain_write_changes_nothing(discord, fake):
    ids = fake.ids
    before = len(fake.world.messages[ids["support"]])
    answer = discord.call("send_message", channel=ids["support"], content="not really", dry_run=True)
    assert not answer.is_error and answer.structured["dry_run"] is True and "not really" in answer.text
    assert len(fake.world.messages[ids["support"]]) == before
    assert not fake.requests_to("POST", "/channels/{channel_id}/messages")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("choice", ["accept", "decline"])
def test_a_client_with_elicitation_asks_its_user(discord, fake, mode, choice):
    ids = fake.ids
    asked: list[str] = []

    async def on_elicit(context, params: types.ElicitRequestParams):
        asked.append(params.message)
        if choice == "accept":
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")

    name = f"elicit-{mode}-{choice}"
    created = discord.call("create_thread", channel=ids["general"], name=name)
    thread = created.structured["thread"]["id"]

    async def body(s):
        return await s.call("delete_channel", channel=thread)

    answer = discord.run(body, mode, elicitation_callback=on_elicit)
    assert len(asked) == 1 and name in asked[0], asked
    assert "confirmation" not in answer.structured, answer
    if choice == "accept":
        assert not answer.is_error and answer.structured["executed"] is True, answer
        assert thread not in fake.world.channels
    else:
        assert not answer.is_error and answer.structured["executed"] is False and "declined" in answer.text, answer
        assert thread in fake.world.channels


# ---- Discord's limits and errors ------------------------------------------------------------------


def test_limits_are_checked_before_anything_is_sent(discord, fake):
    ids = fake.ids
    long = discord.call("send_message", channel=ids["support"], content="x" * 2001)
    assert long.is_error and "2000" in long.text, long
    old = discord.call("bulk_delete_messages", channel=ids["general"], message_ids=[ids["old_message"], ids["message"]])
    assert old.is_error and "14 days" in old.text, old
    bad_id = discord.call("get_message", channel=ids["general"], message_id="12ab")
    assert bad_id.is_error and "Discord id" in bad_id.text, bad_id
    too_long = discord.call("timeout_member", guild=ids["guild"], member=ids["user_bob"], minutes=40321)
    assert too_long.is_error, too_long
    assert not fake.requests_to("POST", "/channels/{channel_id}/messages")
    assert not fake.requests_to("POST", "/channels/{channel_id}/messages/bulk-delete")
    assert not fake.requests_to("GET", "/channels/{channel_id}/messages/{message_id}")


def test_a_missing_permission_is_explained(discord, fake):
    ids = fake.ids
    fake.deny_permission("BAN_MEMBERS")
    try:
        async def body(s):
            plan = await s.call("ban_member", guild=ids["guild"], member=ids["user_luis"])
            return await s.call("ban_member", guild=ids["guild"], member=ids["user_luis"],
                                confirmation=plan.structured["confirmation"])

        answer = discord.run(body)
    finally:
        fake.restore_permission("BAN_MEMBERS")
    assert answer.is_error and "lacks a permission" in answer.text and "50013" in answer.text, answer
    assert ids["user_luis"] not in fake.world.bans[ids["guild"]]


def test_a_burst_respects_the_rate_limit(discord, fake):
    ids = fake.ids
    fake.set_rate_limit("POST", "/channels/{channel_id}/messages", 3, 1.0)
    try:
        async def body(s):
            answers = []

            async def send(n):
                answers.append(await s.call("send_message", channel=ids["support"], content=f"burst {n}"))

            async with anyio.create_task_group() as group:
                for n in range(8):
                    group.start_soon(send, n)
            return answers

        answers = discord.run(body)
    finally:
        fake.set_rate_limit("POST", "/channels/{channel_id}/messages", 50, 1.0)
    assert all(not a.is_error for a in answers), [str(a) for a in answers if a.is_error]
    assert fake.past_limit_count == 0
    sent = {m["content"] for m in fake.world.messages[ids["support"]]}
    assert {f"burst {n}" for n in range(8)} <= sent


def test_a_long_retry_after_fails_the_call_clearly(discord, fake):
    ids = fake.ids
    fake.force_429("GET", "/channels/{channel_id}/messages", retry_after=60.0)
    started = time.monotonic()
    answer = discord.call("read_messages", channel=ids["announcements"])
    assert time.monotonic() - started < 10
    assert answer.is_error and "rate limit" in answer.text and "60 s" in answer.text, answer
    fake.clear_violations()  # the forced 429 is the fake's doing, not the gateway's


# ---- secrets and audit ----------------------------------------------------------------------------


def test_the_bot_token_is_in_no_answer_log_or_status(discord, fake):
    answers = [discord.call("list_guilds"), discord.call("get_channel", channel=fake.ids["foreign_channel"])]
    with httpx2.Client(timeout=10, trust_env=False) as http:
        status = http.get(discord.gw.url("/status"), headers=bearer(discord.token)).text
    discord_status = next(b for b in json.loads(status)["backends"] if b["name"] == "discord")
    assert discord_status["state"] == "up" and discord_status["transport"] == "discord"
    everything = status + discord.gw.logs() + "".join(a.text + repr(a.structured) for a in answers)
    assert fake.bot_token not in everything
    assert fake.bot_token.split(".")[-1] not in everything


def test_executed_writes_are_audited_with_client_result_and_status(discord, fake):
    ids = fake.ids
    discord.call("add_reaction", channel=ids["general"], message_id=ids["message"], emoji="🎉", reason="audit check")
    database = discord.gw.workdir / "gateway.sqlite"
    row = None
    for _ in range(50):
        with sqlite3.connect(database, timeout=10) as db:
            row = db.execute(
                "SELECT client_id, tool, outcome, arguments, result, upstream_status FROM audit_events "
                "WHERE backend='discord' AND tool='add_reaction' ORDER BY id DESC LIMIT 1").fetchone()
        if row:
            break
        time.sleep(0.1)
    assert row, "no audit row"
    client_id, tool, outcome, arguments, result, status = row
    assert client_id == discord.client_id and outcome == "ok" and status == 204, row
    assert "audit check" in arguments and result.startswith("Reacted with 🎉"), row


# ---- allow-list, read-only, closed channels --------------------------------------------------------


def test_the_allow_list_hides_and_protects_every_other_guild(fake, tmp_path):
    ids = fake.ids
    with discord_gateway(tmp_path, fake, name="allow-list gateway", allowed_guild_ids=ids["guild"]) as setup:
        guilds = setup.call("list_guilds")
        assert "Test Guild" in guilds.text and "Other Guild" not in guilds.text
        refused = [
            setup.call("get_guild", guild=ids["other_guild"]),
            setup.call("read_messages", channel=ids["other_general"]),
            setup.call("send_message", channel=ids["other_general"], content="sneaky"),
            setup.call("list_channels", guild="Other Guild"),
        ]
        for answer in refused:
            assert answer.is_error and ("DISCORD_ALLOWED_GUILD_IDS" in answer.text or "no server" in answer.text), answer
        # Names resolve without `guild`: only one server is left.
        assert not setup.call("read_messages", channel="#general").is_error
    assert not [r for r in fake.requests if r["method"] != "GET" and ids["other_guild"] in r["path"]]
    assert "sneaky" not in {m["content"] for m in fake.world.messages[ids["other_general"]]}


def test_read_only_lists_no_writes_and_refuses_them(fake, tmp_path):
    ids = fake.ids
    with discord_gateway(tmp_path, fake, name="read-only gateway", read_only="true") as setup:
        names = {t.name for t in setup.run(lambda s: s.tools())}
        assert PREFIX + "read_messages" in names and PREFIX + "send_message" not in names
        assert PREFIX + "delete_channel" not in names
        before = len(fake.requests)
        # A tool that is not listed does not exist for the client: the call is refused as an unknown tool.
        with pytest.raises(BaseException) as raised:
            setup.call("send_message", channel=ids["support"], content="should not go")
        error = find_mcp_error(raised.value)
        assert error and error.code == -32602 and "Unknown tool: discord__send_message" in error.message, raised.value
        assert not [r for r in fake.requests[before:] if r["method"] != "GET"]


def test_a_closed_channel_is_neither_read_nor_written_nor_listed(fake, tmp_path):
    ids = fake.ids
    with discord_gateway(tmp_path, fake, name="deny-list gateway", denied_channel_ids=ids["secret"]) as setup:
        for answer in (setup.call("read_messages", channel=ids["secret"]),
                       setup.call("send_message", channel="#secret", guild=ids["guild"], content="leak"),
                       setup.call("get_message", channel=ids["secret"],
                                  message_id=fake.world.messages[ids["secret"]][0]["id"])):
            assert answer.is_error and "DISCORD_DENIED_CHANNEL_IDS" in answer.text, answer
        listed = setup.call("list_channels", guild=ids["guild"])
        assert "#secret" not in listed.text and "#general" in listed.text
        found = setup.call("search_messages", guild=ids["guild"], query="launch")
        assert not any(m["channel_id"] == ids["secret"] for m in found.structured["messages"]), found
    assert not fake.requests_to("GET", "/channels/{channel_id}/messages") or all(
        ids["secret"] not in r["path"] for r in fake.requests_to("GET", "/channels/{channel_id}/messages"))


def test_without_required_confirmation_a_destructive_call_runs_at_once(fake, tmp_path):
    ids = fake.ids
    with discord_gateway(tmp_path, fake, name="no-confirmation gateway", require_confirmation="false") as setup:
        sent = setup.call("send_message", channel=ids["support"], content="to be deleted")
        message = sent.structured["message"]["id"]
        deleted = setup.call("delete_message", channel=ids["support"], message_id=message)
        assert not deleted.is_error and deleted.structured["executed"] is True, deleted
    assert message not in {m["id"] for m in fake.world.messages[ids["support"]]}


# ---- configuration --------------------------------------------------------------------------------


def test_a_refused_token_shows_the_backend_down_without_the_token(fake, tmp_path):
    wrong = fake.bot_token[:-6] + "abcdef"
    try:
        with discord_gateway(tmp_path, fake, name="wrong-token gateway", bot_token=wrong) as setup:
            with httpx2.Client(timeout=10, trust_env=False) as http:
                status = http.get(setup.gw.url("/status"), headers=bearer(setup.token)).json()
            backend = next(b for b in status["backends"] if b["name"] == "discord")
            assert backend["state"] == "down" and "bot token" in backend["last_error"], backend
            # Its tools are not listed; a call names the backend and why it is down.
            with pytest.raises(BaseException) as raised:
                setup.call("list_guilds")
            error = find_mcp_error(raised.value)
            assert error and "backend 'discord' is down" in error.message and "bot token" in error.message, raised.value
            assert wrong not in json.dumps(status) + setup.gw.logs() + error.message
    finally:
        # The fake records the wrong token as an [auth] violation: that is this test's doing.
        assert all(v.startswith("[auth]") for v in fake.violations), fake.violations
        fake.clear_violations()


def test_two_bots_each_under_their_own_prefix(fake, tmp_path):
    ids = fake.ids
    backends = tmp_path / "backends.json"
    backends.write_text(json.dumps({"backends": {
        "team-a": {"type": "discord", "prefix": "a", "token": "${BOT_A}", "api_base_url": fake.base_url,
                   "allowed_guild_ids": [ids["guild"]]},
        "team-b": {"type": "discord", "prefix": "b", "token": "${BOT_B}", "api_base_url": fake.base_url,
                   "allowed_guild_ids": [ids["other_guild"]], "read_only": True},
    }}))
    extra = {"BACKENDS_FILE": str(backends), "BOT_A": fake.bot_token, "BOT_B": fake.bot_token}
    with discord_gateway(tmp_path / "gw", fake, name="two-bot gateway", extra=extra, bot_token=None) as setup:
        names = {t.name for t in setup.run(lambda s: s.tools())}
        assert "a__send_message" in names and "b__list_guilds" in names and "b__send_message" not in names
        assert not any(n.startswith(PREFIX) for n in names)

        async def body(s):
            a = await s.client.call_tool("a__list_guilds", {})
            b = await s.client.call_tool("b__list_guilds", {})
            return a.content[0].text, b.content[0].text

        a, b = setup.run(body)
        assert "Test Guild" in a and "Other Guild" not in a
        assert "Other Guild" in b and "Test Guild" not in b


def test_a_wrong_discord_setting_refuses_to_start_and_names_it(fake, tmp_path):
    code, out, err = run_until_exit(tmp_path, {"DISCORD_BOT_TOKEN": fake.bot_token, "DISCORD_API_BASE_URL": fake.base_url,
                                               "DISCORD_ALLOWED_GUILD_IDS": "not-an-id"})
    assert code == 78 and "DISCORD_ALLOWED_GUILD_IDS" in out + err, out + err
    assert fake.bot_token not in out + err
    code, out, err = run_until_exit(tmp_path / "b", {"DISCORD_BOT_TOKEN": fake.bot_token,
                                                     "DISCORD_API_BASE_URL": "http://discord.example.com/api/v10"})
    assert code == 78 and "DISCORD_API_BASE_URL" in out + err and "https" in out + err, out + err
