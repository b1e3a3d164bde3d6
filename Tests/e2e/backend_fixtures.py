"""Start and stop the FastMCP fixture backends (Tests/e2e/backends) the aggregation tests put behind the gateway."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx2

from gateway import Gateway, _die_with_parent, free_port
from oauth_helpers import obtain_tokens

BACKENDS_DIR = Path(__file__).resolve().parent / "backends"
FIXTURE = BACKENDS_DIR / "fixture_server.py"
START_TIMEOUT = 30.0


def fixture_args(name: str, transport: str, port: int = 0, handshake_only: bool = False, many_tools: int = 0,
                 marker_dir: Path | None = None) -> list[str]:
    argv = [sys.executable, str(FIXTURE), "--name", name, "--transport", transport]
    if port:
        argv += ["--port", str(port)]
    if handshake_only:
        argv.append("--handshake-only")
    if many_tools:
        argv += ["--many-tools", str(many_tools)]
    if marker_dir:
        argv += ["--marker-dir", str(marker_dir)]
    return argv


class BackendProcess:
    """One network backend (HTTP or legacy SSE) on a free loopback port; restartable on the same port."""

    def __init__(self, workdir: Path, name: str, transport: str = "http", argv: list[str] | None = None, **kw) -> None:
        self.name = name
        self.transport = transport
        self.port = free_port()
        self.argv = argv or fixture_args(name, transport, self.port, **kw)
        self.log_path = workdir / f"backend-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sse" if self.transport == "sse" else f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> "BackendProcess":
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                env={"FASTMCP_CHECK_FOR_UPDATES": "off", "PATH": "/usr/bin:/bin"},
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"backend {self.name} exited with {self.proc.returncode}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"backend {self.name} did not listen within {START_TIMEOUT}s\n{self.log()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""


def script_backend(workdir: Path, name: str, script: str, *args: str) -> BackendProcess:
    """A backend run from another script of Tests/e2e/backends as `script --port PORT args…`."""
    process = BackendProcess(workdir, name)
    process.argv = [sys.executable, str(BACKENDS_DIR / script), "--port", str(process.port), *args]
    return process


def resident_bytes(pid: int) -> int:
    """The resident memory of a process (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def write_backends_file(path: Path, backends: dict[str, dict]) -> Path:
    path.write_text(json.dumps({"backends": backends}, indent=2))
    return path


@contextmanager
def gateway_in_front(work: Path, processes: dict[str, BackendProcess], entries: dict[str, dict] | None = None,
                     name: str = "gateway", overrides: dict[str, str] | None = None) -> Iterator[tuple[Gateway, str]]:
    """Starts the backends and a gateway in front of them (the network backends by their URLs, plus `entries`);
    yields the gateway and an access token from the real OAuth flow; stops everything afterwards."""
    gw = None
    try:
        for process in processes.values():
            process.start()
        backends = {n: {"url": p.url, **({"transport": "sse"} if p.transport == "sse" else {})} for n, p in processes.items()}
        backends.update(entries or {})
        backends_file = write_backends_file(work / "backends.json", backends)
        gw = Gateway(work / "gateway", {"BACKENDS_FILE": str(backends_file), **(overrides or {})}, name=name)
        gw.start()
        with httpx2.Client(timeout=30, trust_env=False) as http:
            _, tokens = obtain_tokens(http, gw)
        yield gw, tokens["access_token"]
    finally:
        if gw is not None:
            gw.stop()
        for process in processes.values():
            process.stop()
