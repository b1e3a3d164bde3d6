"""Reactions: add and remove the bot's, remove someone's, list who reacted."""

from __future__ import annotations

from . import errors
from .context import Context
from .routing import Response, no_content, ok, route


def emoji_key(ctx: Context, raw: str) -> str:
    """A reaction's emoji as the path carries it: a unicode emoji, or name:id of a custom one."""
    if ":" in raw:
        name, _, emoji_id = raw.partition(":")
        for emojis in ctx.world.emojis.values():
            if emoji_id in emojis and emojis[emoji_id]["name"] == name:
                return f"{name}:{emoji_id}"
        raise errors.error(400, 10014, "Unknown Emoji")
    if not raw or raw.isascii():
        raise errors.error(400, 10014, "Unknown Emoji")
    return raw


def _reaction_target(ctx: Context) -> tuple[dict, dict, str]:
    channel = ctx.channel()
    ctx.require(channel.get("guild_id"), "READ_MESSAGE_HISTORY")
    message = ctx.message(channel["id"])
    return channel, message, emoji_key(ctx, ctx.params["emoji_name"])


@route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
def add_my_message_reaction(ctx: Context) -> Response:
    channel, message, emoji = _reaction_target(ctx)
    ctx.require(channel.get("guild_id"), "ADD_REACTIONS")
    users = ctx.world.reactions.setdefault(message["id"], {}).setdefault(emoji, [])
    if ctx.world.bot_id not in users:
        users.append(ctx.world.bot_id)
    return no_content()


@route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
def delete_my_message_reaction(ctx: Context) -> Response:
    _, message, emoji = _reaction_target(ctx)
    _remove_reaction(ctx, message, emoji, ctx.world.bot_id)
    return no_content()


@route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}")
def delete_user_message_reaction(ctx: Context) -> Response:
    channel, message, emoji = _reaction_target(ctx)
    user_id = ctx.params["user_id"]
    if user_id != ctx.world.bot_id:
        ctx.require(channel.get("guild_id"), "MANAGE_MESSAGES")
    _remove_reaction(ctx, message, emoji, user_id)
    return no_content()


def _remove_reaction(ctx: Context, message: dict, emoji: str, user_id: str) -> None:
    reactions = ctx.world.reactions.get(message["id"], {})
    if user_id in reactions.get(emoji, []):
        reactions[emoji].remove(user_id)
        if not reactions[emoji]:
            del reactions[emoji]


@route("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")
def list_message_reactions_by_emoji(ctx: Context) -> Response:
    _, message, emoji = _reaction_target(ctx)
    limit = ctx.query_int("limit", 25, 1, 100)
    after = ctx.query_snowflake("after")
    if ctx.query("type") not in (None, "0"):
        return ok([])  # no burst (super) reactions in the fake
    users = sorted(ctx.world.reactions.get(message["id"], {}).get(emoji, []), key=int)
    if after:
        users = [u for u in users if int(u) > int(after)]
    return ok([ctx.world.users[u] for u in users[:limit]])
