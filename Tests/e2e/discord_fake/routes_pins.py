"""Pins, in their current form: /channels/{channel_id}/messages/pins (the old /channels/{id}/pins is not served)."""

from __future__ import annotations

import time

from . import errors
from .context import Context
from .routes_messages import render
from .routing import Response, no_content, ok, route
from .snowflakes import iso, parse_iso

PINS_MAX = 50


@route("GET", "/channels/{channel_id}/messages/pins")
def list_pins(ctx: Context) -> Response:
    channel = ctx.channel()
    ctx.require(channel.get("guild_id"), "READ_MESSAGE_HISTORY")
    limit = ctx.query_int("limit", 50, 1, 50)
    before_text = ctx.query("before")
    before = parse_iso(before_text) if before_text is not None else None
    if before_text is not None and before is None:
        raise ctx.limit_error(
            ["before"], "DATE_TYPE_PARSE", f'Could not parse "{before_text[:40]}". Should be ISO8601.'
        )
    pins = sorted(ctx.world.pins.get(channel["id"], []), key=lambda p: p[1], reverse=True)
    if before is not None:
        pins = [p for p in pins if p[1] < before]
    items = [
        {"pinned_at": iso(at), "message": render(ctx, ctx.world.message(channel["id"], message_id))}
        for message_id, at in pins[:limit]
    ]
    return ok({"items": items, "has_more": len(pins) > limit})


@route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
def create_pin(ctx: Context) -> Response:
    channel = ctx.channel()
    gid = channel.get("guild_id")
    ctx.require(gid, "PIN_MESSAGES")
    message = ctx.message(channel["id"])
    pins = ctx.world.pins.setdefault(channel["id"], [])
    if any(m == message["id"] for m, _ in pins):
        return no_content()
    if len(pins) >= PINS_MAX:
        raise errors.error(400, 30003, "Maximum number of pins reached (50)")
    pins.append((message["id"], time.time()))
    message["pinned"] = True
    channel["last_pin_timestamp"] = iso(time.time())
    if gid:
        ctx.world.audit(
            gid,
            74,
            message["author"]["id"],
            ctx.reason,
            options={"channel_id": channel["id"], "message_id": message["id"]},
        )
    return no_content()


@route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
def delete_pin(ctx: Context) -> Response:
    channel = ctx.channel()
    gid = channel.get("guild_id")
    ctx.require(gid, "PIN_MESSAGES")
    message = ctx.message(channel["id"])
    pins = ctx.world.pins.get(channel["id"], [])
    if not any(m == message["id"] for m, _ in pins):
        return no_content()
    ctx.world.pins[channel["id"]] = [(m, at) for m, at in pins if m != message["id"]]
    message["pinned"] = False
    if gid:
        ctx.world.audit(
            gid,
            75,
            message["author"]["id"],
            ctx.reason,
            options={"channel_id": channel["id"], "message_id": message["id"]},
        )
    return no_content()
