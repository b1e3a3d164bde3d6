"""An OAuth-protected MCP server as a backend (backends/oauth_upstream.py, built on the MCP Python SDK's own
authorization-server support), and the steps of a member connecting it from the gateway's /me."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx2

from member_backend_helpers import Me

UPSTREAM = Path(__file__).resolve().parent / "backends" / "oauth_upstream.py"
START_TIMEOUT = 60.0


class Upstream:
    """One oauth_upstream.py process on a free loopback port (it prints the address it listens on)."""

    def __init__(self, workdir: Path, *flags: str, name: str = "upstream") -> None:
        self.flags = list(flags)
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    @property
    def url(self) -> str:
        return self.base + "/mcp"

    def start(self) -> "Upstream":
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, str(UPSTREAM), "--port", "0", *self.flags], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=log, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        finally:
            log.close()
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        text = line.decode().strip()
        if not text.startswith("LISTENING "):
            self.stop()
            raise AssertionError(f"the upstream did not start: {text!r}\n{self.log()}")
        self.base = text.split(" ", 1)[1]
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def admin(self, method: str, path: str) -> dict:
        with httpx2.Client(timeout=10, trust_env=False) as http:
            r = http.request(method, self.base + path)
            assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text[:500]}"
            return r.json()

    def events(self, kind: str | None = None) -> list[dict]:
        events = self.admin("GET", "/admin/log")["events"]
        return [e for e in events if kind is None or e["type"] == kind]

    def issued_tokens(self) -> list[str]:
        return self.admin("GET", "/admin/tokens")["tokens"]


def connect(me: Me, backend: str, login: str) -> httpx2.Response:
    """The member opens the gateway's connect link, signs in at the upstream as `login` (its login_hint), and comes
    back to the gateway's callback: returns the gateway's page at the end."""
    start = me.http.get(me.gw.url(f"/me/connect?backend={backend}"))
    assert start.status_code == 303, f"connect {backend}: {start.status_code} {start.text[:2000]}"
    return follow_upstream(me, start.headers["location"], login)


def follow_upstream(me: Me, authorize_url: str, login: str) -> httpx2.Response:
    at_upstream = me.http.get(authorize_url + "&" + urlencode({"login_hint": login}))
    assert at_upstream.status_code in (302, 303, 307), f"upstream authorize: {at_upstream.status_code} {at_upstream.text[:500]}"
    back = at_upstream.headers["location"]
    assert back.startswith(me.gw.issuer + "/oauth/upstream/callback?"), back
    return me.http.get(back)


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def oauth_status(gw, token: str) -> list[dict]:
    """The OAuth backends as /status shows them to the holder of `token`."""
    with httpx2.Client(timeout=10, trust_env=False) as http:
        r = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()["oauth_backends"]
