"""/users: the bot itself (or, with a user's Bearer token, that user), its guilds, and DM channels;
/oauth2/@me for a user's token."""

from __future__ import annotations

from . import errors
from .context import Context
from .routing import Response, ok, route
from .snowflakes import iso
from .world import CHANNEL_DM


@route("GET", "/users/@me")
def get_my_user(ctx: Context) -> Response:
    token = ctx.request.user_token
    if token is None:
        # The current user carries a few private fields (a bot's email is null).
        private = {"mfa_enabled": False, "locale": "en-US", "premium_type": 0, "email": None, "verified": True}
        return ok({**ctx.world.bot, **private})
    # A user's token (identify scope): the user with its private fields; email and verified need the email scope.
    body = {**ctx.world.users[token.user_id], "mfa_enabled": False, "locale": "en-US", "premium_type": 0}
    if "email" in token.scopes:
        body["email"] = ctx.world.user_emails.get(token.user_id)
        body["verified"] = True
    return ok(body)


@route("GET", "/users/{user_id}")
def get_user(ctx: Context) -> Response:
    return ok(ctx.user(ctx.params["user_id"]))


@route("GET", "/users/@me/guilds")
def list_my_guilds(ctx: Context) -> Response:
    limit = ctx.query_int("limit", 200, 1, 200)
    before, after = ctx.query_snowflake("before"), ctx.query_snowflake("after")
    with_counts = ctx.query_bool("with_counts")
    token = ctx.request.user_token  # a user's token (guilds scope) lists that user's guilds
    user_id = token.user_id if token else None
    viewer = user_id or ctx.world.bot_id
    ids = sorted((g for g in ctx.world.guilds if viewer in ctx.world.members.get(g, {})), key=int)
    if after:
        ids = [g for g in ids if int(g) > int(after)][:limit]
    elif before:
        ids = [g for g in ids if int(g) < int(before)][-limit:]
    else:
        ids = ids[:limit]
    return ok([ctx.world.partial_guild_object(g, with_counts, user_id) for g in ids])


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


@route("GET", "/oauth2/@me")
def get_my_oauth2_authorization(ctx: Context) -> Response:
    """The current authorization of a user's Bearer token (docs, OAuth2: Get Current Authorization Information)."""
    token = ctx.request.user_token
    if token is None:  # the fake serves this to user tokens only
        raise errors.unauthorized(None)
    app = ctx.extra["oauth"].applications.get(token.client_id)
    body: dict = {
        "application": {
            "id": token.client_id,
            "name": app.name if app else "MCP Gateway",
            "icon": None,
            "description": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": app.verify_key if app else "",
            "flags": 0,
            "flags_new": "0",
        },
        "scopes": list(token.scopes),
        "expires": iso(token.expires_at),
    }
    if "identify" in token.scopes:
        body["user"] = ctx.world.users[token.user_id]
    return ok(body)
