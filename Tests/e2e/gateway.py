"""Start, watch and stop the real mcp-gateway process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-operator-password-0123"

HTTP_TIMEOUT = httpx2.Timeout(15.0)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
EXIT_TIMEOUT = 20.0

_OWN_SETTINGS = ("OAUTH_", "GATEWAY_", "DATABASE_PATH", "BACKENDS_FILE", "MCP_BACKEND_", "BACKEND_", "DISCORD_")


def _die_with_parent() -> None:
    """In the child before exec: on Linux, get SIGKILL if the test process dies, so no server outlives the run."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def binary_path() -> Path:
    raw = os.environ.get("MCP_GATEWAY_BIN", ".build/debug/mcp-gateway")
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(port: int, data_dir: Path, overrides: dict[str, str | None] | None = None) -> dict[str, str]:
    """Environment for one gateway: the parent's, minus any of our settings, plus test values.

    An override whose value is None removes that variable.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}
    env.update(
        OAUTH_ISSUER_URL=f"http://127.0.0.1:{port}",
        GATEWAY_BIND_ADDR="127.0.0.1",
        GATEWAY_PORT=str(port),
        GATEWAY_DATA_DIR=str(data_dir),
        DATABASE_PATH=str(data_dir / "gateway.sqlite"),
        OAUTH_PASSWORD=PASSWORD,
    )
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class GatewayError(AssertionError):
    pass


class Gateway:
    """One server process. Logs go to <workdir>/stdout.log and stderr.log (appended across restarts)."""

    def __init__(
        self,
        workdir: Path,
        overrides: dict[str, str | None] | None = None,
        port: int | None = None,
        cwd: Path | None = None,
        name: str = "gateway",
        args: list[str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.env = base_env(self.port, workdir, overrides)
        # Its own folder, so no .env or backends.json of the repository's working copy leaks into a test.
        self.cwd = cwd or workdir
        self.name = name
        self.args = list(args or [])
        self.proc: subprocess.Popen[bytes] | None = None
        self.stdout_path = workdir / "stdout.log"
        self.stderr_path = workdir / "stderr.log"

    # --- addresses -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.env["OAUTH_ISSUER_URL"]

    @property
    def mcp_url(self) -> str:
        return self.issuer + "/mcp"

    @property
    def password(self) -> str | None:
        return self.env.get("OAUTH_PASSWORD")

    def url(self, path: str) -> str:
        return self.base_url + path

    # --- lifecycle -------------------------------------------------------------------
    def start(self, wait: bool = True) -> "Gateway":
        binary = binary_path()
        if not binary.exists():
            raise GatewayError(f"gateway binary not found at {binary} (set MCP_GATEWAY_BIN or run swift build)")
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [str(binary), "serve", *self.args],
                cwd=str(self.cwd),
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            out.close()
            err.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last: str = ""
        with httpx2.Client(timeout=2.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise GatewayError(
                        f"gateway exited with {self.proc.returncode} before /health answered\n{self.logs()}"
                    )
                try:
                    r = http.get(self.url("/health"))
                    if r.status_code == 200:
                        return
                    last = f"HTTP {r.status_code}: {r.text[:200]}"
                except httpx2.TransportError as e:
                    last = repr(e)
                time.sleep(0.1)
        self.stop()
        raise GatewayError(f"/health not ready after {timeout}s (last: {last})\n{self.logs()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                return proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def restart(self) -> "Gateway":
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # --- logs ------------------------------------------------------------------------
    def stdout(self) -> str:
        return _read(self.stdout_path)

    def stderr(self) -> str:
        return _read(self.stderr_path)

    def log_mark(self) -> tuple[int, int]:
        return (_size(self.stdout_path), _size(self.stderr_path))

    def logs(self, since: tuple[int, int] = (0, 0), limit: int = 20000) -> str:
        out = _read(self.stdout_path, since[0])[-limit:]
        err = _read(self.stderr_path, since[1])[-limit:]
        return f"--- {self.name} stdout ({self.stdout_path}) ---\n{out}\n--- {self.name} stderr ---\n{err}"


def serve_until_exit(gw: "Gateway", timeout: float = EXIT_TIMEOUT) -> int | None:
    """Start `gw` and wait for it to exit; its exit code, or None when it answered /health or outlived `timeout`
    (it is stopped then)."""
    gw.start(wait=False)
    assert gw.proc is not None
    proc = gw.proc
    code: int | None = None
    deadline = time.monotonic() + timeout
    with httpx2.Client(timeout=1.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            try:
                if http.get(gw.url("/health")).status_code == 200:
                    break  # it started serving: no refusal
            except httpx2.TransportError:
                pass
    gw.stop()
    return code


def run_until_exit(
    workdir: Path,
    overrides: dict[str, str | None] | None = None,
    args: list[str] | None = None,
    timeout: float = EXIT_TIMEOUT,
) -> tuple[int | None, str, str]:
    """Start a gateway that is expected to refuse to start; return (exit code, stdout, stderr).

    Exit code None means it was still running after `timeout` (it was then killed).
    """
    gw = Gateway(workdir, overrides, args=args)
    code = serve_until_exit(gw, timeout)
    return code, gw.stdout(), gw.stderr()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read(path: Path, offset: int = 0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
