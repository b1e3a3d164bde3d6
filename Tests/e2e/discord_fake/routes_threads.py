"""Threads: from a message, without one (text channels), forum posts, and the guild's active threads.
Archiving and locking go through PATCH /channels/{thread} (routes_channels)."""

from __future__ import annotations

import time

from . import errors, shapes
from .context import Context
from .routes_channels import ARCHIVE_DURATIONS, check_tags
from .routes_messages import check_message_body
from .routing import Response, ok, route
from .world import (
    CHANNEL_ANNOUNCEMENT,
    CHANNEL_FORUM,
    CHANNEL_TEXT,
    THREAD_ANNOUNCEMENT,
    THREAD_PRIVATE,
    THREAD_PUBLIC,
    THREAD_TYPES,
)


def _thread_settings(ctx: Context, body: dict) -> tuple[str, int]:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise ctx.limit_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    duration = body.get("auto_archive_duration") or 4320
    if duration not in ARCHIVE_DURATIONS:
        raise ctx.limit_error(
            ["auto_archive_duration"], "BASE_TYPE_CHOICES", f"Value must be one of {ARCHIVE_DURATIONS}."
        )
    return name, duration


def _open(ctx: Context, thread: dict, body: dict) -> dict:
    """Stores the thread with the bot as its first member, and logs THREAD_CREATE."""
    world = ctx.world
    if body.get("rate_limit_per_user") is not None:
        thread["rate_limit_per_user"] = body["rate_limit_per_user"]
    world.channels[thread["id"]] = thread
    world.thread_members[thread["id"]] = {world.bot_id: time.time()}
    thread["member_count"] = 1
    world.audit(
        thread["guild_id"],
        110,
        thread["id"],
        ctx.reason,
        changes=[
            {"key": "name", "new_value": thread["name"]},
            {"key": "type", "new_value": thread["type"]},
            {"key": "archived", "new_value": False},
            {"key": "locked", "new_value": False},
            {"key": "auto_archive_duration", "new_value": thread["thread_metadata"]["auto_archive_duration"]},
        ],
    )
    return {**thread, "member": world.thread_member_object(thread["id"], world.bot_id)}


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
def create_thread_from_message(ctx: Context) -> Response:
    channel = ctx.channel()
    if channel["type"] not in (CHANNEL_TEXT, CHANNEL_ANNOUNCEMENT):
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    message = ctx.message(channel["id"])
    ctx.require(channel["guild_id"], "CREATE_PUBLIC_THREADS")
    if message["id"] in ctx.world.channels:
        raise errors.error(400, 160004, "A thread has already been created for this message")
    body = ctx.body()
    name, duration = _thread_settings(ctx, body)
    kind = THREAD_ANNOUNCEMENT if channel["type"] == CHANNEL_ANNOUNCEMENT else THREAD_PUBLIC
    # A thread started from a message has the message's id.
    thread = shapes.thread(
        ctx.world, channel, name, kind, ctx.world.bot_id, thread_id=message["id"], auto_archive_duration=duration
    )
    message["thread"] = thread
    return ok(_open(ctx, thread, body), 201)


@route("POST", "/channels/{channel_id}/threads")
def create_thread(ctx: Context) -> Response:
    channel = ctx.channel()
    body = ctx.body()
    if channel["type"] == CHANNEL_FORUM:
        return _create_forum_post(ctx, channel, body)
    if channel["type"] not in (CHANNEL_TEXT, CHANNEL_ANNOUNCEMENT):
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    name, duration = _thread_settings(ctx, body)
    default = THREAD_ANNOUNCEMENT if channel["type"] == CHANNEL_ANNOUNCEMENT else THREAD_PRIVATE
    kind = body.get("type") or default  # Discord's default for text channels is a private thread
    allowed = (THREAD_ANNOUNCEMENT,) if channel["type"] == CHANNEL_ANNOUNCEMENT else (THREAD_PUBLIC, THREAD_PRIVATE)
    if kind not in allowed:
        raise ctx.limit_error(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {allowed}.")
    ctx.require(channel["guild_id"], "CREATE_PRIVATE_THREADS" if kind == THREAD_PRIVATE else "CREATE_PUBLIC_THREADS")
    thread = shapes.thread(
        ctx.world,
        channel,
        name,
        kind,
        ctx.world.bot_id,
        auto_archive_duration=duration,
        invitable=body.get("invitable", True) is not False,
    )
    return ok(_open(ctx, thread, body), 201)


def _create_forum_post(ctx: Context, forum: dict, body: dict) -> Response:
    """A forum (type 15) thread needs `message`: the post's first message, which gets the thread's id."""
    name, duration = _thread_settings(ctx, body)
    first = body.get("message")
    if not isinstance(first, dict):
        raise ctx.limit_error(["message"], "BASE_TYPE_REQUIRED", "This field is required")
    check_message_body(ctx, first, path=["message"])
    ctx.require(forum["guild_id"], "SEND_MESSAGES")
    tags = check_tags(ctx, forum, body.get("applied_tags") or [])
    thread = shapes.thread(
        ctx.world, forum, name, THREAD_PUBLIC, ctx.world.bot_id, auto_archive_duration=duration, applied_tags=tags
    )
    answer = _open(ctx, thread, body)
    message = ctx.world.add_message(
        thread["id"], ctx.world.bot, first.get("content") or "", embeds=first.get("embeds"), message_id=thread["id"]
    )
    answer.update({k: thread[k] for k in ("last_message_id", "message_count", "total_message_sent")})
    answer["message"] = ctx.world.message_object(message)
    return ok(answer, 201)


@route("GET", "/guilds/{guild_id}/threads/active")
def get_active_guild_threads(ctx: Context) -> Response:
    guild = ctx.guild()
    world = ctx.world
    threads = [
        c
        for c in world.channels.values()
        if c.get("guild_id") == guild["id"] and c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]
    ]
    members = [
        world.thread_member_object(t["id"], world.bot_id)
        for t in threads
        if world.bot_id in world.thread_members.get(t["id"], {})
    ]
    return ok({"threads": threads, "members": members, "has_more": False})
