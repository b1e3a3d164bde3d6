"""The seeded world: deterministic names and contents, random ids (exposed by name in `ids`)."""

from __future__ import annotations

import time

from . import permissions as perms
from . import shapes
from .snowflakes import iso
from .world import (
    CHANNEL_ANNOUNCEMENT,
    CHANNEL_CATEGORY,
    CHANNEL_FORUM,
    CHANNEL_TEXT,
    CHANNEL_VOICE,
    THREAD_PUBLIC,
    World,
    user_object,
)

DAY = 86400.0
HOUR = 3600.0

# (author, content) for #general, oldest first; one per hour up to a few minutes ago.
GENERAL_CHAT = [
    ("luis", "Morning all! Coffee is ready in the kitchen."),
    ("ana", "Has anyone seen the new dashboard designs?"),
    ("bob", "Yes, they look great. Nice work on the charts."),
    ("luis", "Reminder: standup moved to 10:30 today."),
    ("ana", "The deploy to staging finished without errors."),
    ("bob", "Nice! Any blockers for the release?"),
    ("owner", "Release notes draft is in the shared folder."),
    ("luis", "I will review the release notes after lunch."),
    ("ana", "Who owns the flaky login test?"),
    ("bob", "That's me, fixing it today."),
    ("luis", "Please don't deploy on Fridays, folks."),
    ("ana", "Agreed, we learned that the hard way."),
    ("bob", "Lunch order going out in 10 minutes."),
    ("owner", "Welcome to our two new interns!"),
    ("luis", "Welcome aboard :wave:"),
    ("ana", "The deploy pipeline is green again."),
    ("bob", "Can someone approve my pull request?"),
    ("luis", "Approved, merge when ready."),
    ("ana", "Release 2.3 is tagged and ready."),
    ("bob", "Who is on call this weekend?"),
    ("owner", "Ana is on call, Bob is backup."),
    ("luis", "Database migration ran in 4 minutes."),
    ("ana", "Deploy to production scheduled for Tuesday."),
    ("bob", "I'll write the release announcement."),
    ("luis", "Remember to update the changelog."),
    ("ana", "Changelog updated."),
    ("bob", "Thanks everyone for a smooth week!"),
    ("luis", "Can someone double-check the release checklist?"),
]


def seed(world: World) -> dict[str, str]:
    """Fills `world` and returns the well-known ids by name."""
    now = time.time()
    ids: dict[str, str] = {}
    year_ago = now - 365 * DAY

    def add_user(key: str, username: str, global_name: str | None, bot: bool = False) -> str:
        user_id = world.new_id(year_ago + len(world.users) * HOUR)
        world.users[user_id] = user_object(user_id, username, global_name, bot=bot)
        ids["bot" if bot else f"user_{key}"] = user_id
        return user_id

    world.bot_id = add_user("bot", "mcp-gateway", None, bot=True)
    owner = add_user("owner", "owner", "Olivia Owner")
    luis = add_user("luis", "luis", "Luis")
    ana = add_user("ana", "ana", "Ana")
    bob = add_user("bob", "bob", "Bob")
    spammer = add_user("spammer", "spammer", "Totally Legit")
    carol = add_user("carol", "carol", "Carol")
    frank = add_user("frank", "frank", "Frank")
    people = {"owner": owner, "luis": luis, "ana": ana, "bob": bob}

    # ---- Test Guild ----
    guild = shapes.guild(world, "Test Guild", owner, year_ago + DAY)
    gid = guild["id"]
    world.guilds[gid] = guild
    ids["guild"] = gid
    everyone = shapes.role(world, gid, "@everyone", perms.EVERYONE, 0, role_id=gid)
    member_role = shapes.role(world, gid, "Member", perms.MEMBER, 1, at=year_ago + 2 * DAY, color=0x3498DB)
    moderator = shapes.role(
        world,
        gid,
        "Moderator",
        perms.MODERATOR,
        2,
        at=year_ago + 2 * DAY,
        color=0xE67E22,
        hoist=True,
        mentionable=True,
    )
    bot_role = shapes.role(world, gid, "MCP Gateway", perms.BOT, 3, at=year_ago + 3 * DAY, managed_by_bot=world.bot_id)
    world.roles[gid] = {r["id"]: r for r in (everyone, member_role, moderator, bot_role)}
    ids.update(
        role_everyone=gid, role_member=member_role["id"], role_moderator=moderator["id"], role_bot=bot_role["id"]
    )
    world.members[gid] = {
        owner: shapes.member([moderator["id"]], year_ago + DAY),
        world.bot_id: shapes.member([bot_role["id"]], year_ago + 3 * DAY),
        luis: shapes.member([moderator["id"], member_role["id"]], year_ago + 4 * DAY, nick="Luis (mod)"),
        ana: shapes.member([member_role["id"]], year_ago + 5 * DAY),
        bob: shapes.member([member_role["id"]], year_ago + 6 * DAY),
    }

    def add_channel(key: str, name: str, channel_type: int, position: int, **kw) -> dict:
        channel = shapes.channel(world, gid, name, channel_type, position, at=year_ago + 2 * DAY + position, **kw)
        world.channels[channel["id"]] = channel
        ids[key] = channel["id"]
        return channel

    category = add_channel("category", "Info", CHANNEL_CATEGORY, 0)
    general = add_channel("general", "general", CHANNEL_TEXT, 1, parent_id=category["id"], topic="General chat")
    support = add_channel("support", "support", CHANNEL_TEXT, 2, parent_id=category["id"], topic="Ask for help here")
    announcements = add_channel("announcements", "announcements", CHANNEL_ANNOUNCEMENT, 3, parent_id=category["id"])
    view = perms.FLAGS["VIEW_CHANNEL"]
    secret = add_channel(
        "secret",
        "secret",
        CHANNEL_TEXT,
        4,
        topic="Moderators only",
        overwrites=[
            shapes.overwrite(gid, 0, 0, view),
            shapes.overwrite(moderator["id"], 0, view, 0),
            shapes.overwrite(bot_role["id"], 0, view, 0),
        ],
    )
    add_channel("voice", "Voice Chat", CHANNEL_VOICE, 5)
    forum = add_channel("forum", "ideas", CHANNEL_FORUM, 6, topic="Share your ideas")
    forum["available_tags"] = [
        {
            "id": world.new_id(year_ago + 3 * DAY),
            "name": name,
            "moderated": False,
            "emoji_id": None,
            "emoji_name": emoji,
        }
        for name, emoji in (("feature", "✨"), ("bug", "🐛"), ("question", "❓"))
    ]
    ids["tag_feature"], ids["tag_bug"], ids["tag_question"] = (t["id"] for t in forum["available_tags"])

    # #general: one old message, then a message an hour, the newest a few minutes ago.
    old = world.add_message(
        general["id"], world.users[bob], "Welcome to the server! Read the rules in #announcements.", at=now - 20 * DAY
    )
    ids["old_message"] = old["id"]
    general_messages = []
    for index, (who, content) in enumerate(GENERAL_CHAT):
        at = now - (len(GENERAL_CHAT) - index) * HOUR - 300
        general_messages.append(world.add_message(general["id"], world.users[people[who]], content, at=at))
    ids["message"] = general_messages[-1]["id"]
    bot_message = world.add_message(
        general["id"], world.bot, "Deploy bot online. Type !help for commands.", at=now - 200
    )
    ids["bot_message"] = bot_message["id"]
    reply = world.add_message(
        general["id"],
        world.users[ana],
        "I can do it in an hour.",
        at=now - 120,
        reference={"type": 0, "channel_id": general["id"], "message_id": ids["message"], "guild_id": gid},
    )
    ids["reply_message"] = reply["id"]
    for message in (general_messages[6], general_messages[22]):  # release notes, production deploy date
        message["pinned"] = True
        world.pins.setdefault(general["id"], []).append((message["id"], time.time() - 2 * HOUR))
    ids["pinned_message"] = general_messages[22]["id"]
    reacted = general_messages[18]  # "Release 2.3 is tagged and ready."
    ids["reacted_message"] = reacted["id"]

    emojis = [
        shapes.emoji(world, "shipit", owner, at=year_ago + 9 * DAY),
        shapes.emoji(world, "partyparrot", owner, at=year_ago + 10 * DAY, animated=True),
    ]
    world.emojis[gid] = {e["id"]: e for e in emojis}
    ids["emoji_shipit"], ids["emoji_partyparrot"] = emojis[0]["id"], emojis[1]["id"]
    world.reactions[reacted["id"]] = {
        "👍": [ana, bob],
        "🎉": [luis],
        f"shipit:{emojis[0]['id']}": [ana],
    }

    # A thread in #general and a forum post in #ideas.
    thread = shapes.thread(world, general, "deploy-discussion", THREAD_PUBLIC, luis, at=now - 5 * HOUR)
    world.channels[thread["id"]] = thread
    ids["thread"] = thread["id"]
    world.thread_members[thread["id"]] = {luis: now - 5 * HOUR, ana: now - 4 * HOUR}
    thread["member_count"] = 2
    world.add_message(thread["id"], world.users[luis], "Let's plan the production deploy here.", at=now - 5 * HOUR + 60)
    world.add_message(thread["id"], world.users[ana], "Tuesday 9:00 works for me.", at=now - 4 * HOUR)

    post_id = world.new_id(now - 3 * DAY)
    post = shapes.thread(
        world,
        forum,
        "Dark mode",
        THREAD_PUBLIC,
        ana,
        thread_id=post_id,
        applied_tags=[ids["tag_feature"]],
    )
    world.channels[post_id] = post
    world.thread_members[post_id] = {ana: now - 3 * DAY}
    post["member_count"] = 1
    # A forum post's first message has the same id as the post itself.
    world.add_message(post_id, world.users[ana], "Could we get a dark mode for the dashboard?", message_id=post_id)
    ids["forum_post"] = post_id

    for index, (who, content) in enumerate(
        (
            ("bob", "My build fails with 'permission denied' on the cache dir."),
            ("luis", "Try clearing ~/.cache and running again."),
            ("bob", "That fixed it, thanks!"),
        )
    ):
        world.add_message(support["id"], world.users[people[who]], content, at=now - (10 - index) * HOUR)
    world.add_message(
        announcements["id"], world.users[owner], "Release 2.3 is out! See #general for the notes.", at=now - 2 * DAY
    )
    world.add_message(secret["id"], world.users[owner], "The launch date is March 3rd. Keep it quiet.", at=now - DAY)

    hook = shapes.webhook(world, general, "Deploy Notifier", owner, at=year_ago + 20 * DAY)
    world.webhooks[hook["id"]] = hook
    ids["webhook"], ids["webhook_token"] = hook["id"], hook["token"]

    invite = shapes.invite(world, general, owner, max_age=0, at=now - 30 * DAY)
    invite["uses"] = 3
    world.invites[invite["code"]] = invite
    ids["invite_code"] = invite["code"]

    event = shapes.scheduled_event(
        world,
        gid,
        owner,
        {
            "name": "Release Party",
            "description": "Celebrating release 2.3",
            "scheduled_start_time": iso(now + 7 * DAY),
            "scheduled_end_time": iso(now + 7 * DAY + 2 * HOUR),
            "privacy_level": 2,
            "entity_type": 3,
            "entity_metadata": {"location": "Office rooftop"},
        },
        at=now - 2 * DAY,
    )
    world.events[event["id"]] = event
    world.event_users[event["id"]] = [luis, ana]
    ids["event"] = event["id"]

    rule = shapes.keyword_rule(world, gid, owner, "Block bad words", ["badword", "spoiler*"], at=year_ago + 30 * DAY)
    world.automod_rules[gid] = {rule["id"]: rule}
    ids["automod_rule"] = rule["id"]

    world.bans[gid] = {spammer: {"user_id": spammer, "reason": "Spamming invite links"}}
    world.audit(gid, 30, moderator["id"], None, user_id=owner, changes=[{"key": "name", "new_value": "Moderator"}])
    world.audit(
        gid,
        10,
        secret["id"],
        "Private channel for moderators",
        user_id=owner,
        changes=[{"key": "name", "new_value": "secret"}, {"key": "type", "new_value": 0}],
    )
    world.audit(
        gid,
        25,
        luis,
        None,
        user_id=owner,
        changes=[{"key": "$add", "new_value": [{"id": moderator["id"], "name": "Moderator"}]}],
    )
    world.audit(gid, 22, spammer, "Spamming invite links", user_id=owner)

    # ---- Other Guild (the bot is in it too) ----
    other = shapes.guild(world, "Other Guild", carol, year_ago + 40 * DAY)
    ogid = other["id"]
    world.guilds[ogid] = other
    other_bot_role = shapes.role(
        world, ogid, "MCP Gateway", perms.BOT, 1, at=year_ago + 41 * DAY, managed_by_bot=world.bot_id
    )
    world.roles[ogid] = {
        ogid: shapes.role(world, ogid, "@everyone", perms.EVERYONE, 0, role_id=ogid),
        other_bot_role["id"]: other_bot_role,
    }
    world.members[ogid] = {
        carol: shapes.member([], year_ago + 40 * DAY),
        world.bot_id: shapes.member([other_bot_role["id"]], year_ago + 41 * DAY),
    }
    other_general = shapes.channel(world, ogid, "general", CHANNEL_TEXT, 0, at=year_ago + 40 * DAY)
    world.channels[other_general["id"]] = other_general
    for index, content in enumerate(("Hi from the other guild!", "Anyone here?", "The deploy went fine here too.")):
        world.add_message(other_general["id"], world.users[carol], content, at=now - (3 - index) * HOUR)
    ids.update(other_guild=ogid, other_general=other_general["id"])

    # ---- Foreign Guild (the bot is NOT in it) ----
    foreign = shapes.guild(world, "Foreign Guild", frank, year_ago + 50 * DAY)
    fgid = foreign["id"]
    world.guilds[fgid] = foreign
    world.roles[fgid] = {fgid: shapes.role(world, fgid, "@everyone", perms.EVERYONE, 0, role_id=fgid)}
    world.members[fgid] = {frank: shapes.member([], year_ago + 50 * DAY)}
    foreign_general = shapes.channel(world, fgid, "general", CHANNEL_TEXT, 0, at=year_ago + 50 * DAY)
    world.channels[foreign_general["id"]] = foreign_general
    world.add_message(foreign_general["id"], world.users[frank], "Nothing to see here.", at=now - HOUR)
    ids.update(foreign_guild=fgid, foreign_channel=foreign_general["id"])
    return ids
