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
import threading
import traceback
from pathlib import Path

from . import permissions
from .context import Request
from .dispatch import Dispatcher
from .openapi_check import OpenAPISpec
from .rate_limits import RateLimiter
from .routing import Response
from .seed import seed
from .server import FakeHTTPServer
from .snowflakes import SnowflakeFactory
from .world import World

SPEC_ENV = "DISCORD_OPENAPI_SPEC"


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
