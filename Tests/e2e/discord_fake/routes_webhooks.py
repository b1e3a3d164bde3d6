"""Webhooks: managed with the bot token; executed with the webhook's own token (no Authorization needed).
Webhook objects carry `token` and `url` exactly as Discord returns them to a bot."""

from __future__ import annotations

from . import errors, shapes
from .context import Context
from .routes_messages import check_message_body
from .routing import Response, no_content, ok, route
from .world import CHANNEL_ANNOUNCEMENT, CHANNEL_FORUM, CHANNEL_TEXT, CHANNEL_VOICE, THREAD_TYPES, changes_between

WEBHOOK_CHANNEL_TYPES = {CHANNEL_TEXT, CHANNEL_VOICE, CHANNEL_ANNOUNCEMENT, CHANNEL_FORUM}
WEBHOOKS_PER_CHANNEL = 15


def _check_name(ctx: Context, name: object, required: bool) -> None:
    if name is None and not required:
        return
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise ctx.limit_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
    for word in ("clyde", "discord"):  # Discord refuses these in webhook names (not a client bug: user input)
        if word in name.lower():
            raise errors.field_error(["name"], "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"')


def _webhook_channel(ctx: Context) -> dict:
    channel = ctx.channel()
    if channel["type"] not in WEBHOOK_CHANNEL_TYPES:
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    ctx.require(channel["guild_id"], "MANAGE_WEBHOOKS")
    return channel


def _webhook(ctx: Context) -> dict:
    hook = ctx.world.webhooks.get(ctx.params["webhook_id"])
    if hook is None or not ctx.world.bot_in(hook["guild_id"]):
        raise errors.unknown("webhook")
    return hook


@route("GET", "/channels/{channel_id}/webhooks")
def list_channel_webhooks(ctx: Context) -> Response:
    channel = _webhook_channel(ctx)
    return ok([ctx.world.webhook_object(w) for w in ctx.world.webhooks.values() if w["channel_id"] == channel["id"]])


@route("POST", "/channels/{channel_id}/webhooks")
def create_webhook(ctx: Context) -> Response:
    channel = _webhook_channel(ctx)
    body = ctx.body()
    _check_name(ctx, body.get("name"), required=True)
    if sum(1 for w in ctx.world.webhooks.values() if w["channel_id"] == channel["id"]) >= WEBHOOKS_PER_CHANNEL:
        raise errors.error(400, 30007, "Maximum number of webhooks reached (15)")
    hook = shapes.webhook(ctx.world, channel, body["name"], ctx.world.bot_id)
    ctx.world.webhooks[hook["id"]] = hook
    ctx.world.audit(
        channel["guild_id"],
        50,
        hook["id"],
        ctx.reason,
        changes=[
            {"key": "type", "new_value": 1},
            {"key": "channel_id", "new_value": channel["id"]},
            {"key": "name", "new_value": hook["name"]},
        ],
    )
    return ok(ctx.world.webhook_object(hook))


@route("GET", "/guilds/{guild_id}/webhooks")
def get_guild_webhooks(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "MANAGE_WEBHOOKS")
    return ok([ctx.world.webhook_object(w) for w in ctx.world.webhooks.values() if w["guild_id"] == gid])


@route("GET", "/webhooks/{webhook_id}")
def get_webhook(ctx: Context) -> Response:
    hook = _webhook(ctx)
    ctx.require(hook["guild_id"], "MANAGE_WEBHOOKS")
    return ok(ctx.world.webhook_object(hook))


@route("PATCH", "/webhooks/{webhook_id}")
def update_webhook(ctx: Context) -> Response:
    hook = _webhook(ctx)
    ctx.require(hook["guild_id"], "MANAGE_WEBHOOKS")
    body = ctx.body()
    _check_name(ctx, body.get("name"), required=False)
    before = dict(hook)
    if body.get("name") is not None:
        hook["name"] = body["name"]
    if body.get("channel_id") is not None:
        channel = ctx.channel(str(body["channel_id"]))
        if channel.get("guild_id") != hook["guild_id"] or channel["type"] not in WEBHOOK_CHANNEL_TYPES:
            raise errors.field_error(["channel_id"], "CHANNEL_INVALID", "Invalid channel.")
        hook["channel_id"] = channel["id"]
    changes = changes_between(before, hook, ["name", "channel_id"])
    ctx.world.audit(hook["guild_id"], 51, hook["id"], ctx.reason, changes=changes or None)
    return ok(ctx.world.webhook_object(hook))


@route("DELETE", "/webhooks/{webhook_id}")
def delete_webhook(ctx: Context) -> Response:
    hook = _webhook(ctx)
    ctx.require(hook["guild_id"], "MANAGE_WEBHOOKS")
    del ctx.world.webhooks[hook["id"]]
    ctx.world.audit(
        hook["guild_id"],
        52,
        hook["id"],
        ctx.reason,
        changes=[
            {"key": "type", "old_value": 1},
            {"key": "channel_id", "old_value": hook["channel_id"]},
            {"key": "name", "old_value": hook["name"]},
        ],
    )
    return no_content()


@route("POST", "/webhooks/{webhook_id}/{webhook_token}")
def execute_webhook(ctx: Context) -> Response:
    world = ctx.world
    hook = world.webhooks.get(ctx.params["webhook_id"])
    if hook is None:
        raise errors.unknown("webhook")
    if ctx.params["webhook_token"] != hook["token"]:
        raise errors.error(401, 50027, "Invalid Webhook Token")
    body = ctx.body()
    check_message_body(ctx, body)
    username = body.get("username")
    if username is not None and (not isinstance(username, str) or not 1 <= len(username) <= 80):
        raise ctx.limit_error(["username"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
    channel = world.channels[hook["channel_id"]]
    thread_id = ctx.query_snowflake("thread_id")
    if thread_id:
        thread = world.channels.get(thread_id)
        if thread is None or thread["type"] not in THREAD_TYPES or thread.get("parent_id") != channel["id"]:
            raise errors.unknown("channel")
        channel = thread
    elif channel["type"] == CHANNEL_FORUM:
        raise errors.error(400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id")
    author = {
        "id": hook["id"],
        "username": username or hook["name"],
        "avatar": None,
        "discriminator": "0000",
        "public_flags": 0,
        "flags": 0,
        "bot": True,
        "global_name": None,
        "primary_guild": None,
    }
    message = world.add_message(
        channel["id"], author, body.get("content") or "", embeds=body.get("embeds"), webhook_id=hook["id"]
    )
    if ctx.query_bool("wait"):
        return ok(world.message_object(message))
    return no_content()
