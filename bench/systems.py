"""The systems the side-by-side benchmark compares, each started on loopback in front of the same fast backend
(Tests/e2e/backends/fast_server.py), each able to say how long it took to serve its first tool call.

- the backend itself, over HTTP (the baseline);
- mcp-gateway, with the backend over HTTP and, separately, as a stdio child; once more with its access log at
  `info` (the default) rather than `warning`;
- a real Python MCP server (FastMCP, Tests/e2e/backends/fixture_server.py) directly and behind mcp-gateway: what
  the gateway costs in front of a backend people actually run;
- IBM's ContextForge, with the backend registered over Streamable HTTP through its REST API;
- mcp-proxy, with the backend as its stdio child (it fronts stdio servers only).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from gateway import Gateway, free_port
from mcp_helpers import MODERN, modern_meta
from oauth_helpers import obtain_tokens
from venvs import venv

REPO = Path(__file__).resolve().parent.parent
FAST_SERVER = REPO / "Tests" / "e2e" / "backends" / "fast_server.py"
FASTMCP_SERVER = REPO / "Tests" / "e2e" / "backends" / "fixture_server.py"
ECHO_TEXT = "bench-answer-7f3a"
# A large argument (16 KB) for the rows that show what passing the bytes through costs: the answer echoes it.
LARGE_TEXT = ECHO_TEXT + "x" * (16 * 1024 - len(ECHO_TEXT))
HANDSHAKE_VERSION = "2025-11-25"
READY_TIMEOUT = 180.0


def call_body(tool: str, modern: bool = False, text: str = ECHO_TEXT) -> str:
    """A tools/call of the backend's echo tool; `__ID__` is replaced per request by the load generator."""
    params: dict = {"name": tool, "arguments": {"text": text}}
    if modern:
        params["_meta"] = modern_meta()
    return json.dumps({"jsonrpc": "2.0", "id": 0, "method": "tools/call", "params": params},
                      separators=(",", ":")).replace('"id":0', '"id":__ID__', 1)


def handshake_headers(token: str | None = None) -> dict[str, str]:
    """What a handshake-era client sends on a stateless server: no session, the negotiated version."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "MCP-Protocol-Version": HANDSHAKE_VERSION}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def answered(http: httpx2.Client, url: str, headers: dict[str, str], body: str, expect: str = ECHO_TEXT) -> bool:
    try:
        r = http.post(url, content=body.replace("__ID__", "1"), headers=headers, timeout=30)
    except httpx2.HTTPError:
        return False
    return r.status_code == 200 and expect in r.text and '"isError":true' not in r.text.replace(" ", "")


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, cwd=cwd,
                                start_new_session=True)


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM to the process group, SIGKILL after 15 s."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class System:
    """One thing under test: where a tools/call goes, with what headers and body, and which process to measure."""

    label = ""
    tool = "echo"
    modern = False
    text = ECHO_TEXT
    # The backend a system spawns itself is not the system's memory.
    exclude_from_memory: str | None = str(FAST_SERVER.name)

    def __init__(self, work: Path) -> None:
        self.work = work / self.label.replace(" ", "-").replace("(", "").replace(")", "")
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    @property
    def headers(self) -> dict[str, str]:
        return handshake_headers(self.token)

    @property
    def body(self) -> str:
        return call_body(self.tool, self.modern, self.text)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def prepare(self) -> None:
        """One-time set-up before the timed start (installing, a first run that creates state)."""

    def launch(self) -> None:
        raise NotImplementedError

    def start(self) -> float:
        """Starts the system; returns the seconds from spawning it to its first correct tools/call answer."""
        return self.start_until(self.url, self.headers, self.body)

    def start_until(self, url: str, headers: dict[str, str], body: str, expect: str = ECHO_TEXT) -> float:
        """Starts the system; returns the seconds from spawning it to its first correct answer to `body`."""
        started = time.monotonic()
        self.launch()
        with httpx2.Client(trust_env=False) as http:
            while time.monotonic() - started < READY_TIMEOUT:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.label} exited with {self.proc.returncode}; see {self.work}")
                self.before_first_call(http)
                if answered(http, url, headers, body, expect):
                    return time.monotonic() - started
                time.sleep(0.05)
        raise RuntimeError(f"{self.label} did not answer a tools/call within {READY_TIMEOUT:.0f} s; see {self.work}")

    def before_first_call(self, http: httpx2.Client) -> None:
        """Anything the system needs once it is up and before it can route a call (ContextForge: registration)."""

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


class DirectBackend(System):
    label = "backend directly"
    exclude_from_memory = None

    def launch(self) -> None:
        self.proc = spawn([sys.executable, str(FAST_SERVER), "--port", str(self.port)], self.work / "backend.log")


class DirectBackendLarge(DirectBackend):
    """The fast backend on a port of its own, called with a 16 KB argument."""

    label = "backend directly (16 KB arguments)"
    text = LARGE_TEXT


class FastMCPBackend(System):
    """A FastMCP server over Streamable HTTP, asked in the stateless modern revision (it answers in JSON)."""

    label = "FastMCP backend directly"
    modern = True
    exclude_from_memory = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
                "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": self.tool}

    def launch(self) -> None:
        self.proc = spawn([sys.executable, str(FASTMCP_SERVER), "--name", "bench", "--port", str(self.port)],
                          self.work / "fastmcp.log", env={**os.environ, "FASTMCP_CHECK_FOR_UPDATES": "off"})


class McpGateway(System):
    """mcp-gateway's release binary with a fresh database; the token comes from the real OAuth flow in a first
    run, so the timed start is a restart (as in production: the database and the client's token already exist)."""

    tool = "fast__echo"
    modern = True

    def __init__(self, work: Path, backends: dict[str, dict], label: str, tool: str = "fast__echo",
                 log_level: str = "warning", text: str = ECHO_TEXT) -> None:
        self.label = label
        self.tool = tool
        self.text = text
        super().__init__(work)
        (self.work / "backends.json").write_text(json.dumps({"backends": backends}))
        self.gateway = Gateway(self.work / "gateway", port=self.port, overrides={
            "LOG_LEVEL": log_level, "BACKENDS_FILE": str(self.work / "backends.json")})

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
                "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": self.tool,
                "Authorization": f"Bearer {self.token}"}

    @property
    def floor_url(self) -> str:
        """`GET /health`: no token, no JSON, no backend; what the HTTP server alone costs per request."""
        return f"http://127.0.0.1:{self.port}/health"

    def prepare(self) -> None:
        self.gateway.start()
        try:
            with httpx2.Client(timeout=30, trust_env=False) as http:
                self.token = obtain_tokens(http, self.gateway)[1]["access_token"]
        finally:
            self.gateway.stop()

    def launch(self) -> None:
        self.gateway.start(wait=False)
        self.proc = self.gateway.proc

    def stop(self) -> None:
        self.gateway.stop()
        self.proc = None


class ContextForge(System):
    """IBM's ContextForge (mcp-contextforge-gateway) as its `mcpgateway` command runs it: one uvicorn process,
    SQLite. The backend is registered through the REST API after the first start; the timed start is a restart.
    Its default request rate limit (100/min per client, then a 15-minute lockout) is turned off, or no load test
    could run; everything else is left at its defaults (stateless, JSON answers, no session reuse)."""

    label = "ContextForge"
    tool = "fast-echo"

    def __init__(self, work: Path, backend_url: str) -> None:
        super().__init__(work)
        self.backend_url = backend_url
        self.secret = secrets.token_hex(32)  # hex: a leading "-" would read as an option
        self.registered = False

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.work),
            "DATABASE_URL": f"sqlite:///{self.work / 'contextforge.db'}",
            "JWT_SECRET_KEY": self.secret, "AUTH_ENCRYPTION_SECRET": secrets.token_hex(32),
            "PLATFORM_ADMIN_EMAIL": "admin@example.com", "MCPGATEWAY_UI_ENABLED": "false",
            "MCPGATEWAY_ADMIN_API_ENABLED": "false", "LOG_LEVEL": "ERROR",
            "SSRF_ALLOW_LOCALHOST": "true", "RATE_LIMITING_ENABLED": "false",
        }

    def prepare(self) -> None:
        self.bin = venv("contextforge")
        self.token = subprocess.run(
            [str(self.bin / "python"), "-m", "mcpgateway.utils.create_jwt_token", "-u", "admin@example.com",
             "-e", "10080", "-s", self.secret], capture_output=True, text=True, check=True, timeout=120,
            cwd=self.work, env=self.env()).stdout.strip().splitlines()[-1]
        self.first_start = self.start()
        self.stop()

    def launch(self) -> None:
        self.proc = spawn([str(self.bin / "mcpgateway"), "--host", "127.0.0.1", "--port", str(self.port),
                           "--log-level", "warning", "--no-access-log"],
                          self.work / "contextforge.log", env=self.env(), cwd=self.work)

    def before_first_call(self, http: httpx2.Client) -> None:
        if self.registered:
            return
        try:
            if http.get(f"http://127.0.0.1:{self.port}/health", timeout=5).status_code != 200:
                return
        except httpx2.HTTPError:
            return
        r = http.post(f"http://127.0.0.1:{self.port}/v1/gateways", timeout=60,
                      headers={"Authorization": f"Bearer {self.token}"},
                      json={"name": "fast", "url": self.backend_url, "transport": "STREAMABLEHTTP"})
        if r.status_code not in (200, 201):
            raise RuntimeError(f"ContextForge refused the backend: {r.status_code} {r.text[:500]}")
        self.registered = True


class McpProxy(System):
    """sparfenyuk's mcp-proxy in stateless mode with the backend as its stdio child (it cannot front an HTTP
    server); its answers are JSON."""

    label = "mcp-proxy (stdio backend)"

    def prepare(self) -> None:
        self.bin = venv("mcp-proxy")

    def launch(self) -> None:
        self.proc = spawn(
            [str(self.bin / "mcp-proxy"), "--host", "127.0.0.1", "--port", str(self.port), "--stateless",
             "--log-level", "WARNING", "--", sys.executable, str(FAST_SERVER), "--stdio"],
            self.work / "mcp-proxy.log")
