"""Run the operator's commands (`mcp-gateway clients|tokens|audit …`) on a running gateway's database."""

from __future__ import annotations

import os
import subprocess

from gateway import _OWN_SETTINGS, Gateway, binary_path

CLI_TIMEOUT = 30


def cli_env() -> dict[str, str]:
    """The test process's environment without any gateway setting, so only the flags given count."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}


def cli(gw: Gateway, *args: str, expect: int = 0, input: str | None = None,
        settings: bool = False) -> subprocess.CompletedProcess[str]:
    """Runs `mcp-gateway <args> --database <the gateway's file>` and checks its exit code. With `settings`, the command
    gets the gateway's own environment (its backends, its password setting), as `docker compose exec` would."""
    done = subprocess.run(
        [str(binary_path()), *args, "--database", str(gw.workdir / "gateway.sqlite")], capture_output=True, text=True,
        timeout=CLI_TIMEOUT, env=gw.env if settings else cli_env(), cwd=gw.workdir, input=input)
    assert done.returncode == expect, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    return done


def status_token(gw: Gateway, name: str = "prometheus") -> str:
    """A new personal token with the `status` scope."""
    return cli(gw, "tokens", "create", "--name", name).stdout.strip()
