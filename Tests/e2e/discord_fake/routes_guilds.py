"""/guilds/{guild_id}: the guild, its channels, emojis, auto-moderation rules and audit log."""

from __future__ import annotations

from . import errors, shapes
from .context import Context
from .routing import Response, ok, route
from .world import CHANNEL_CATEGORY, THREAD_TYPES

CREATABLE_CHANNEL_TYPES = {0, 2, 4, 5, 13, 14, 15}
CHANNEL_FIELDS = [
    "name",
    "type",
    "topic",
    "nsfw",
    "rate_limit_per_user",
    "parent_id",
    "position",
    "bitrate",
    "user_limit",
]


@route("GET", "/guilds/{guild_id}")
def get_guild(ctx: Context) -> Response:
    ctx.guild()
    return ok(ctx.world.guild_object(ctx.params["guild_id"], ctx.query_bool("with_counts")))


@route("GET", "/guilds/{guild_id}/channels")
def list_guild_channels(ctx: Context) -> Response:
    ctx.guild()
    channels = ctx.world.guild_channels(ctx.params["guild_id"])
    return ok(sorted(channels, key=lambda c: (c["position"], int(c["id"]))))


def check_channel_name(ctx: Context, name: object, required: bool) -> None:
    if name is None and not required:
        return
    if not isinstance(name, str):
        raise ctx.limit_error(["name"], "BASE_TYPE_REQUIRED", "This field is required")
    if not 1 <= len(name) <= 100:
        raise ctx.limit_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def check_parent(ctx: Context, guild_id: str, parent_id: object) -> None:
    if parent_id is None:
        return
    parent = ctx.world.channels.get(str(parent_id))
    if parent is None or parent.get("guild_id") != guild_id or parent["type"] != CHANNEL_CATEGORY:
        raise errors.field_error(["parent_id"], "CHANNEL_PARENT_INVALID", "Category does not exist.")


def overwrites_from(ctx: Context, raw: object) -> list[dict]:
    if not isinstance(raw, list):
        raise ctx.limit_error(
            ["permission_overwrites"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType."
        )
    out = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or "id" not in item:
            raise ctx.limit_error(
                ["permission_overwrites", index, "id"], "BASE_TYPE_REQUIRED", "This field is required"
            )
        out.append(
            shapes.overwrite(
                str(item["id"]), int(item.get("type") or 0), int(item.get("allow") or 0), int(item.get("deny") or 0)
            )
        )
    return out


@route("POST", "/guilds/{guild_id}/channels")
def create_guild_channel(ctx: Context) -> Response:
    guild = ctx.guild()
    gid = guild["id"]
    ctx.require(gid, "MANAGE_CHANNELS")
    body = ctx.body()
    check_channel_name(ctx, body.get("name"), required=True)
    channel_type = body.get("type") or 0
    if channel_type not in CREATABLE_CHANNEL_TYPES:
        raise ctx.limit_error(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(CREATABLE_CHANNEL_TYPES)}.")
    topic = body.get("topic")
    if isinstance(topic, str) and len(topic) > (4096 if channel_type == 15 else 1024):
        raise ctx.limit_error(
            ["topic"], "BASE_TYPE_MAX_LENGTH", f"Must be {4096 if channel_type == 15 else 1024} or fewer in length."
        )
    check_parent(ctx, gid, body.get("parent_id"))
    overwrites = overwrites_from(ctx, body["permission_overwrites"]) if body.get("permission_overwrites") else []
    if overwrites:
        ctx.require(gid, "MANAGE_ROLES")
    siblings = ctx.world.guild_channels(gid)
    position = body.get("position")
    channel = shapes.channel(
        ctx.world,
        gid,
        body["name"],
        channel_type,
        position if isinstance(position, int) else max([c["position"] for c in siblings] or [0]) + 1,
        parent_id=body.get("parent_id"),
        topic=topic,
        overwrites=overwrites,
        nsfw=bool(body.get("nsfw")),
        rate_limit_per_user=body.get("rate_limit_per_user") or 0,
    )
    if channel_type == 15 and body.get("available_tags"):
        channel["available_tags"] = [
            {
                "id": ctx.world.new_id(),
                "name": t.get("name", ""),
                "moderated": bool(t.get("moderated")),
                "emoji_id": t.get("emoji_id"),
                "emoji_name": t.get("emoji_name"),
            }
            for t in body["available_tags"]
            if isinstance(t, dict)
        ]
    ctx.world.channels[channel["id"]] = channel
    ctx.world.audit(
        gid,
        10,
        channel["id"],
        ctx.reason,
        changes=[{"key": k, "new_value": channel[k]} for k in CHANNEL_FIELDS if channel.get(k) is not None],
    )
    return ok(channel, 201)


@route("GET", "/guilds/{guild_id}/emojis")
def list_guild_emojis(ctx: Context) -> Response:
    guild = ctx.guild()
    return ok(list(ctx.world.emojis.get(guild["id"], {}).values()))


@route("GET", "/guilds/{guild_id}/auto-moderation/rules")
def list_auto_moderation_rules(ctx: Context) -> Response:
    guild = ctx.guild()
    ctx.require(guild["id"], "MANAGE_GUILD")
    return ok(list(ctx.world.automod_rules.get(guild["id"], {}).values()))


@route("GET", "/guilds/{guild_id}/audit-logs")
def list_guild_audit_log_entries(ctx: Context) -> Response:
    guild = ctx.guild()
    gid = guild["id"]
    ctx.require(gid, "VIEW_AUDIT_LOG")
    limit = ctx.query_int("limit", 50, 1, 100)
    user_id, target_id = ctx.query_snowflake("user_id"), ctx.query_snowflake("target_id")
    before, after = ctx.query_snowflake("before"), ctx.query_snowflake("after")
    action = ctx.query("action_type")
    action_type = ctx.query_int("action_type", 0, 1, 1000) if action is not None else None
    entries = ctx.world.audit_log.get(gid, [])
    entries = [
        e
        for e in entries
        if (user_id is None or e["user_id"] == user_id)
        and (target_id is None or e["target_id"] == target_id)
        and (action_type is None or e["action_type"] == action_type)
        and (before is None or int(e["id"]) < int(before))
        and (after is None or int(e["id"]) > int(after))
    ]
    entries.sort(key=lambda e: int(e["id"]), reverse=True)
    page = entries[-limit:] if after and not before else entries[:limit]
    world = ctx.world
    mentioned = {e["user_id"] for e in page} | {e["target_id"] for e in page}
    return ok(
        {
            "audit_log_entries": page,
            "users": [world.users[u] for u in sorted(mentioned, key=lambda x: int(x or 0)) if u in world.users],
            "integrations": [],
            # Audit logs list webhooks without their secrets.
            "webhooks": [
                {k: v for k, v in world.webhooks[w].items() if k not in ("token", "url")}
                for w in mentioned
                if w in world.webhooks
            ],
            "guild_scheduled_events": [world.event_object(world.events[e]) for e in mentioned if e in world.events],
            "threads": [
                world.channels[t]
                for t in mentioned
                if t in world.channels and world.channels[t]["type"] in THREAD_TYPES
            ],
            "application_commands": [],
            "auto_moderation_rules": [],
        }
    )
