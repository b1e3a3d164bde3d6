"""Roles: list, create, change, delete, and giving or taking a member's role."""

from __future__ import annotations

from . import errors, shapes
from .context import Context
from .routing import Response, no_content, ok, route
from .world import changes_between

ROLE_FIELDS = ["name", "permissions", "color", "hoist", "mentionable", "unicode_emoji"]


def _permissions(ctx: Context, value: object, guild_id: str) -> int:
    """Permissions arrive as a string of digits (or an integer); the bot can't grant what it lacks."""
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise ctx.limit_error(["permissions"], "NUMBER_TYPE_COERCE", f'Value "{str(value)[:40]}" is not int.')
    bits = int(value)
    if bits & ~ctx.world.bot_permissions(guild_id):
        raise errors.missing_permissions()
    return bits


def _check_name(ctx: Context, body: dict) -> None:
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 100):
        raise ctx.limit_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _below_bot(ctx: Context, guild_id: str, role: dict) -> None:
    """The bot may only manage roles ranked below its own highest role."""
    if role["position"] >= ctx.world.top_role_position(guild_id, ctx.world.bot_id) or role["managed"]:
        raise errors.missing_permissions()


def _sorted(roles: dict) -> list[dict]:
    return sorted(roles.values(), key=lambda r: (r["position"], int(r["id"])))


@route("GET", "/guilds/{guild_id}/roles")
def list_guild_roles(ctx: Context) -> Response:
    guild = ctx.guild()
    return ok([ctx.world.role_object(r) for r in _sorted(ctx.world.roles[guild["id"]])])


@route("GET", "/guilds/{guild_id}/roles/{role_id}")
def get_guild_role(ctx: Context) -> Response:
    guild = ctx.guild()
    return ok(ctx.world.role_object(ctx.role(guild["id"], ctx.params["role_id"])))


@route("POST", "/guilds/{guild_id}/roles")
def create_guild_role(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "MANAGE_ROLES")
    body = ctx.body()
    _check_name(ctx, body)
    bits = (
        _permissions(ctx, body["permissions"], gid)
        if body.get("permissions") is not None
        else ctx.world.roles[gid][gid]["permissions_int"]
    )
    color = body.get("color") or 0
    roles = ctx.world.roles[gid]
    for role in roles.values():  # a new role goes to the bottom, just above @everyone
        if role["position"] >= 1:
            role["position"] += 1
    role = shapes.role(
        ctx.world,
        gid,
        body.get("name") or "new role",
        bits,
        1,
        color=color,
        hoist=bool(body.get("hoist")),
        mentionable=bool(body.get("mentionable")),
    )
    role["unicode_emoji"] = body.get("unicode_emoji")
    roles[role["id"]] = role
    ctx.world.audit(
        gid,
        30,
        role["id"],
        ctx.reason,
        changes=[{"key": k, "new_value": role[k]} for k in ROLE_FIELDS if role.get(k) is not None],
    )
    return ok(ctx.world.role_object(role))


@route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
def update_guild_role(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "MANAGE_ROLES")
    role = ctx.role(gid, ctx.params["role_id"])
    body = ctx.body()
    _check_name(ctx, body)
    _below_bot(ctx, gid, role)
    before = dict(role)
    if body.get("name") is not None and role["id"] != gid:
        role["name"] = body["name"]
    if body.get("permissions") is not None:
        bits = _permissions(ctx, body["permissions"], gid)
        role["permissions"], role["permissions_int"] = str(bits), bits
    if body.get("color") is not None:
        role["color"] = body["color"]
        role["colors"] = {"primary_color": body["color"], "secondary_color": None, "tertiary_color": None}
    for key in ("hoist", "mentionable", "unicode_emoji"):
        if key in body:
            role[key] = body[key]
    changes = changes_between(before, role, ROLE_FIELDS)
    ctx.world.audit(gid, 31, role["id"], ctx.reason, changes=changes or None)
    return ok(ctx.world.role_object(role))


@route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
def delete_guild_role(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require(gid, "MANAGE_ROLES")
    role = ctx.role(gid, ctx.params["role_id"])
    if role["id"] == gid:
        raise errors.error(400, 50028, "Invalid Role")
    _below_bot(ctx, gid, role)
    del ctx.world.roles[gid][role["id"]]
    for member in ctx.world.members[gid].values():
        if role["id"] in member["roles"]:
            member["roles"].remove(role["id"])
    ctx.world.audit(
        gid,
        32,
        role["id"],
        ctx.reason,
        changes=[{"key": k, "old_value": role[k]} for k in ROLE_FIELDS if role.get(k) is not None],
    )
    return no_content()


def _member_role(ctx: Context) -> tuple[str, dict, dict]:
    gid = ctx.guild()["id"]
    ctx.require(gid, "MANAGE_ROLES")
    member = ctx.member(gid, ctx.params["user_id"])
    role = ctx.role(gid, ctx.params["role_id"])
    if role["id"] == gid:
        raise errors.error(400, 50028, "Invalid Role")
    _below_bot(ctx, gid, role)
    return gid, member, role


@route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
def add_guild_member_role(ctx: Context) -> Response:
    gid, member, role = _member_role(ctx)
    if role["id"] not in member["roles"]:
        member["roles"].append(role["id"])
        ctx.world.audit(
            gid,
            25,
            ctx.params["user_id"],
            ctx.reason,
            changes=[{"key": "$add", "new_value": [{"id": role["id"], "name": role["name"]}]}],
        )
    return no_content()


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
def delete_guild_member_role(ctx: Context) -> Response:
    gid, member, role = _member_role(ctx)
    if role["id"] in member["roles"]:
        member["roles"].remove(role["id"])
        ctx.world.audit(
            gid,
            25,
            ctx.params["user_id"],
            ctx.reason,
            changes=[{"key": "$remove", "new_value": [{"id": role["id"], "name": role["name"]}]}],
        )
    return no_content()
