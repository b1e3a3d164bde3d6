"""Discord's rate limits: per-route buckets kept per top-level resource, plus the global per-bot limit.

A bucket's window starts with its first request (limit requests per window), as Discord's do. A request that
arrives while its bucket (or the global limit) has nothing left is "past the limit": 429, and a client error.

GRACE: the fake forgets a spent window GRACE seconds before the reset it advertised, so a client that waits
exactly what the headers say (rounded to milliseconds, measured from when it read the answer) is never
reported. GLOBAL_GRACE: the global window is counted that much short of its length, because a client can only
space its sends, not their arrival (a request held up on its way shrinks the gap to the next one). Clients that
really jump the gun are still caught.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import deque
from dataclasses import dataclass, field

GRACE = 0.01
GLOBAL_GRACE = 0.05

# Templates that share one bucket hash, as Discord groups some similar routes (they share one limit).
SHARED_BUCKETS: dict[str, list[tuple[str, str]]] = {
    "reactions": [
        ("PUT", "/channels/{}/messages/{}/reactions/{}/@me"),
        ("DELETE", "/channels/{}/messages/{}/reactions/{}/@me"),
        ("DELETE", "/channels/{}/messages/{}/reactions/{}/{}"),
    ],
    "pins": [
        ("PUT", "/channels/{}/messages/pins/{}"),
        ("DELETE", "/channels/{}/messages/pins/{}"),
    ],
    "member-roles": [
        ("PUT", "/guilds/{}/members/{}/roles/{}"),
        ("DELETE", "/guilds/{}/members/{}/roles/{}"),
    ],
    "overwrites": [
        ("PUT", "/channels/{}/permissions/{}"),
        ("DELETE", "/channels/{}/permissions/{}"),
    ],
}


def normalize_template(template: str) -> str:
    """'/api/v10/channels/{channel_id}/messages' -> '/channels/{}/messages' (parameter names don't matter)."""
    if template.startswith("/api/v10/"):
        template = template[len("/api/v10") :]
    return re.sub(r"\{[^}]*\}", "{}", template)


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:32]


_SHARED_HASH = {
    (method, template): _hash(f"shared {name}")
    for name, routes in SHARED_BUCKETS.items()
    for method, template in routes
}


def bucket_hash(method: str, template: str) -> str:
    key = (method.upper(), normalize_template(template))
    return _SHARED_HASH.get(key) or _hash(f"{key[0]} {key[1]}")


def major_parameter(segments: list[str]) -> str:
    """The top-level resource of a path: channels/<id>, guilds/<id>, webhooks/<id>[/<token>], or ''."""
    if len(segments) >= 2 and segments[0] in ("channels", "guilds"):
        return f"{segments[0]}/{segments[1]}"
    if len(segments) >= 2 and segments[0] == "webhooks":
        return "/".join(segments[:3])
    return ""


@dataclass
class Bucket:
    limit: int
    remaining: int
    reset_at: float  # monotonic seconds
    scope: str = "user"


@dataclass
class Forced:
    retry_after: float
    global_: bool
    scope: str


@dataclass
class Decision:
    """What the limiter says about one request: headers to send, and a 429 body when refused."""

    headers: dict[str, str]
    refused: dict | None = None
    past_limit: bool = False
    scope: str | None = None
    reason: str = ""


@dataclass
class RateLimiter:
    default_limit: int = 50
    default_window: float = 1.0
    global_limit: int = 50
    global_window: float = 1.0
    limits: dict[str, tuple[int, float]] = field(default_factory=dict)  # bucket hash -> (limit, window)
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)  # (hash, major) -> state
    forced: dict[tuple[str, str], deque[Forced]] = field(default_factory=dict)  # (method, template) -> pending
    global_arrivals: deque[float] = field(default_factory=deque)
    global_blocked_until: float = 0.0

    def set_limit(self, method: str, template: str, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        digest = bucket_hash(method, template)
        self.limits[digest] = (limit, window)
        for key in [k for k in self.buckets if k[0] == digest]:
            del self.buckets[key]

    def force(self, method: str, template: str, retry_after: float, global_: bool, scope: str) -> None:
        if scope not in ("user", "global", "shared"):
            raise ValueError("scope is one of user, global, shared")
        key = (method.upper(), normalize_template(template))
        self.forced.setdefault(key, deque()).append(Forced(retry_after, global_, "global" if global_ else scope))

    def admit(self, method: str, template: str, major: str, now: float, epoch: float, bot_request: bool) -> Decision:
        """Decides on one request arriving at monotonic time `now` (epoch time `epoch`)."""
        digest = bucket_hash(method, template)
        if bot_request:
            refused = self._global_refusal(now)
            if refused:
                return refused
        key = (digest, major)
        bucket = self.buckets.get(key)
        if bucket and now >= bucket.reset_at - GRACE:
            bucket = None
            del self.buckets[key]
        if bucket and bucket.remaining <= 0:
            retry = max(bucket.reset_at - now, 0.001)
            return Decision(
                headers={**self._headers(bucket, digest, now, epoch), **_retry_headers(retry, bucket.scope)},
                refused=_body(retry, False),
                past_limit=True,
                scope=bucket.scope,
                reason=f"bucket {method} {normalize_template(template)} [{major or 'no resource'}] had 0 remaining",
            )
        pending = self.forced.get((method.upper(), normalize_template(template)))
        if pending:
            forced = pending.popleft()
            if forced.global_:
                self.global_blocked_until = now + forced.retry_after
                return Decision(
                    headers=_retry_headers(forced.retry_after, "global") | {"X-RateLimit-Global": "true"},
                    refused=_body(forced.retry_after, True),
                    scope="global",
                )
            limit, _ = self.limits.get(digest, (self.default_limit, self.default_window))
            bucket = Bucket(limit, 0, now + forced.retry_after, forced.scope)
            self.buckets[key] = bucket
            return Decision(
                headers={
                    **self._headers(bucket, digest, now, epoch),
                    **_retry_headers(forced.retry_after, forced.scope),
                },
                refused=_body(forced.retry_after, False),
                scope=forced.scope,
            )
        if bucket is None:
            limit, window = self.limits.get(digest, (self.default_limit, self.default_window))
            bucket = Bucket(limit, limit, now + window)
            self.buckets[key] = bucket
        bucket.remaining -= 1
        if bot_request:
            self.global_arrivals.append(now)
        return Decision(headers=self._headers(bucket, digest, now, epoch))

    def _global_refusal(self, now: float) -> Decision | None:
        if now < self.global_blocked_until - GRACE:
            retry = self.global_blocked_until - now
            return self._global_decision(retry, "the global limit (after a global 429) was still in force")
        arrivals = self.global_arrivals
        while arrivals and arrivals[0] <= now - (self.global_window - GLOBAL_GRACE):
            arrivals.popleft()
        if len(arrivals) >= self.global_limit:
            retry = max(arrivals[0] + self.global_window - now, 0.001)
            return self._global_decision(
                retry,
                f"{len(arrivals)} requests in the last {self.global_window:g} s (global limit {self.global_limit})",
            )
        return None

    @staticmethod
    def _global_decision(retry: float, reason: str) -> Decision:
        return Decision(
            headers=_retry_headers(retry, "global") | {"X-RateLimit-Global": "true"},
            refused=_body(retry, True),
            past_limit=True,
            scope="global",
            reason=reason,
        )

    @staticmethod
    def _headers(bucket: Bucket, digest: str, now: float, epoch: float) -> dict[str, str]:
        reset_after = _ceil_ms(max(bucket.reset_at - now, 0.0))
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(bucket.remaining, 0)),
            "X-RateLimit-Reset": f"{_ceil_ms(epoch + reset_after):.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": digest,
        }


def _ceil_ms(seconds: float) -> float:
    return math.ceil(seconds * 1000 - 1e-6) / 1000


def _retry_headers(retry_after: float, scope: str) -> dict[str, str]:
    # Retry-After is whole seconds, rounded up; the body's retry_after has the precise value.
    return {"Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Scope": scope}


def _body(retry_after: float, global_: bool) -> dict:
    return {"message": "You are being rate limited.", "retry_after": _ceil_ms(retry_after), "global": global_}
