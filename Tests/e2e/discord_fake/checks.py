"""Header rules every bot request must follow (Discord docs, API Reference):

- User-Agent: "DiscordBot ($url, $versionNumber)", optionally followed by more text;
- Authorization: "Bot <token>";
- X-Audit-Log-Reason: 1 to 512 characters of UTF-8, percent-encoded (only RFC 3986 unreserved characters
  may stay as they are).
Each check returns a problem text (None when fine).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

USER_AGENT = re.compile(r"^DiscordBot \((https?://[^\s,()]+), ([^\s()]+)\)( .*)?$")
ENCODED_REASON = re.compile(r"^(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})*$")
REASON_MAX = 512


def user_agent_problem(value: str | None) -> str | None:
    if not value:
        return "no User-Agent header (Discord requires 'DiscordBot ($url, $versionNumber)')"
    if not USER_AGENT.match(value):
        return f"User-Agent {value[:80]!r} does not match 'DiscordBot ($url, $versionNumber)'"
    return None


def authorization_problem(value: str | None, token: str) -> str | None:
    """Never echoes the header: it may hold a real token."""
    if value is None:
        return "no Authorization header"
    if value == f"Bot {token}":
        return None
    if value == token:
        return "Authorization is the bare token; it must be 'Bot <token>'"
    if value.startswith("Bearer "):
        return "Authorization uses 'Bearer'; a bot token goes as 'Bot <token>'"
    if value.lower().startswith("bot ") and value[4:].strip() == token:
        return "Authorization prefix or spacing is wrong; it must be exactly 'Bot <token>'"
    if value.startswith("Bot "):
        return "Authorization carries a wrong bot token"
    return "Authorization is not 'Bot <token>'"


def decode_reason(value: str) -> tuple[str | None, str | None]:
    """(decoded reason, None) or (None, problem)."""
    if not ENCODED_REASON.match(value):
        bad = sorted({c for c in value if not re.match(r"[A-Za-z0-9\-._~%]", c)})
        return None, f"X-Audit-Log-Reason is not percent-encoded (raw characters {''.join(bad)[:20]!r})"
    try:
        text = unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return None, "X-Audit-Log-Reason is not percent-encoded UTF-8"
    if not text:
        return None, "X-Audit-Log-Reason is empty (1 to 512 characters)"
    if len(text) > REASON_MAX:
        return None, f"X-Audit-Log-Reason is {len(text)} characters once decoded; at most {REASON_MAX}"
    return text, None
