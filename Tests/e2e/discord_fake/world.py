"""The fake's state, and the JSON shapes Discord answers with.

State is kept in plain dicts keyed by id, mostly already in Discord's shape, so tests can read effects
directly (e.g. `fake.world.messages[channel_id]`). Things whose shape depends on who asks or on other
tables (reactions, members, invites, guild counts) are rendered by the `*_object` methods.
All access happens under DiscordFake.lock.
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass, field
from typing import Any

from . import permissions
from .snowflakes import SnowflakeFactory, created_at, iso

CHANNEL_TEXT, CHANNEL_DM, CHANNEL_VOICE, CHANNEL_CATEGORY, CHANNEL_ANNOUNCEMENT = 0, 1, 2, 4, 5
THREAD_ANNOUNCEMENT, THREAD_PUBLIC, THREAD_PRIVATE, CHANNEL_FORUM = 10, 11, 12, 15
THREAD_TYPES = {THREAD_ANNOUNCEMENT, THREAD_PUBLIC, THREAD_PRIVATE}
MESSAGE_CHANNEL_TYPES = {CHANNEL_TEXT, CHANNEL_DM, CHANNEL_VOICE, CHANNEL_ANNOUNCEMENT} | THREAD_TYPES


def user_object(user_id: str, username: str, global_name: str | None, bot: bool = False) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": user_id,
        "username": username,
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "global_name": global_name,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if bot:
        user["bot"] = True
    return user


@dataclass
class World:
    snowflakes: SnowflakeFactory
    rng: random.Random
    bot_id: str = ""
    users: dict[str, dict] = field(default_factory=dict)
    guilds: dict[str, dict] = field(default_factory=dict)
    channels: dict[str, dict] = field(default_factory=dict)
    # channel id -> messages, oldest first, in Discord's shape (reactions are kept apart, see below)
    messages: dict[str, list[dict]] = field(default_factory=dict)
    # message id -> emoji key ("👍" or "name:id") -> user ids, in the order they reacted
    reactions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # channel id -> [(message id, pinned_at epoch seconds)], oldest pin first
    pins: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    roles: dict[str, dict[str, dict]] = field(default_factory=dict)  # guild id -> role id -> role
    members: dict[str, dict[str, dict]] = field(default_factory=dict)  # guild id -> user id -> member, no "user"
    bans: dict[str, dict[str, dict]] = field(default_factory=dict)  # guild id -> user id -> {"user_id", "reason"}
    webhooks: dict[str, dict] = field(default_factory=dict)  # id -> webhook as Discord returns it to the bot
    invites: dict[str, dict] = field(default_factory=dict)  # code -> internal record
    events: dict[str, dict] = field(default_factory=dict)  # id -> scheduled event (no user_count)
    event_users: dict[str, list[str]] = field(default_factory=dict)  # event id -> interested user ids
    emojis: dict[str, dict[str, dict]] = field(default_factory=dict)  # guild id -> emoji id -> emoji
    automod_rules: dict[str, dict[str, dict]] = field(default_factory=dict)  # guild id -> rule id -> rule
    audit_log: dict[str, list[dict]] = field(default_factory=dict)  # guild id -> entries, oldest first
    thread_members: dict[str, dict[str, float]] = field(default_factory=dict)  # thread id -> user id -> joined
    dm_channels: dict[str, str] = field(default_factory=dict)  # recipient id -> DM channel id
    user_emails: dict[str, str] = field(default_factory=dict)  # user id -> email (shown with the email scope)
    denied: set[str] = field(default_factory=set)  # permissions taken from the bot (deny_permission)
    guild_search_enabled: bool = True

    # ---- ids and lookups -------------------------------------------------------------------------

    def new_id(self, at: float | None = None) -> str:
        return self.snowflakes.make(at)

    def random_token(self, length: int) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    @property
    def bot(self) -> dict:
        return self.users[self.bot_id]

    def bot_in(self, guild_id: str) -> bool:
        return self.bot_id in self.members.get(guild_id, {})

    def message(self, channel_id: str, message_id: str) -> dict | None:
        for message in self.messages.get(channel_id, []):
            if message["id"] == message_id:
                return message
        return None

    def find_message(self, message_id: str) -> dict | None:
        for messages in self.messages.values():
            for message in messages:
                if message["id"] == message_id:
                    return message
        return None

    def guild_channels(self, guild_id: str, threads: bool = False) -> list[dict]:
        return [
            c
            for c in self.channels.values()
            if c.get("guild_id") == guild_id and (threads or c["type"] not in THREAD_TYPES)
        ]

    # ---- permissions -------------------------------------------------------------------------------

    def member_permissions(self, guild_id: str, user_id: str) -> int:
        """A member's guild-level ("base") permissions, as Discord computes them: @everyone's bits and the
        member's roles' bits; the owner, and whoever has ADMINISTRATOR, has every permission. 0 for non-members."""
        member = self.members.get(guild_id, {}).get(user_id)
        if member is None:
            return 0
        if self.guilds[guild_id]["owner_id"] == user_id:
            return permissions.ALL
        roles = self.roles.get(guild_id, {})
        value = roles[guild_id]["permissions_int"] if guild_id in roles else 0
        for role_id in member["roles"]:
            if role_id in roles:
                value |= roles[role_id]["permissions_int"]
        if value & permissions.FLAGS["ADMINISTRATOR"]:
            return permissions.ALL
        return value

    def bot_permissions(self, guild_id: str) -> int:
        """The bot's guild-level permissions: its roles' bits, less what deny_permission took away."""
        value = self.member_permissions(guild_id, self.bot_id)
        for name in self.denied:
            value &= ~permissions.FLAGS[name]
        return value

    def bot_can(self, guild_id: str | None, name: str) -> bool:
        if guild_id is None:  # DMs: no permissions apply
            return name not in self.denied
        return bool(self.bot_permissions(guild_id) & permissions.FLAGS[name])

    def top_role_position(self, guild_id: str, user_id: str) -> int:
        member = self.members.get(guild_id, {}).get(user_id)
        roles = self.roles.get(guild_id, {})
        if member is None:
            return 0
        return max([roles[r]["position"] for r in member["roles"] if r in roles] or [0])

    # ---- rendering ---------------------------------------------------------------------------------

    def role_object(self, role: dict) -> dict:
        return {k: v for k, v in role.items() if k != "permissions_int"}

    def member_object(self, guild_id: str, user_id: str, with_permissions: bool = False) -> dict:
        member = dict(self.members[guild_id][user_id])
        member["user"] = self.users[user_id]
        if with_permissions:
            member["permissions"] = str(self.bot_permissions(guild_id))
        return member

    def guild_object(self, guild_id: str, with_counts: bool = False) -> dict:
        guild = dict(self.guilds[guild_id])
        guild["roles"] = [self.role_object(r) for r in self.roles.get(guild_id, {}).values()]
        guild["emojis"] = list(self.emojis.get(guild_id, {}).values())
        if with_counts:
            count = len(self.members.get(guild_id, {}))
            guild["approximate_member_count"] = count
            guild["approximate_presence_count"] = max(1, count // 2)
        return guild

    def partial_guild_object(self, guild_id: str, with_counts: bool = False, user_id: str | None = None) -> dict:
        """A guild in /users/@me/guilds: as the bot sees it, or (user_id) as that user sees it."""
        guild = self.guilds[guild_id]
        viewer = user_id or self.bot_id
        partial = {
            "id": guild_id,
            "name": guild["name"],
            "icon": guild["icon"],
            "banner": guild["banner"],
            "owner": guild["owner_id"] == viewer,
            "permissions": str(
                self.bot_permissions(guild_id) if user_id is None else self.member_permissions(guild_id, user_id)
            ),
            "features": guild["features"],
        }
        if with_counts:
            count = len(self.members.get(guild_id, {}))
            partial["approximate_member_count"] = count
            partial["approximate_presence_count"] = max(1, count // 2)
        return partial

    def message_object(self, message: dict, with_reference: bool = True) -> dict:
        rendered = dict(message)
        reactions = self.reactions.get(message["id"])
        if reactions:
            rendered["reactions"] = [self.reaction_object(emoji, users) for emoji, users in reactions.items() if users]
        if with_reference and message.get("message_reference") and message["type"] == 19:
            ref = message["message_reference"]
            referenced = self.message(ref["channel_id"], ref.get("message_id", ""))
            rendered["referenced_message"] = (
                self.message_object(referenced, with_reference=False) if referenced else None
            )
        return rendered

    def reaction_object(self, emoji: str, users: list[str]) -> dict:
        if ":" in emoji:
            name, emoji_id = emoji.split(":", 1)
            emoji_json: dict[str, Any] = {"id": emoji_id, "name": name}
        else:
            emoji_json = {"id": None, "name": emoji}
        return {
            "emoji": emoji_json,
            "count": len(users),
            "count_details": {"burst": 0, "normal": len(users)},
            "burst_colors": [],
            "me_burst": False,
            "me": self.bot_id in users,
        }

    def webhook_object(self, webhook: dict) -> dict:
        return dict(webhook)

    def invite_object(self, code: str, with_metadata: bool, with_counts: bool = False) -> dict:
        invite = self.invites[code]
        guild = self.guilds[invite["guild_id"]]
        channel = self.channels[invite["channel_id"]]
        body: dict[str, Any] = {
            "type": 0,
            "code": code,
            "inviter": self.users[invite["inviter_id"]],
            "expires_at": iso(invite["created_at"] + invite["max_age"]) if invite["max_age"] else None,
            "flags": 0,
            "guild": {
                "id": guild["id"],
                "name": guild["name"],
                "splash": None,
                "banner": None,
                "description": guild["description"],
                "icon": None,
                "features": guild["features"],
                "verification_level": guild["verification_level"],
                "vanity_url_code": None,
                "nsfw_level": guild["nsfw_level"],
                "nsfw": guild["nsfw"],
                "premium_subscription_count": 0,
            },
            "guild_id": guild["id"],
            "channel": {"id": channel["id"], "type": channel["type"], "name": channel["name"]},
        }
        if with_metadata:
            body.update(
                uses=invite["uses"],
                max_uses=invite["max_uses"],
                max_age=invite["max_age"],
                temporary=invite["temporary"],
                created_at=iso(invite["created_at"]),
            )
        if with_counts:
            count = len(self.members.get(guild["id"], {}))
            body["approximate_member_count"] = count
            body["approximate_presence_count"] = max(1, count // 2)
        return body

    def event_object(self, event: dict, with_user_count: bool = False) -> dict:
        body = dict(event)
        if with_user_count:
            body["user_count"] = len(self.event_users.get(event["id"], []))
        return body

    def thread_member_object(self, thread_id: str, user_id: str) -> dict:
        return {
            "id": thread_id,
            "user_id": user_id,
            "join_timestamp": iso(self.thread_members[thread_id][user_id]),
            "flags": 1 if user_id == self.bot_id else 0,
        }

    # ---- changes -----------------------------------------------------------------------------------

    def add_message(
        self,
        channel_id: str,
        author: dict,
        content: str = "",
        at: float | None = None,
        embeds: list[dict] | None = None,
        reference: dict | None = None,
        webhook_id: str | None = None,
        message_type: int | None = None,
        message_id: str | None = None,
    ) -> dict:
        message_id = message_id or self.new_id(at)
        channel = self.channels[channel_id]
        mentions, mention_roles = self._mentions(channel.get("guild_id"), content)
        message: dict[str, Any] = {
            "type": message_type if message_type is not None else (19 if reference else 0),
            "content": content,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": [],
            "embeds": [self._embed(e) for e in embeds or []],
            "timestamp": iso(created_at(message_id)),
            "edited_timestamp": None,
            "flags": 0,
            "components": [],
            "id": message_id,
            "channel_id": channel_id,
            "author": author,
            "pinned": False,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "tts": False,
        }
        if reference:
            message["message_reference"] = reference
        if webhook_id:
            message["webhook_id"] = webhook_id
        self.messages.setdefault(channel_id, []).append(message)
        self.messages[channel_id].sort(key=lambda m: int(m["id"]))
        channel["last_message_id"] = max(channel.get("last_message_id") or "0", message_id, key=int)
        if channel["type"] in THREAD_TYPES:
            channel["message_count"] = channel.get("message_count", 0) + 1
            channel["total_message_sent"] = channel.get("total_message_sent", 0) + 1
        return message

    def edit_message(self, message: dict, content: str | None, embeds: list[dict] | None) -> None:
        if content is not None:
            message["content"] = content
            guild_id = self.channels[message["channel_id"]].get("guild_id")
            message["mentions"], message["mention_roles"] = self._mentions(guild_id, content)
        if embeds is not None:
            message["embeds"] = [self._embed(e) for e in embeds]
        message["edited_timestamp"] = iso(time.time())

    def remove_message(self, message: dict) -> None:
        channel_id = message["channel_id"]
        self.messages[channel_id] = [m for m in self.messages[channel_id] if m["id"] != message["id"]]
        self.reactions.pop(message["id"], None)
        self.pins[channel_id] = [(m, at) for m, at in self.pins.get(channel_id, []) if m != message["id"]]

    def _mentions(self, guild_id: str | None, content: str) -> tuple[list[dict], list[str]]:
        users, roles = [], []
        for user_id, user in self.users.items():
            if f"<@{user_id}>" in content or f"<@!{user_id}>" in content:
                users.append(user)
        for role_id in self.roles.get(guild_id or "", {}):
            if f"<@&{role_id}>" in content:
                roles.append(role_id)
        return users, roles

    @staticmethod
    def _embed(embed: dict) -> dict:
        rendered = {k: v for k, v in embed.items() if v is not None}
        rendered.setdefault("type", "rich")
        return rendered

    def audit(
        self,
        guild_id: str,
        action_type: int,
        target_id: str | None,
        reason: str | None,
        changes: list[dict] | None = None,
        options: dict | None = None,
        user_id: str | None = None,
    ) -> dict:
        """Appends an audit log entry as Discord would for a change made by the bot."""
        entry: dict[str, Any] = {
            "id": self.new_id(),
            "user_id": user_id or self.bot_id,
            "target_id": target_id,
            "action_type": action_type,
        }
        if changes:
            entry["changes"] = changes
        if options:
            entry["options"] = options
        if reason is not None:
            entry["reason"] = reason
        self.audit_log.setdefault(guild_id, []).append(entry)
        return entry


def changes_between(before: dict, after: dict, keys: list[str]) -> list[dict]:
    """Audit log `changes` for the keys whose value differs."""
    out = []
    for key in keys:
        if before.get(key) != after.get(key):
            change: dict[str, Any] = {"key": key}
            if key in before and before[key] is not None:
                change["old_value"] = before[key]
            if key in after and after[key] is not None:
                change["new_value"] = after[key]
            out.append(change)
    return out
