"""/channels/{channel_id}: read, change and delete channels and threads; permission overwrites."""

from __future__ import annotations

import time

from . import errors, shapes
from .context import Context
from .routes_guilds import CHANNEL_FIELDS, check_channel_name, check_parent, overwrites_from
from .routing import Response, no_content, ok, route
from .snowflakes import iso
from .world import CHANNEL_DM, THREAD_TYPES, changes_between

THREAD_FIELDS = [
    "name",
    "archived",
    "locked",
    "auto_archive_duration",
    "rate_limit_per_user",
    "invitable",
    "applied_tags",
]
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


@route("GET", "/channels/{channel_id}")
def get_channel(ctx: Context) -> Response:
    return ok(ctx.channel())


@route("PATCH", "/channels/{channel_id}")
def update_channel(ctx: Context) -> Response:
    channel = ctx.channel()
    if channel["type"] == CHANNEL_DM:
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    if channel["type"] in THREAD_TYPES:
        return _update_thread(ctx, channel)
    gid = channel["guild_id"]
    ctx.require(gid, "MANAGE_CHANNELS")
    body = ctx.body()
    check_channel_name(ctx, body.get("name"), required=False)
    if "parent_id" in body:
        check_parent(ctx, gid, body["parent_id"])
    before = dict(channel)
    if "permission_overwrites" in body:
        ctx.require(gid, "MANAGE_ROLES")
        channel["permission_overwrites"] = overwrites_from(ctx, body["permission_overwrites"] or [])
    for key in (
        "name",
        "topic",
        "nsfw",
        "rate_limit_per_user",
        "parent_id",
        "position",
        "bitrate",
        "user_limit",
        "default_auto_archive_duration",
        "flags",
    ):
        if key in body and (body[key] is not None or key in ("topic", "parent_id")):
            channel[key] = body[key]
    if body.get("type") in (0, 5) and channel["type"] in (0, 5):
        channel["type"] = body["type"]
    if channel["type"] == 15 and isinstance(body.get("available_tags"), list):
        channel["available_tags"] = [
            {
                "id": str(t.get("id") or ctx.world.new_id()),
                "name": t.get("name", ""),
                "moderated": bool(t.get("moderated")),
                "emoji_id": t.get("emoji_id"),
                "emoji_name": t.get("emoji_name"),
            }
            for t in body["available_tags"]
            if isinstance(t, dict)
        ]
    changes = changes_between(before, channel, CHANNEL_FIELDS)
    ctx.world.audit(gid, 11, channel["id"], ctx.reason, changes=changes or None)
    return ok(channel)


def _update_thread(ctx: Context, thread: dict) -> Response:
    gid = thread["guild_id"]
    body = ctx.body()
    metadata = thread["thread_metadata"]
    if "locked" in body or thread.get("owner_id") != ctx.world.bot_id:
        ctx.require(gid, "MANAGE_THREADS")
    if metadata["locked"] and metadata["archived"] and body.get("archived") is not False:
        raise errors.error(400, 50083, "Thread is archived")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 100):
        raise ctx.limit_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        raise ctx.limit_error(
            ["auto_archive_duration"], "BASE_TYPE_CHOICES", f"Value must be one of {ARCHIVE_DURATIONS}."
        )
    before = {**thread, **metadata}
    if name is not None:
        thread["name"] = name
    if body.get("rate_limit_per_user") is not None:
        thread["rate_limit_per_user"] = body["rate_limit_per_user"]
    if duration is not None:
        metadata["auto_archive_duration"] = duration
    if body.get("archived") is not None and body["archived"] != metadata["archived"]:
        metadata["archived"] = bool(body["archived"])
        metadata["archive_timestamp"] = iso(time.time())
    if body.get("locked") is not None:
        metadata["locked"] = bool(body["locked"])
    if body.get("invitable") is not None and thread["type"] == 12:
        metadata["invitable"] = bool(body["invitable"])
    if body.get("applied_tags") is not None:
        parent = ctx.world.channels.get(thread.get("parent_id") or "")
        thread["applied_tags"] = check_tags(ctx, parent, body["applied_tags"])
    changes = changes_between(before, {**thread, **metadata}, THREAD_FIELDS)
    ctx.world.audit(gid, 111, thread["id"], ctx.reason, changes=changes or None)
    return ok(thread)


def check_tags(ctx: Context, forum: dict | None, tags: object) -> list[str]:
    """applied_tags: at most 5, each one of the forum's available tags."""
    if not isinstance(tags, list):
        raise ctx.limit_error(["applied_tags"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
    if len(tags) > 5:
        raise ctx.limit_error(["applied_tags"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    known = {t["id"] for t in (forum or {}).get("available_tags", [])}
    for index, tag in enumerate(tags):
        if str(tag) not in known:
            raise errors.field_error(
                ["applied_tags", index], "BASE_TYPE_CHOICES", "Value must be one of the channel's available tags."
            )
    return [str(t) for t in tags]


@route("DELETE", "/channels/{channel_id}")
def delete_channel(ctx: Context) -> Response:
    channel = ctx.channel()
    world = ctx.world
    if channel["type"] == CHANNEL_DM:
        return ok(channel)  # closing a DM
    gid = channel["guild_id"]
    is_thread = channel["type"] in THREAD_TYPES
    ctx.require(gid, "MANAGE_THREADS" if is_thread else "MANAGE_CHANNELS")
    doomed = [channel["id"]] + [
        c["id"] for c in world.channels.values() if c.get("parent_id") == channel["id"] and c["type"] in THREAD_TYPES
    ]
    for channel_id in doomed:
        for message in list(world.messages.get(channel_id, [])):
            world.remove_message(message)
        world.messages.pop(channel_id, None)
        world.pins.pop(channel_id, None)
        world.channels.pop(channel_id, None)
        world.thread_members.pop(channel_id, None)
    for child in world.channels.values():
        if child.get("parent_id") == channel["id"]:
            child["parent_id"] = None
    # A deleted channel's webhooks and invites go with it.
    for hook_id in [w for w, hook in world.webhooks.items() if hook["channel_id"] in doomed]:
        del world.webhooks[hook_id]
    for code in [c for c, invite in world.invites.items() if invite["channel_id"] in doomed]:
        del world.invites[code]
    world.audit(
        gid,
        112 if is_thread else 12,
        channel["id"],
        ctx.reason,
        changes=[{"key": "name", "old_value": channel["name"]}, {"key": "type", "old_value": channel["type"]}],
    )
    return ok(channel)


@route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
def set_channel_permission_overwrite(ctx: Context) -> Response:
    channel = ctx.channel()
    if channel["type"] == CHANNEL_DM or channel["type"] in THREAD_TYPES:
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    gid = channel["guild_id"]
    ctx.require(gid, "MANAGE_ROLES")
    body = ctx.body()
    target = ctx.params["overwrite_id"]
    kind = body.get("type")
    if kind not in (0, 1, "0", "1"):
        raise ctx.limit_error(["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 1).")
    kind = int(kind)
    if kind == 0:
        role = ctx.role(gid, target)
    else:
        ctx.member(gid, target)
        role = None
    values = {}
    for key in ("allow", "deny"):
        value = body.get(key)
        if value is not None and not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise ctx.limit_error([key], "NUMBER_TYPE_COERCE", f'Value "{str(value)[:40]}" is not int.')
        values[key] = int(value or 0)
    new = shapes.overwrite(target, kind, values["allow"], values["deny"])
    existing = next((o for o in channel["permission_overwrites"] if o["id"] == target), None)
    options = {"id": target, "type": str(kind)}
    if role is not None:
        options["role_name"] = role["name"]
    if existing:
        changes = changes_between(existing, new, ["allow", "deny"])
        existing.update(new)
        ctx.world.audit(gid, 14, channel["id"], ctx.reason, changes=changes or None, options=options)
    else:
        channel["permission_overwrites"].append(new)
        ctx.world.audit(
            gid,
            13,
            channel["id"],
            ctx.reason,
            options=options,
            changes=[
                {"key": "id", "new_value": target},
                {"key": "type", "new_value": kind},
                {"key": "allow", "new_value": new["allow"]},
                {"key": "deny", "new_value": new["deny"]},
            ],
        )
    return no_content()


@route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
def delete_channel_permission_overwrite(ctx: Context) -> Response:
    channel = ctx.channel()
    if channel["type"] == CHANNEL_DM or channel["type"] in THREAD_TYPES:
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    gid = channel["guild_id"]
    ctx.require(gid, "MANAGE_ROLES")
    target = ctx.params["overwrite_id"]
    existing = next((o for o in channel["permission_overwrites"] if o["id"] == target), None)
    if existing is None:
        raise errors.unknown("overwrite")
    channel["permission_overwrites"].remove(existing)
    options = {"id": target, "type": str(existing["type"])}
    role = ctx.world.roles.get(gid, {}).get(target)
    if role:
        options["role_name"] = role["name"]
    ctx.world.audit(
        gid,
        15,
        channel["id"],
        ctx.reason,
        options=options,
        changes=[
            {"key": "allow", "old_value": existing["allow"]},
            {"key": "deny", "old_value": existing["deny"]},
        ],
    )
    return no_content()
