"""A stateful fake of Discord's REST API v10 for the gateway's end-to-end tests.

`DiscordFake` serves a seeded world (guilds, channels, messages, members, roles, webhooks, invites, events,
audit log) over HTTP on 127.0.0.1 and checks each request the way Discord would:

- headers: `Authorization: Bot <token>`, `User-Agent: DiscordBot ($url, $versionNumber)`, a percent-encoded
  `X-Audit-Log-Reason` of at most 512 characters (checks.py);
- rate limits: X-RateLimit-* headers on every answer, buckets per route and top-level resource, the global
  50 requests/s, forced 429s (rate_limits.py);
- Discord's documented limits and error bodies (routes_*.py, errors.py);
- the request against Discord's OpenAPI spec when one is available (openapi_check.py);
- "Sign in with Discord" (oauth.py): /oauth2/authorize (the browser's page; the test picks the user with
  `sign_in_as`), the token and revocation URLs (authorization-code grant with PKCE S256, refresh), and
  `Authorization: Bearer <user token>` on /users/@me (identify), /users/@me/guilds (guilds) and /oauth2/@me only.

Client mistakes go to `fake.violations` (strings tagged [auth], [user-agent], [audit-reason], [rate-limit],
[openapi], [limit], [http], [oauth]); answers caused by the world (unknown message, missing permission, a wrong
client secret, an expired code, a revoked token) don't.
"""

from .fake import DiscordFake

__all__ = ["DiscordFake"]
