"""Discord's error bodies, raised by route handlers and checks as `DiscordError`.

`violation` is set only when the answer is the client's fault in a way a correct client never is
(see DiscordFake.violations); errors caused by the state of the world leave it None.
"""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    def __init__(
        self, status: int, body: dict[str, Any], violation: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.violation = violation
        self.headers = headers or {}


def error(status: int, code: int, message: str, violation: str | None = None) -> DiscordError:
    return DiscordError(status, {"message": message, "code": code}, violation)


# Unknown objects: 404 with the JSON code Discord uses for each kind.
UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "guild": (10004, "Unknown Guild"),
    "invite": (10006, "Unknown Invite"),
    "member": (10007, "Unknown Member"),
    "message": (10008, "Unknown Message"),
    "overwrite": (10009, "Unknown Overwrite"),
    "role": (10011, "Unknown Role"),
    "user": (10013, "Unknown User"),
    "emoji": (10014, "Unknown Emoji"),
    "webhook": (10015, "Unknown Webhook"),
    "ban": (10026, "Unknown Ban"),
    "event": (10070, "Unknown Guild Scheduled Event"),
}


def unknown(kind: str) -> DiscordError:
    code, message = UNKNOWN[kind]
    return error(404, code, message)


def not_found(violation: str | None = None) -> DiscordError:
    return error(404, 0, "404: Not Found", violation)


def unauthorized(violation: str | None) -> DiscordError:
    return error(401, 0, "401: Unauthorized", violation)


def missing_access() -> DiscordError:
    return error(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return error(403, 50013, "Missing Permissions")


def errors_tree(path: list[str | int], code: str, message: str, tree: dict | None = None) -> dict:
    """Adds one field error to Discord's nested `errors` object: {"a": {"0": {"b": {"_errors": [...]}}}}."""
    tree = {} if tree is None else tree
    node = tree
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


def form_error(errors: dict, violation: str | None = None) -> DiscordError:
    """400 Invalid Form Body with Discord's nested errors."""
    return DiscordError(400, {"message": "Invalid Form Body", "code": 50035, "errors": errors}, violation)


def field_error(path: list[str | int], code: str, message: str, violation: str | None = None) -> DiscordError:
    return form_error(errors_tree(path, code, message), violation)
