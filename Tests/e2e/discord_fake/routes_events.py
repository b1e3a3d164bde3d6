"""Guild scheduled events and the users interested in them."""

from __future__ import annotations

import time

from . import errors, shapes
from .context import Context
from .routing import Response, no_content, ok, route
from .snowflakes import parse_iso
from .world import World, changes_between

EXTERNAL, STAGE, VOICE = 3, 1, 2
CHANNEL_FOR_ENTITY = {STAGE: 13, VOICE: 2}
EVENT_FIELDS = [
    "name",
    "description",
    "scheduled_start_time",
    "scheduled_end_time",
    "status",
    "entity_type",
    "channel_id",
    "privacy_level",
]
# Status changes Discord allows: scheduled -> active or canceled, active -> completed.
TRANSITIONS = {(1, 2), (1, 4), (2, 3)}


def _event(ctx: Context, gid: str) -> dict:
    event = ctx.world.events.get(ctx.params["guild_scheduled_event_id"])
    if event is None or event["guild_id"] != gid:
        raise errors.unknown("event")
    return event


def _check(ctx: Context, gid: str, body: dict, creating: bool, current: dict | None = None) -> None:
    merged = {**(current or {}), **{k: v for k, v in body.items()}}
    name = body.get("name")
    if creating or name is not None:
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise ctx.limit_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    description = body.get("description")
    if isinstance(description, str) and len(description) > 1000:
        raise ctx.limit_error(["description"], "BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length.")
    entity_type = merged.get("entity_type")
    if entity_type not in (STAGE, VOICE, EXTERNAL):
        raise ctx.limit_error(["entity_type"], "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3).")
    if creating and merged.get("privacy_level") != 2:
        raise ctx.limit_error(["privacy_level"], "BASE_TYPE_CHOICES", "Value must be one of (2,).")
    start = parse_iso(merged["scheduled_start_time"]) if isinstance(merged.get("scheduled_start_time"), str) else None
    if start is None:
        raise ctx.limit_error(
            ["scheduled_start_time"], "DATE_TYPE_PARSE", "Could not parse the time. Should be ISO8601."
        )
    if "scheduled_start_time" in body and start < time.time():
        raise errors.field_error(
            ["scheduled_start_time"], "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
        )
    end_text = merged.get("scheduled_end_time")
    end = parse_iso(end_text) if isinstance(end_text, str) else None
    if end_text is not None and end is None:
        raise ctx.limit_error(["scheduled_end_time"], "DATE_TYPE_PARSE", "Could not parse the time. Should be ISO8601.")
    if end is not None and end <= start:
        raise errors.field_error(
            ["scheduled_end_time"],
            "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            "The end time must be after the start time.",
        )
    if entity_type == EXTERNAL:
        metadata = merged.get("entity_metadata")
        location = metadata.get("location") if isinstance(metadata, dict) else None
        if not isinstance(location, str) or not 1 <= len(location) <= 100:
            raise ctx.limit_error(["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required")
        if end is None:
            raise ctx.limit_error(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required")
    else:
        channel = ctx.world.channels.get(str(merged.get("channel_id") or ""))
        if channel is None or channel.get("guild_id") != gid or channel["type"] != CHANNEL_FOR_ENTITY[entity_type]:
            raise errors.field_error(["channel_id"], "CHANNEL_INVALID", "Invalid channel for this kind of event.")


def _may_manage(ctx: Context, gid: str, event: dict) -> None:
    if event["creator_id"] == ctx.world.bot_id:
        ctx.require_any(gid, "MANAGE_EVENTS", "CREATE_EVENTS")
    else:
        ctx.require(gid, "MANAGE_EVENTS")


@route("GET", "/guilds/{guild_id}/scheduled-events")
def list_guild_scheduled_events(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    counts = ctx.query_bool("with_user_count")
    return ok([ctx.world.event_object(e, counts) for e in ctx.world.events.values() if e["guild_id"] == gid])


@route("POST", "/guilds/{guild_id}/scheduled-events")
def create_guild_scheduled_event(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    ctx.require_any(gid, "CREATE_EVENTS", "MANAGE_EVENTS")
    body = ctx.body()
    _check(ctx, gid, body, creating=True)
    event = shapes.scheduled_event(ctx.world, gid, ctx.world.bot_id, body)
    ctx.world.events[event["id"]] = event
    ctx.world.event_users[event["id"]] = []
    ctx.world.audit(
        gid,
        100,
        event["id"],
        ctx.reason,
        changes=[{"key": k, "new_value": event[k]} for k in EVENT_FIELDS if event.get(k) is not None],
    )
    return ok(event)


@route("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
def get_guild_scheduled_event(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    return ok(ctx.world.event_object(_event(ctx, gid), ctx.query_bool("with_user_count")))


@route("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
def update_guild_scheduled_event(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    event = _event(ctx, gid)
    _may_manage(ctx, gid, event)
    body = ctx.body()
    _check(ctx, gid, body, creating=False, current=event)
    status = body.get("status")
    if status is not None and status not in (1, 2, 3, 4):
        raise ctx.limit_error(["status"], "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4).")
    if status is not None and status != event["status"] and (event["status"], status) not in TRANSITIONS:
        raise errors.field_error(
            ["status"], "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "Invalid status transition."
        )
    before = dict(event)
    for key in (
        "name",
        "description",
        "scheduled_start_time",
        "scheduled_end_time",
        "status",
        "entity_type",
        "entity_metadata",
        "channel_id",
        "privacy_level",
    ):
        if key in body:
            event[key] = body[key]
    if event["entity_type"] == EXTERNAL:
        event["channel_id"] = None
    changes = changes_between(before, event, EVENT_FIELDS)
    ctx.world.audit(gid, 101, event["id"], ctx.reason, changes=changes or None)
    return ok(event)


@route("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
def delete_guild_scheduled_event(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    event = _event(ctx, gid)
    _may_manage(ctx, gid, event)
    del ctx.world.events[event["id"]]
    ctx.world.event_users.pop(event["id"], None)
    ctx.world.audit(
        gid,
        102,
        event["id"],
        ctx.reason,
        changes=[
            {"key": "name", "old_value": event["name"]},
            {"key": "entity_type", "old_value": event["entity_type"]},
        ],
    )
    return no_content()


@route("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users")
def list_guild_scheduled_event_users(ctx: Context) -> Response:
    gid = ctx.guild()["id"]
    event = _event(ctx, gid)
    limit = ctx.query_int("limit", 100, 1, 100)
    with_member = ctx.query_bool("with_member")
    before, after = ctx.query_snowflake("before"), ctx.query_snowflake("after")
    users = sorted(ctx.world.event_users.get(event["id"], []), key=int)
    if before:
        users = [u for u in users if int(u) < int(before)][-limit:]
    else:
        users = [u for u in users if after is None or int(u) > int(after)][:limit]
    return ok([_event_user(ctx.world, gid, event["id"], u, with_member) for u in users])


def _event_user(world: World, gid: str, event_id: str, user_id: str, with_member: bool) -> dict:
    entry = {"guild_scheduled_event_id": event_id, "user_id": user_id, "user": world.users[user_id], "response": 1}
    if with_member and user_id in world.members.get(gid, {}):
        entry["member"] = world.member_object(gid, user_id)
    return entry
