"""Members (list, search, read, change, kick, time out) and bans."""

from __future__ import annotations

import time

from . import errors
from .context import Context
from .routing import Response, no_content, ok, route
from .snowflakes import iso, parse_iso

TIMEOUT_MAX = 28 * 86400
BAN_DELETE_MAX = 604800


@route("GET", "/guilds/{guild_id}/members")
def list_guild_members(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    limit = ctx.query_int("limit", 1, 1, 1000)
    after = ctx.query_snowflake("after") or "0"
    ids = sorted((u for u in ctx.world.members[gid] if int(u) > int(after)), key=int)
    return ok([ctx.world.member_object(gid, u) for u in ids[:limit]])


@route("GET", "/guilds/{guild_id}/members/search")
def search_guild_members(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    limit = ctx.query_int("limit", 1, 1, 1000)
    query = ctx.query("query")
    if query is None:
        raise ctx.limit_error(["query"], "BASE_TYPE_REQUIRED", "This field is required")
    if not 1 <= len(query) <= 100:
        raise ctx.limit_error(["query"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    needle = query.lower()
    found = []
    for user_id, member in ctx.world.members[gid].items():
        user = ctx.world.users[user_id]
        names = [user["username"], user.get("global_name") or "", member.get("nick") or ""]
        if any(name.lower().startswith(needle) for name in names):  # Discord matches name prefixes
            found.append(user_id)
    found.sort(key=int)
    return ok([ctx.world.member_object(gid, u) for u in found[:limit]])


@route("GET", "/guilds/{guild_id}/members/{user_id}")
def get_guild_member(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.member(gid, ctx.params["user_id"])
    return ok(ctx.world.member_object(gid, ctx.params["user_id"]))


def _nick(ctx: Context, body: dict) -> str | None:
    nick = body.get("nick")
    if nick is not None and (not isinstance(nick, str) or len(nick) > 32):
        raise ctx.limit_error(["nick"], "BASE_TYPE_MAX_LENGTH", "Must be 32 or fewer in length.")
    return nick or None


@route("PATCH", "/guilds/{guild_id}/members/{user_id}")
def update_guild_member(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    user_id = ctx.params["user_id"]
    member = ctx.member(gid, user_id)
    body = ctx.body()
    world = ctx.world
    changes: list[dict] = []
    if "nick" in body:
        ctx.require(gid, "MANAGE_NICKNAMES" if user_id != world.bot_id else "CHANGE_NICKNAME")
        if user_id != world.bot_id:
            ctx.can_moderate(gid, user_id)
        nick = _nick(ctx, body)
        if nick != member["nick"]:
            changes.append({"key": "nick", "old_value": member["nick"], "new_value": nick})
            member["nick"] = nick
    if "communication_disabled_until" in body:
        ctx.require(gid, "MODERATE_MEMBERS")
        ctx.can_moderate(gid, user_id)
        until = _timeout(ctx, body["communication_disabled_until"])
        changes.append(
            {
                "key": "communication_disabled_until",
                "old_value": member["communication_disabled_until"],
                "new_value": until,
            }
        )
        member["communication_disabled_until"] = until
    for key, permission in (("mute", "MUTE_MEMBERS"), ("deaf", "DEAFEN_MEMBERS")):
        if body.get(key) is not None:
            ctx.require(gid, permission)
            raise errors.error(400, 40032, "Target user is not connected to voice.")
    if "channel_id" in body:
        ctx.require(gid, "MOVE_MEMBERS")
        raise errors.error(400, 40032, "Target user is not connected to voice.")
    role_changes = _roles(ctx, gid, user_id, member, body["roles"]) if body.get("roles") is not None else []
    changes = [{k: v for k, v in c.items() if v is not None} for c in changes]
    if changes:
        world.audit(gid, 24, user_id, ctx.reason, changes=changes)
    if role_changes:
        world.audit(gid, 25, user_id, ctx.reason, changes=role_changes)
    return ok(world.member_object(gid, user_id))


def _timeout(ctx: Context, value: object) -> str | None:
    """communication_disabled_until: null ends a timeout; a time at most 28 days ahead sets one."""
    if value is None:
        return None
    at = parse_iso(value) if isinstance(value, str) else None
    if at is None:
        raise ctx.limit_error(
            ["communication_disabled_until"],
            "DATE_TYPE_PARSE",
            f'Could not parse "{str(value)[:40]}". Should be ISO8601.',
        )
    if at - time.time() > TIMEOUT_MAX:
        raise ctx.limit_error(
            ["communication_disabled_until"], "BASE_TYPE_BAD_TIME", "The timeout can be at most 28 days from now."
        )
    return iso(at) if at > time.time() else None


def _roles(ctx: Context, gid: str, user_id: str, member: dict, wanted: object) -> list[dict]:
    if not isinstance(wanted, list):
        raise ctx.limit_error(["roles"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
    ctx.require(gid, "MANAGE_ROLES")
    roles = ctx.world.roles[gid]
    wanted_ids = [str(r) for r in wanted]
    for role_id in wanted_ids:
        if role_id not in roles:
            raise errors.unknown("role")
    bot_top = ctx.world.top_role_position(gid, ctx.world.bot_id)
    added = [r for r in wanted_ids if r not in member["roles"]]
    removed = [r for r in member["roles"] if r not in wanted_ids]
    if any(roles[r]["position"] >= bot_top or roles[r]["managed"] for r in added + removed if r in roles):
        raise errors.missing_permissions()
    member["roles"] = wanted_ids
    changes = []
    if added:
        changes.append({"key": "$add", "new_value": [{"id": r, "name": roles[r]["name"]} for r in added]})
    if removed:
        changes.append(
            {"key": "$remove", "new_value": [{"id": r, "name": roles[r]["name"]} for r in removed if r in roles]}
        )
    return changes


@route("PATCH", "/guilds/{guild_id}/members/@me")
def update_my_guild_member(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    body = ctx.body()
    world = ctx.world
    member = world.members[gid][world.bot_id]
    if "nick" in body:
        ctx.require(gid, "CHANGE_NICKNAME")
        nick = _nick(ctx, body)
        if nick != member["nick"]:
            change = {"key": "nick", "old_value": member["nick"], "new_value": nick}
            world.audit(gid, 24, world.bot_id, ctx.reason, changes=[{k: v for k, v in change.items() if v is not None}])
            member["nick"] = nick
    return ok(world.member_object(gid, world.bot_id, with_permissions=True))


@route("DELETE", "/guilds/{guild_id}/members/{user_id}")
def delete_guild_member(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    user_id = ctx.params["user_id"]
    ctx.require(gid, "KICK_MEMBERS")
    ctx.member(gid, user_id)
    ctx.can_moderate(gid, user_id)
    del ctx.world.members[gid][user_id]
    ctx.world.audit(gid, 20, user_id, ctx.reason)
    return no_content()


# ---- bans ---------------------------------------------------------------------------------------


def _ban_object(ctx: Context, ban: dict) -> dict:
    return {"user": ctx.world.users[ban["user_id"]], "reason": ban["reason"]}


@route("GET", "/guilds/{guild_id}/bans")
def list_guild_bans(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "BAN_MEMBERS")
    limit = ctx.query_int("limit", 1000, 1, 1000)
    before, after = ctx.query_snowflake("before"), ctx.query_snowflake("after")
    ids = sorted(ctx.world.bans.get(gid, {}), key=int)
    if before:
        ids = [u for u in ids if int(u) < int(before)][-limit:]
    else:
        ids = [u for u in ids if after is None or int(u) > int(after)][:limit]
    return ok([_ban_object(ctx, ctx.world.bans[gid][u]) for u in ids])


@route("GET", "/guilds/{guild_id}/bans/{user_id}")
def get_guild_ban(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "BAN_MEMBERS")
    ban = ctx.world.bans.get(gid, {}).get(ctx.params["user_id"])
    if ban is None:
        raise errors.unknown("ban")
    return ok(_ban_object(ctx, ban))


@route("PUT", "/guilds/{guild_id}/bans/{user_id}")
def ban_user_from_guild(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    user_id = ctx.params["user_id"]
    ctx.require(gid, "BAN_MEMBERS")
    ctx.user(user_id)
    ctx.can_moderate(gid, user_id)
    body = ctx.body()
    seconds = body.get("delete_message_seconds")
    if seconds is None and body.get("delete_message_days") is not None:  # deprecated form
        days = body["delete_message_days"]
        if not isinstance(days, int) or not 0 <= days <= 7:
            raise ctx.limit_error(
                ["delete_message_days"], "NUMBER_TYPE_MAX", "int value should be less than or equal to 7."
            )
        seconds = days * 86400
    seconds = seconds or 0
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= BAN_DELETE_MAX:
        raise ctx.limit_error(
            ["delete_message_seconds"],
            "NUMBER_TYPE_MAX",
            f"int value should be less than or equal to {BAN_DELETE_MAX}.",
        )
    world = ctx.world
    world.members[gid].pop(user_id, None)
    if seconds:
        since = time.time() - seconds
        for channel in world.guild_channels(gid, threads=True):
            for message in list(world.messages.get(channel["id"], [])):
                if message["author"]["id"] == user_id and parse_iso(message["timestamp"]) >= since:
                    world.remove_message(message)
    if user_id not in world.bans.setdefault(gid, {}):
        world.bans[gid][user_id] = {"user_id": user_id, "reason": ctx.reason}
        world.audit(gid, 22, user_id, ctx.reason)
    return no_content()


@route("DELETE", "/guilds/{guild_id}/bans/{user_id}")
def unban_user_from_guild(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "BAN_MEMBERS")
    if ctx.world.bans.get(gid, {}).pop(ctx.params["user_id"], None) is None:
        raise errors.unknown("ban")
    ctx.world.audit(gid, 23, ctx.params["user_id"], ctx.reason)
    return no_content()
