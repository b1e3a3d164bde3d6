"""Messages: list, read, send, edit, delete, and bulk delete."""

from __future__ import annotations

import time
from typing import Any

from . import errors
from .context import Context
from .routing import Response, no_content, ok, route
from .snowflakes import created_at, iso
from .world import MESSAGE_CHANNEL_TYPES, THREAD_TYPES

CONTENT_MAX = 2000
EMBEDS_MAX = 10
BULK_DELETE_MAX_AGE = 14 * 86400
SENDABLE_KEYS = ("content", "embeds", "sticker_ids", "components", "poll", "attachments")


def check_message_body(ctx: Context, body: dict, path: list[str | int] | None = None, creating: bool = True) -> None:
    """Discord's documented limits for message content and embeds; and that a new message isn't empty."""
    path = path or []
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise ctx.limit_error(path + ["content"], "BASE_TYPE_STRING", "Could not interpret value as string.")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        raise ctx.limit_error(path + ["content"], "BASE_TYPE_MAX_LENGTH", f"Must be {CONTENT_MAX} or fewer in length.")
    embeds = body.get("embeds")
    if embeds is not None and not isinstance(embeds, list):
        raise ctx.limit_error(path + ["embeds"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
    if isinstance(embeds, list) and len(embeds) > EMBEDS_MAX:
        raise ctx.limit_error(path + ["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
    if creating and not any(body.get(k) for k in SENDABLE_KEYS):
        raise errors.error(400, 50006, "Cannot send an empty message")


def writable_channel(ctx: Context, channel: dict) -> None:
    """Sending into this channel: its type, thread state, and the bot's permissions."""
    if channel["type"] not in MESSAGE_CHANNEL_TYPES:
        raise errors.error(400, 50008, "Cannot send messages in a non-text channel")
    gid = channel.get("guild_id")
    if channel["type"] in THREAD_TYPES:
        ctx.require(gid, "SEND_MESSAGES_IN_THREADS")
        metadata = channel["thread_metadata"]
        if metadata["locked"]:
            raise errors.error(400, 160005, "Thread is locked")
        if metadata["archived"]:  # sending into an archived thread unarchives it
            metadata["archived"] = False
            metadata["archive_timestamp"] = iso(time.time())
    else:
        ctx.require(gid, "SEND_MESSAGES")


def render(ctx: Context, message: dict) -> dict:
    return ctx.world.message_object(message)


@route("GET", "/channels/{channel_id}/messages")
def list_messages(ctx: Context) -> Response:
    channel = ctx.channel()
    limit = ctx.query_int("limit", 50, 1, 100)
    around, before, after = (ctx.query_snowflake(k) for k in ("around", "before", "after"))
    if not ctx.world.bot_can(channel.get("guild_id"), "READ_MESSAGE_HISTORY"):
        return ok([])  # Discord answers an empty list without READ_MESSAGE_HISTORY
    messages = sorted(ctx.world.messages.get(channel["id"], []), key=lambda m: int(m["id"]))
    if around:
        index = next((i for i, m in enumerate(messages) if int(m["id"]) >= int(around)), len(messages))
        start = max(0, index - limit // 2)
        page = messages[start : start + limit]
    elif after:
        page = [m for m in messages if int(m["id"]) > int(after)][:limit]
    elif before:
        page = [m for m in messages if int(m["id"]) < int(before)][-limit:]
    else:
        page = messages[-limit:]
    return ok([render(ctx, m) for m in reversed(page)])


@route("GET", "/channels/{channel_id}/messages/{message_id}")
def get_message(ctx: Context) -> Response:
    channel = ctx.channel()
    ctx.require(channel.get("guild_id"), "READ_MESSAGE_HISTORY")
    return ok(render(ctx, ctx.message(channel["id"])))


@route("POST", "/channels/{channel_id}/messages")
def create_message(ctx: Context) -> Response:
    channel = ctx.channel()
    body = ctx.body()
    check_message_body(ctx, body)
    writable_channel(ctx, channel)
    reference = message_reference(ctx, channel, body.get("message_reference"))
    message = ctx.world.add_message(
        channel["id"],
        ctx.world.bot,
        body.get("content") or "",
        embeds=body.get("embeds"),
        reference=reference,
    )
    if body.get("tts"):
        message["tts"] = True
    if isinstance(body.get("flags"), int):
        message["flags"] = body["flags"] & (1 << 2 | 1 << 12)  # SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS
    if body.get("nonce") is not None:
        message["nonce"] = body["nonce"]
    return ok(render(ctx, message))


def message_reference(ctx: Context, channel: dict, raw: Any) -> dict | None:
    if not raw:
        return None
    if not isinstance(raw, dict) or not raw.get("message_id"):
        raise ctx.limit_error(["message_reference", "message_id"], "BASE_TYPE_REQUIRED", "This field is required")
    ctx.require(channel.get("guild_id"), "READ_MESSAGE_HISTORY")
    channel_id = str(raw.get("channel_id") or channel["id"])
    target = ctx.world.message(channel_id, str(raw["message_id"]))
    if target is None or channel_id != channel["id"]:
        if raw.get("fail_if_not_exists") is False:
            return None
        raise errors.field_error(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
    reference = {"type": 0, "channel_id": channel_id, "message_id": target["id"]}
    if channel.get("guild_id"):
        reference["guild_id"] = channel["guild_id"]
    return reference


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
def update_message(ctx: Context) -> Response:
    channel = ctx.channel()
    message = ctx.message(channel["id"])
    body = ctx.body()
    check_message_body(ctx, body, creating=False)
    if message["author"]["id"] != ctx.world.bot_id or message.get("webhook_id"):
        raise errors.error(403, 50005, "Cannot edit a message authored by another user")
    ctx.world.edit_message(message, body.get("content"), body.get("embeds"))
    if isinstance(body.get("flags"), int):
        message["flags"] = body["flags"] & (1 << 2)
    return ok(render(ctx, message))


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
def delete_message(ctx: Context) -> Response:
    channel = ctx.channel()
    message = ctx.message(channel["id"])
    gid = channel.get("guild_id")
    own = message["author"]["id"] == ctx.world.bot_id and not message.get("webhook_id")
    if not own:
        if gid is None:
            raise errors.error(403, 50003, "Cannot execute action on a DM channel")
        ctx.require(gid, "MANAGE_MESSAGES")
    ctx.world.remove_message(message)
    if not own:  # Discord logs deletions of other people's messages only
        ctx.world.audit(
            gid, 72, message["author"]["id"], ctx.reason, options={"channel_id": channel["id"], "count": "1"}
        )
    return no_content()


@route("POST", "/channels/{channel_id}/messages/bulk-delete")
def bulk_delete_messages(ctx: Context) -> Response:
    channel = ctx.channel()
    gid = channel.get("guild_id")
    if gid is None:
        raise errors.error(403, 50003, "Cannot execute action on a DM channel")
    ctx.require(gid, "MANAGE_MESSAGES")
    ids = ctx.body().get("messages")
    if not isinstance(ids, list):
        raise ctx.limit_error(["messages"], "BASE_TYPE_REQUIRED", "This field is required")
    if len(ids) < 2:
        raise ctx.limit_error(["messages"], "BASE_TYPE_MIN_LENGTH", "Must be 2 or more in length.")
    if len(ids) > 100:
        raise ctx.limit_error(["messages"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    if len(set(map(str, ids))) != len(ids):
        raise ctx.limit_error(["messages"], "BASE_TYPE_DUPLICATES", "The list contains duplicates.")
    now = time.time()
    for message_id in ids:
        if not str(message_id).isdigit():
            raise ctx.limit_error(
                ["messages"], "NUMBER_TYPE_COERCE", f'Value "{str(message_id)[:40]}" is not snowflake.'
            )
        if now - created_at(str(message_id)) > BULK_DELETE_MAX_AGE:
            raise errors.error(
                400,
                50034,
                "You can only bulk delete messages that are under 14 days old.",
                violation=f"[limit] bulk_delete_messages: message {message_id} is older than 14 days",
            )
    deleted = 0
    for message_id in ids:
        message = ctx.world.message(channel["id"], str(message_id))
        if message is not None:
            ctx.world.remove_message(message)
            deleted += 1
    ctx.world.audit(gid, 73, channel["id"], ctx.reason, options={"count": str(deleted)})
    return no_content()
