"""DiscordFake: a stateful stand-in for Discord's REST API v10, for the gateway's end-to-end tests.

    with DiscordFake() as fake:
        client.get(f"{fake.base_url}/users/@me", headers={"Authorization": f"Bot {fake.bot_token}", ...})
        assert not fake.violations

See the package's docstring for what it checks and what it records.
"""

from __future__ import annotations

import base64
import functools
import os
import random
import re
import threading
import time
import traceback
from collections.abc import Iterable
from pathlib import Path

from . import permissions, shapes
from .context import Request
from .dispatch import Dispatcher
from .oauth import OAuth
from .openapi_check import OpenAPISpec
from .rate_limits import RateLimiter
from .routing import Response
from .seed import seed
from .server import FakeHTTPServer
from .snowflakes import SnowflakeFactory
from .world import THREAD_TYPES, World, user_object

SPEC_ENV = "DISCORD_OPENAPI_SPEC"
SNOWFLAKE = re.compile(r"^[1-9][0-9]{0,19}$")
USERNAME = re.compile(r"^[a-z0-9_.]{2,32}$")  # Discord's unique usernames: lower case, digits, _ and .


def default_spec_path() -> Path | None:
    """$DISCORD_OPENAPI_SPEC, else <repo>/../shared/reference/discord-openapi.json when it exists."""
    if os.environ.get(SPEC_ENV):
        return Path(os.environ[SPEC_ENV])
    repo = Path(__file__).resolve().parents[3]
    candidate = repo.parent / "shared" / "reference" / "discord-openapi.json"
    return candidate if candidate.is_file() else None


@functools.lru_cache(maxsize=4)
def _load_spec(path: Path, modified: float) -> OpenAPISpec:
    return OpenAPISpec(path)


def load_spec(path: Path) -> OpenAPISpec:
    """The spec, read once per file (and again if it changes): it is only read after loading, so fakes share it."""
    resolved = path.resolve()
    return _load_spec(resolved, resolved.stat().st_mtime)


class DiscordFake:
    def __init__(self, spec_path: str | Path | None | bool = None, seed_value: int | None = None) -> None:
        """spec_path: None finds the spec (see default_spec_path); False runs without one.
        seed_value: makes ids and tokens reproducible (random by default)."""
        if spec_path is False:
            path = None
        else:
            path = Path(spec_path) if spec_path is not None else default_spec_path()
        self.spec: OpenAPISpec | None = load_spec(path) if path is not None else None
        self.rng = random.Random(seed_value)
        self.lock = threading.RLock()
        self.world = World(SnowflakeFactory(self.rng), self.rng)
        self.ids: dict[str, str] = seed(self.world)
        self.bot_token = self._make_token()
        # Sign in with Discord: the bot's application (client id = the bot's id), no redirect URIs until a test
        # registers some (register_application).
        self.oauth = OAuth(self.world, self.rng)
        self.oauth.register(self.ids["bot"], None, [])
        self.limiter = RateLimiter()
        self.requests: list[dict] = []
        self.violations: list[str] = []
        self.unhandled: list[str] = []  # requests for operations the spec has but the fake doesn't serve
        self.errors: list[str] = []  # the fake's own failures (answered 500): a bug here, not in the client
        self.past_limit_count = 0
        self.invalid_request_count = 0
        self._dispatcher = Dispatcher(self)
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> DiscordFake:
        if self._server is None:
            self._server = FakeHTTPServer(self._handle)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="discord-fake", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> DiscordFake:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def authorize_url(self) -> str:
        """Like https://discord.com/oauth2/authorize (not under /api; /api[/v10]/oauth2/authorize work too)."""
        return f"{self.origin}/oauth2/authorize"

    @property
    def token_url(self) -> str:
        """Like https://discord.com/api/oauth2/token (also served under /api/v10)."""
        return f"{self.origin}/api/oauth2/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.origin}/api/oauth2/token/revoke"

    @property
    def client_id(self) -> str:
        """The default application's client id (the bot's id, as for Discord applications with a bot)."""
        return self.ids["bot"]

    @property
    def client_secret(self) -> str:
        with self.lock:
            return self.oauth.applications[self.ids["bot"]].client_secret

    @property
    def validating(self) -> bool:
        return self.spec is not None

    # ---- settings tests change -------------------------------------------------------------------

    def set_rate_limit(self, method: str, template: str, limit: int, window_seconds: float) -> None:
        """E.g. ("POST", "/channels/{channel_id}/messages", 5, 2.0): applies to the template's whole bucket
        (shared buckets included), kept per top-level resource."""
        with self.lock:
            self.limiter.set_limit(method, template, limit, window_seconds)

    def set_global_limit(self, limit: int, window_seconds: float = 1.0) -> None:
        with self.lock:
            self.limiter.global_limit, self.limiter.global_window = limit, window_seconds

    def force_429(
        self, method: str, template: str, retry_after: float, global_: bool = False, scope: str = "user"
    ) -> None:
        """The next request matching method and template is answered 429 with this retry_after, and its bucket
        (or, with global_, every bot request) stays limited for that long."""
        with self.lock:
            self.limiter.force(method, template, retry_after, global_, scope)

    def deny_permission(self, name: str) -> None:
        """Takes a permission (e.g. "BAN_MEMBERS") from the bot in every guild: actions needing it answer 403."""
        if name not in permissions.FLAGS:
            raise ValueError(f"unknown permission {name!r}")
        with self.lock:
            self.world.denied.add(name)

    def restore_permission(self, name: str) -> None:
        with self.lock:
            self.world.denied.discard(name)

    def disable_guild_search(self) -> None:
        with self.lock:
            self.world.guild_search_enabled = False

    def clear_violations(self) -> None:
        with self.lock:
            self.violations.clear()

    # ---- Sign in with Discord (OAuth2) -------------------------------------------------------------

    def register_application(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: Iterable[str] = (),
        name: str | None = None,
    ) -> tuple[str, str]:
        """Registers (or re-registers) an OAuth2 application; returns (client_id, client_secret).
        client_id None is the default application (the bot's id); client_secret None keeps the application's
        secret (a random one for a new application). redirect_uris replaces the list; they match exactly."""
        with self.lock:
            client_id = client_id or self.ids["bot"]
            if not SNOWFLAKE.match(str(client_id)):
                raise ValueError(f"a client_id is a snowflake (digits), not {client_id!r}")
            uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
            for uri in uris:
                if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", uri) or "#" in uri:
                    raise ValueError(f"a redirect URI is an absolute URI without a fragment, not {uri!r}")
            app = self.oauth.register(str(client_id), client_secret, uris, name)
            return app.client_id, app.client_secret

    def sign_in_as(self, user_id: str | None) -> None:
        """The user the browser is signed in as: from now on /oauth2/authorize lets that user authorize at once.
        None signs out (authorization then answers error=access_denied, as when the user cancels)."""
        with self.lock:
            if user_id is not None:
                if user_id not in self.world.users:
                    raise ValueError(f"unknown user {user_id}")
                if self.world.users[user_id].get("bot"):
                    raise ValueError("a bot user cannot sign in with OAuth2")
            self.oauth.signed_in = user_id

    def deny_next_authorization(self) -> None:
        """The next authorization is cancelled by the user: redirect with error=access_denied (and state)."""
        with self.lock:
            self.oauth.deny_next = True

    def set_code_ttl(self, seconds: float) -> None:
        """How long new authorization codes stay valid (Discord: 10 minutes)."""
        with self.lock:
            self.oauth.code_ttl = float(seconds)

    def set_token_ttl(self, seconds: float) -> None:
        """How long new access tokens stay valid (expires_in; Discord: 604800)."""
        with self.lock:
            self.oauth.token_ttl = float(seconds)

    def revoke_user_tokens(self, user_id: str | None = None) -> int:
        """Revokes every user token (of one user, if given), as when users deauthorize the app; returns how many."""
        with self.lock:
            count = 0
            for token in self.oauth.tokens:
                if (user_id is None or token.user_id == user_id) and not token.revoked:
                    token.revoked = True
                    count += 1
            return count

    def oauth_requests(self, endpoint: str | None = None) -> list[dict]:
        """Recorded OAuth2 requests, oldest first: endpoint "authorize", "token", "revoke", or the user route
        called with a Bearer token ("users/@me", "users/@me/guilds", "oauth2/@me"). Besides the usual request
        fields (method, path, query, headers, body, status) they have, where they apply: form (the parsed body),
        client_auth ("client_secret_basic", "client_secret_post", "both", "none"), client_id, client_secret,
        grant_type, code, redirect_uri, code_verifier, state, scope, code_challenge, code_challenge_method,
        location (authorize's redirect), user_id, error (the OAuth2 error code) and response (the JSON answer)."""
        with self.lock:
            return [dict(r) for r in self.oauth.records if endpoint is None or r["endpoint"] == endpoint]

    def issued_user_tokens(self) -> list[dict]:
        """Every user token issued, oldest first: access_token, refresh_token, client_id, user_id, scopes,
        issued_at, expires_at (epoch seconds), revoked, active."""
        with self.lock:
            return [t.public() for t in self.oauth.tokens]

    def user_token_uses(self) -> list[dict]:
        """Recorded requests (any route, any scheme) whose Authorization header carries an issued user access
        or refresh token, so a test can check a member's token only ever went to /users/@me (see "template")."""
        with self.lock:
            secrets = [s for t in self.oauth.tokens for s in (t.access_token, t.refresh_token)]
            return [
                dict(r)
                for r in self.requests
                if any(s in (r["headers"].get("authorization") or "") for s in secrets)
            ]

    # ---- the world: users, members, roles, overwrites ----------------------------------------------

    def add_user(self, username: str, global_name: str | None = None, email: str | None = None) -> str:
        """A new Discord user (not in any guild); returns its id. email is shown with the email scope."""
        with self.lock:
            if not USERNAME.match(username):
                raise ValueError(f"username {username!r}: 2 to 32 of a-z, 0-9, _ and .")
            if any(u["username"] == username for u in self.world.users.values()):
                raise ValueError(f"username {username!r} is taken")
            user_id = self.world.new_id()
            self.world.users[user_id] = user_object(user_id, username, global_name)
            if email is not None:
                self.world.user_emails[user_id] = email
            return user_id

    def _guild_roles(self, guild_id: str, role_ids: Iterable[str]) -> list[str]:
        if guild_id not in self.world.guilds:
            raise ValueError(f"unknown guild {guild_id}")
        roles = self.world.roles.get(guild_id, {})
        wanted = list(dict.fromkeys(str(r) for r in role_ids))
        for role_id in wanted:
            if role_id == guild_id:
                raise ValueError("@everyone (the guild's id) is every member's role: it is not listed in roles")
            if role_id not in roles:
                raise ValueError(f"role {role_id} is not a role of guild {guild_id}")
        return wanted

    def add_member(
        self, guild_id: str, user_id: str, role_ids: Iterable[str] = (), nick: str | None = None
    ) -> None:
        """Makes a user a member of a guild, with these roles (besides @everyone)."""
        with self.lock:
            roles = self._guild_roles(guild_id, role_ids)
            if user_id not in self.world.users:
                raise ValueError(f"unknown user {user_id}")
            if user_id in self.world.members.setdefault(guild_id, {}):
                raise ValueError(f"user {user_id} is already a member of {guild_id} (see set_member_roles)")
            if user_id in self.world.bans.get(guild_id, {}):
                raise ValueError(f"user {user_id} is banned from {guild_id}")
            self.world.members[guild_id][user_id] = shapes.member(roles, time.time(), nick=nick)

    def set_member_roles(self, guild_id: str, user_id: str, role_ids: Iterable[str]) -> None:
        with self.lock:
            roles = self._guild_roles(guild_id, role_ids)
            member = self.world.members.get(guild_id, {}).get(user_id)
            if member is None:
                raise ValueError(f"user {user_id} is not a member of {guild_id}")
            member["roles"] = roles

    def remove_member(self, guild_id: str, user_id: str) -> None:
        """The user leaves the guild (GET /guilds/{g}/members/{u} answers 404 Unknown Member afterwards)."""
        with self.lock:
            if user_id not in self.world.members.get(guild_id, {}):
                raise ValueError(f"user {user_id} is not a member of {guild_id}")
            if self.world.guilds[guild_id]["owner_id"] == user_id:
                raise ValueError("the owner cannot leave their guild")
            del self.world.members[guild_id][user_id]

    def add_role(
        self,
        guild_id: str,
        name: str,
        permissions: int,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> str:
        """A new role at the bottom of the hierarchy (position 1, above @everyone), as Discord creates roles;
        permissions is the bit set as an integer (served as a string). Returns the role id."""
        with self.lock:
            if guild_id not in self.world.guilds:
                raise ValueError(f"unknown guild {guild_id}")
            if isinstance(permissions, bool) or not isinstance(permissions, int) or permissions < 0:
                raise ValueError("permissions is a non-negative integer bit set")
            roles = self.world.roles.setdefault(guild_id, {})
            for role in roles.values():
                if role["position"] >= 1:
                    role["position"] += 1
            role = shapes.role(
                self.world, guild_id, name, permissions, 1, color=color, hoist=hoist, mentionable=mentionable
            )
            roles[role["id"]] = role
            return role["id"]

    def set_channel_overwrites(self, channel_id: str, overwrites: list[dict]) -> None:
        """Replaces a guild channel's permission_overwrites. Each: {"id", "type": 0 (role) or 1 (member),
        "allow", "deny"} with allow/deny as integers or strings of digits (served as strings)."""
        with self.lock:
            channel = self.world.channels.get(channel_id)
            if channel is None or channel.get("guild_id") is None or channel["type"] in THREAD_TYPES:
                raise ValueError(f"{channel_id} is not a guild channel that has overwrites (threads have none)")
            guild_id = channel["guild_id"]
            out = []
            for item in overwrites:
                target, kind = str(item["id"]), item.get("type")
                if kind == 0 and target not in self.world.roles.get(guild_id, {}):
                    raise ValueError(f"overwrite type 0 names a role; {target} is not one of guild {guild_id}")
                if kind == 1 and target not in self.world.users:
                    raise ValueError(f"overwrite type 1 names a member; {target} is not a user")
                if kind not in (0, 1):
                    raise ValueError("an overwrite's type is 0 (role) or 1 (member)")
                bits = []
                for key in ("allow", "deny"):
                    value = item.get(key, 0)
                    if isinstance(value, bool) or not (
                        (isinstance(value, int) and value >= 0) or (isinstance(value, str) and value.isdigit())
                    ):
                        raise ValueError(f"an overwrite's {key} is a permission bit set, not {value!r}")
                    bits.append(int(value))
                out.append(shapes.overwrite(target, kind, bits[0], bits[1]))
            channel["permission_overwrites"] = out

    # ---- helpers for tests -------------------------------------------------------------------------

    def requests_to(self, method: str, template: str) -> list[dict]:
        """Recorded requests whose route template is `template` (parameter names as in the spec)."""
        with self.lock:
            return [r for r in self.requests if r["method"] == method and r["template"] == template]

    def audit_entries(self, guild_id: str | None = None, action_type: int | None = None) -> list[dict]:
        with self.lock:
            entries = self.world.audit_log.get(guild_id or self.ids["guild"], [])
            return [e for e in entries if action_type is None or e["action_type"] == action_type]

    # ---- internals ---------------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        with self.lock:
            try:
                return self._dispatcher.handle(request)
            except Exception as failure:
                where = traceback.extract_tb(failure.__traceback__)[-1]
                self.errors.append(f"{request.method} {request.path}: {failure!r} at {where.filename}:{where.lineno}")
                raise

    def _make_token(self) -> str:
        """Shaped like a real bot token: base64(bot id) . 6 chars . 38 chars."""
        head = base64.b64encode(self.ids["bot"].encode()).decode().rstrip("=")
        return f"{head}.{self.world.random_token(6)}.{self.world.random_token(38)}"
