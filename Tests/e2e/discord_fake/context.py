"""What a route handler gets: the request, its path parameters, the world, and helpers that answer the way
Discord does when something is missing, forbidden or out of range."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .errors import DiscordError
from .world import World


@dataclass
class Request:
    method: str
    raw_path: str
    path: str  # below /api/v10, still percent-encoded
    segments: list[str]  # decoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any = None
    body_present: bool = False
    reason: str | None = None  # the decoded X-Audit-Log-Reason
    user_token: Any = None  # the oauth.UserToken of a request made with `Authorization: Bearer` (else None)


@dataclass
class Context:
    world: World
    request: Request
    params: dict[str, str]
    operation_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- request data ----------------------------------------------------------------------------

    @property
    def reason(self) -> str | None:
        return self.request.reason

    def body(self) -> dict:
        value = self.request.json
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise errors.form_error(
                {"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used in a DictType"}]},
                violation=f"[limit] {self.operation_id}: the body must be a JSON object",
            )
        return value

    def query(self, name: str) -> str | None:
        values = self.request.query.get(name)
        return values[-1] if values else None

    def query_list(self, name: str) -> list[str]:
        return list(self.request.query.get(name, []))

    def query_bool(self, name: str, default: bool = False) -> bool:
        value = self.query(name)
        if value is None:
            return default
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise self.limit_error([name], "BASE_TYPE_BOOLEAN", "Must be either true or false.")

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        """A bounded integer query parameter, answered like Discord when out of range."""
        value = self.query(name)
        if value is None:
            return default
        if not re.fullmatch(r"-?[0-9]+", value):
            raise self.limit_error([name], "NUMBER_TYPE_COERCE", f'Value "{value[:40]}" is not int.')
        number = int(value)
        if number > high:
            raise self.limit_error([name], "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
        if number < low:
            raise self.limit_error([name], "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}.")
        return number

    def query_snowflake(self, name: str) -> str | None:
        value = self.query(name)
        if value is not None and not re.fullmatch(r"0|[1-9][0-9]{0,19}", value):
            raise self.limit_error([name], "NUMBER_TYPE_COERCE", f'Value "{value[:40]}" is not snowflake.')
        return value

    def limit_error(self, path: list[str | int], code: str, message: str) -> DiscordError:
        """400 Invalid Form Body for a documented limit a correct client checks itself: a violation."""
        where = ".".join(str(p) for p in path)
        return errors.field_error(path, code, message, violation=f"[limit] {self.operation_id}: {where}: {message}")

    # ---- world lookups ---------------------------------------------------------------------------

    def guild(self, guild_id: str | None = None) -> dict:
        """The guild, if the bot is in it: unknown ids are 404 Unknown Guild, others' guilds 403 Missing Access."""
        guild_id = guild_id or self.params["guild_id"]
        guild = self.world.guilds.get(guild_id)
        if guild is None:
            raise errors.unknown("guild")
        if not self.world.bot_in(guild_id):
            raise errors.missing_access()
        return guild

    def channel(self, channel_id: str | None = None) -> dict:
        channel_id = channel_id or self.params["channel_id"]
        channel = self.world.channels.get(channel_id)
        if channel is None:
            raise errors.unknown("channel")
        guild_id = channel.get("guild_id")
        if guild_id is not None and not self.world.bot_in(guild_id):
            raise errors.missing_access()
        if "VIEW_CHANNEL" in self.world.denied:
            raise errors.missing_access()
        return channel

    def message(self, channel_id: str, message_id: str | None = None) -> dict:
        message = self.world.message(channel_id, message_id or self.params["message_id"])
        if message is None:
            raise errors.unknown("message")
        return message

    def member(self, guild_id: str, user_id: str) -> dict:
        member = self.world.members.get(guild_id, {}).get(user_id)
        if member is None:
            raise errors.unknown("member" if user_id in self.world.users else "user")
        return member

    def role(self, guild_id: str, role_id: str) -> dict:
        role = self.world.roles.get(guild_id, {}).get(role_id)
        if role is None:
            raise errors.unknown("role")
        return role

    def user(self, user_id: str) -> dict:
        user = self.world.users.get(user_id)
        if user is None:
            raise errors.unknown("user")
        return user

    # ---- permissions -----------------------------------------------------------------------------

    def require(self, guild_id: str | None, *names: str) -> None:
        """403 Missing Permissions unless the bot has every one of `names` in the guild."""
        for name in names:
            if not self.world.bot_can(guild_id, name):
                raise errors.missing_permissions()

    def require_any(self, guild_id: str | None, *names: str) -> None:
        if not any(self.world.bot_can(guild_id, name) for name in names):
            raise errors.missing_permissions()

    def can_moderate(self, guild_id: str, user_id: str) -> None:
        """Discord's hierarchy: nobody acts on the owner, and the bot only on members ranked below it."""
        guild = self.world.guilds[guild_id]
        if user_id == guild["owner_id"] or user_id == self.world.bot_id:
            raise errors.missing_permissions()
        if user_id in self.world.members.get(guild_id, {}) and (
            self.world.top_role_position(guild_id, user_id) >= self.world.top_role_position(guild_id, self.world.bot_id)
        ):
            raise errors.missing_permissions()
