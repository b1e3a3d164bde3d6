"""Discord ids (snowflakes) and timestamps.

A snowflake carries its creation time in its top 42 bits (milliseconds since Discord's epoch, 2015-01-01),
so ids made here for "20 days ago" really look 20 days old to a client that decodes them.
"""

from __future__ import annotations

import random
import re
import threading
import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000
SNOWFLAKE_RE = re.compile(r"^(0|[1-9][0-9]*)$")


class SnowflakeFactory:
    """Makes unique, time-ordered ids; the low 22 bits are random-ish so each fake's ids differ."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def make(self, at: float | None = None) -> str:
        """An id created at `at` (epoch seconds; now when None)."""
        moment = time.time() if at is None else at
        millis = int(moment * 1000) - DISCORD_EPOCH_MS
        with self._lock:
            while True:
                value = (millis << 22) | self._rng.getrandbits(22)
                if value not in self._used:
                    self._used.add(value)
                    return str(value)


def is_snowflake(text: str) -> bool:
    return bool(SNOWFLAKE_RE.match(text)) and int(text) < 2**64


def created_at(snowflake: str) -> float:
    """Epoch seconds at which the object with this id was created."""
    return ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000


def iso(at: float) -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and an explicit UTC offset."""
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 timestamp (a trailing Z allowed), or None when it isn't one."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
