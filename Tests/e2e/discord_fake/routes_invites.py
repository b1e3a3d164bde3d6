"""Invites: a guild's and a channel's, creating one, resolving and revoking a code."""

from __future__ import annotations

import time

from . import errors, shapes
from .context import Context
from .routing import Response, ok, route
from .world import THREAD_TYPES

INVITE_MAX_AGE = 5184000  # the spec's bound (60 days); older docs said 604800 (7 days)
INVITE_MAX_USES = 100


def _live(world, code: str) -> bool:
    invite = world.invites.get(code)
    return invite is not None and (not invite["max_age"] or invite["created_at"] + invite["max_age"] > time.time())


@route("GET", "/guilds/{guild_id}/invites")
def list_guild_invites(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "MANAGE_GUILD")
    codes = [c for c, i in ctx.world.invites.items() if i["guild_id"] == gid and _live(ctx.world, c)]
    return ok([ctx.world.invite_object(c, with_metadata=True) for c in codes])


@route("GET", "/channels/{channel_id}/invites")
def list_channel_invites(ctx: Context) -> Response:
    channel = ctx.channel()
    ctx.require(channel.get("guild_id"), "MANAGE_CHANNELS")
    codes = [c for c, i in ctx.world.invites.items() if i["channel_id"] == channel["id"] and _live(ctx.world, c)]
    return ok([ctx.world.invite_object(c, with_metadata=True) for c in codes])


@route("POST", "/channels/{channel_id}/invites")
def create_channel_invite(ctx: Context) -> Response:
    channel = ctx.channel()
    if channel.get("guild_id") is None or channel["type"] in THREAD_TYPES or channel["type"] == 4:
        raise errors.error(400, 50024, "Cannot execute action on this channel type")
    gid = channel["guild_id"]
    ctx.require(gid, "CREATE_INSTANT_INVITE")
    body = ctx.body()
    max_age = body.get("max_age")
    max_age = 86400 if max_age is None else max_age
    max_uses = body.get("max_uses") or 0
    if not isinstance(max_age, int) or not 0 <= max_age <= INVITE_MAX_AGE:
        raise ctx.limit_error(
            ["max_age"], "NUMBER_TYPE_MAX", f"int value should be less than or equal to {INVITE_MAX_AGE}."
        )
    if not isinstance(max_uses, int) or not 0 <= max_uses <= INVITE_MAX_USES:
        raise ctx.limit_error(
            ["max_uses"], "NUMBER_TYPE_MAX", f"int value should be less than or equal to {INVITE_MAX_USES}."
        )
    temporary = bool(body.get("temporary"))
    world = ctx.world
    if not body.get("unique"):  # Discord hands back a matching invite the bot already made
        for code, invite in world.invites.items():
            if (
                invite["channel_id"] == channel["id"]
                and invite["inviter_id"] == world.bot_id
                and _live(world, code)
                and (invite["max_age"], invite["max_uses"], invite["temporary"]) == (max_age, max_uses, temporary)
            ):
                return ok(world.invite_object(code, with_metadata=True))
    invite = shapes.invite(world, channel, world.bot_id, max_age=max_age, max_uses=max_uses, temporary=temporary)
    world.invites[invite["code"]] = invite
    world.audit(
        gid,
        40,
        None,
        ctx.reason,
        changes=[
            {"key": "code", "new_value": invite["code"]},
            {"key": "channel_id", "new_value": channel["id"]},
            {"key": "inviter_id", "new_value": world.bot_id},
            {"key": "uses", "new_value": 0},
            {"key": "max_uses", "new_value": max_uses},
            {"key": "max_age", "new_value": max_age},
            {"key": "temporary", "new_value": temporary},
        ],
    )
    return ok(world.invite_object(invite["code"], with_metadata=True))


@route("GET", "/invites/{code}")
def invite_resolve(ctx: Context) -> Response:
    code = ctx.params["code"]
    if not _live(ctx.world, code):
        raise errors.unknown("invite")
    return ok(ctx.world.invite_object(code, with_metadata=False, with_counts=ctx.query_bool("with_counts")))


@route("DELETE", "/invites/{code}")
def invite_revoke(ctx: Context) -> Response:
    code = ctx.params["code"]
    world = ctx.world
    if not _live(world, code):
        raise errors.unknown("invite")
    invite = world.invites[code]
    gid = invite["guild_id"]
    if not world.bot_in(gid):
        raise errors.missing_access()
    ctx.require_any(gid, "MANAGE_CHANNELS", "MANAGE_GUILD")
    body = world.invite_object(code, with_metadata=False)
    del world.invites[code]
    world.audit(
        gid,
        42,
        None,
        ctx.reason,
        changes=[
            {"key": "code", "old_value": code},
            {"key": "channel_id", "old_value": invite["channel_id"]},
            {"key": "max_uses", "old_value": invite["max_uses"]},
            {"key": "max_age", "old_value": invite["max_age"]},
        ],
    )
    return ok(body)
