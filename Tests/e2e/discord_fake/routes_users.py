"""/users: the bot itself, its guilds, and DM channels."""

from __future__ import annotations

from . import errors
from .context import Context
from .routing import Response, ok, route
from .world import CHANNEL_DM


@route("GET", "/users/@me")
def get_my_user(ctx: Context) -> Response:
    # The current user carries a few private fields (a bot's email is null).
    return ok(
        {**ctx.world.bot, "mfa_enabled": False, "locale": "en-US", "premium_type": 0, "email": None, "verified": True}
    )


@route("GET", "/users/{user_id}")
def get_user(ctx: Context) -> Response:
    return ok(ctx.user(ctx.params["user_id"]))


@route("GET", "/users/@me/guilds")
def list_my_guilds(ctx: Context) -> Response:
    limit = ctx.query_int("limit", 200, 1, 200)
    before, after = ctx.query_snowflake("before"), ctx.query_snowflake("after")
    with_counts = ctx.query_bool("with_counts")
    ids = sorted((g for g in ctx.world.guilds if ctx.world.bot_in(g)), key=int)
    if after:
        ids = [g for g in ids if int(g) > int(after)][:limit]
    elif before:
        ids = [g for g in ids if int(g) < int(before)][-limit:]
    else:
        ids = ids[:limit]
    return ok([ctx.world.partial_guild_object(g, with_counts) for g in ids])


@route("POST", "/users/@me/channels")
def create_dm(ctx: Context) -> Response:
    body = ctx.body()
    recipient = body.get("recipient_id")
    if not isinstance(recipient, str) or recipient not in ctx.world.users:
        raise errors.error(400, 50033, "Invalid Recipient(s)")
    if recipient == ctx.world.bot_id:
        raise errors.error(400, 50007, "Cannot send messages to this user")
    world = ctx.world
    channel_id = world.dm_channels.get(recipient)
    if channel_id is None:
        channel_id = world.new_id()
        world.channels[channel_id] = {
            "id": channel_id,
            "type": CHANNEL_DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [world.users[recipient]],
        }
        world.dm_channels[recipient] = channel_id
    return ok(world.channels[channel_id])
