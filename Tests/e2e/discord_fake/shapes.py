"""Constructors for new objects in Discord's shape (used by the seed and by create routes)."""

from __future__ import annotations

import time
from typing import Any

from .snowflakes import created_at, iso
from .world import CHANNEL_FORUM, CHANNEL_VOICE, THREAD_TYPES, World


def guild(world: World, name: str, owner_id: str, at: float) -> dict:
    guild_id = world.new_id(at)
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": owner_id,
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 1,
        "default_message_notifications": 1,
        "mfa_level": 0,
        "explicit_content_filter": 2,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "stickers": [],
        "incidents_data": None,
    }


def role(
    world: World,
    guild_id: str,
    name: str,
    permissions: int,
    position: int,
    at: float | None = None,
    role_id: str | None = None,
    color: int = 0,
    hoist: bool = False,
    mentionable: bool = False,
    managed_by_bot: str | None = None,
) -> dict:
    body: dict[str, Any] = {
        "id": role_id or world.new_id(at),
        "name": name,
        "permissions": str(permissions),
        "permissions_int": permissions,  # internal; stripped by World.role_object
        "position": position,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "managed": managed_by_bot is not None,
        "mentionable": mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if managed_by_bot:
        body["tags"] = {"bot_id": managed_by_bot}
    return body


def member(roles: list[str], joined_at: float, nick: str | None = None) -> dict:
    return {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": iso(joined_at),
        "nick": nick,
        "pending": False,
        "premium_since": None,
        "roles": roles,
        "mute": False,
        "deaf": False,
    }


def channel(
    world: World,
    guild_id: str,
    name: str,
    channel_type: int,
    position: int,
    at: float | None = None,
    parent_id: str | None = None,
    topic: str | None = None,
    overwrites: list[dict] | None = None,
    nsfw: bool = False,
    rate_limit_per_user: int = 0,
) -> dict:
    body: dict[str, Any] = {
        "id": world.new_id(at),
        "type": channel_type,
        "last_message_id": None,
        "flags": 0,
        "guild_id": guild_id,
        "name": name,
        "parent_id": parent_id,
        "position": position,
        "permission_overwrites": overwrites or [],
    }
    if channel_type == CHANNEL_VOICE:
        body.update(bitrate=64000, user_limit=0, rtc_region=None, rate_limit_per_user=0, nsfw=nsfw)
    elif channel_type != 4:  # not a category
        body.update(topic=topic, nsfw=nsfw, rate_limit_per_user=rate_limit_per_user)
    if channel_type == CHANNEL_FORUM:
        body.update(
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_tag_setting="match_some",
            default_thread_rate_limit_per_user=0,
        )
    return body


def thread(
    world: World,
    parent: dict,
    name: str,
    thread_type: int,
    owner_id: str,
    at: float | None = None,
    thread_id: str | None = None,
    auto_archive_duration: int = 4320,
    applied_tags: list[str] | None = None,
    invitable: bool = True,
) -> dict:
    assert thread_type in THREAD_TYPES
    thread_id = thread_id or world.new_id(at)
    body: dict[str, Any] = {
        "id": thread_id,
        "type": thread_type,
        "last_message_id": None,
        "flags": 0,
        "guild_id": parent["guild_id"],
        "name": name,
        "parent_id": parent["id"],
        "rate_limit_per_user": 0,
        "owner_id": owner_id,
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": iso(created_at(thread_id)),
            "auto_archive_duration": auto_archive_duration,
            "locked": False,
            "create_timestamp": iso(created_at(thread_id)),
        },
        "message_count": 0,
        "member_count": 0,
        "total_message_sent": 0,
    }
    if thread_type == 12:
        body["thread_metadata"]["invitable"] = invitable
    if applied_tags is not None:
        body["applied_tags"] = applied_tags
    return body


def overwrite(target_id: str, kind: int, allow: int, deny: int) -> dict:
    return {"id": target_id, "type": kind, "allow": str(allow), "deny": str(deny)}


def webhook(world: World, channel: dict, name: str, creator_id: str, at: float | None = None) -> dict:
    webhook_id = world.new_id(at)
    token = world.random_token(68)
    return {
        "application_id": None,
        "avatar": None,
        "channel_id": channel["id"],
        "guild_id": channel["guild_id"],
        "id": webhook_id,
        "name": name,
        "type": 1,
        "user": world.users[creator_id],
        "token": token,
        "url": f"https://discord.com/api/webhooks/{webhook_id}/{token}",
    }


def invite(
    world: World,
    channel: dict,
    inviter_id: str,
    max_age: int = 86400,
    max_uses: int = 0,
    temporary: bool = False,
    at: float | None = None,
) -> dict:
    code = world.random_token(8).replace("-", "x").replace("_", "y")
    return {
        "code": code,
        "guild_id": channel["guild_id"],
        "channel_id": channel["id"],
        "inviter_id": inviter_id,
        "max_age": max_age,
        "max_uses": max_uses,
        "temporary": temporary,
        "uses": 0,
        "created_at": time.time() if at is None else at,
    }


def scheduled_event(world: World, guild_id: str, creator_id: str, body: dict, at: float | None = None) -> dict:
    event_id = world.new_id(at)
    entity_type = body["entity_type"]
    return {
        "id": event_id,
        "guild_id": guild_id,
        "name": body["name"],
        "description": body.get("description"),
        "channel_id": body.get("channel_id") if entity_type != 3 else None,
        "creator_id": creator_id,
        "creator": world.users[creator_id],
        "image": None,
        "scheduled_start_time": body["scheduled_start_time"],
        "scheduled_end_time": body.get("scheduled_end_time"),
        "status": 1,
        "entity_type": entity_type,
        "entity_id": None,
        "entity_metadata": body.get("entity_metadata") if entity_type == 3 else None,
        "recurrence_rule": None,
        "privacy_level": body.get("privacy_level", 2),
        "guild_scheduled_event_exceptions": [],
    }


def emoji(world: World, name: str, creator_id: str, at: float | None = None, animated: bool = False) -> dict:
    return {
        "id": world.new_id(at),
        "name": name,
        "roles": [],
        "user": world.users[creator_id],
        "require_colons": True,
        "managed": False,
        "animated": animated,
        "available": True,
    }


def keyword_rule(
    world: World, guild_id: str, creator_id: str, name: str, keywords: list[str], at: float | None = None
) -> dict:
    return {
        "id": world.new_id(at),
        "guild_id": guild_id,
        "creator_id": creator_id,
        "name": name,
        "event_type": 1,
        "actions": [{"type": 1, "metadata": {"custom_message": "Please keep it civil."}}],
        "trigger_type": 1,
        "enabled": True,
        "exempt_roles": [],
        "exempt_channels": [],
        "trigger_metadata": {"keyword_filter": keywords, "regex_patterns": [], "allow_list": []},
    }
