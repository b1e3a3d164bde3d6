"""`mcp-gateway check-config` runs every check `serve` runs and changes nothing: for each configuration `serve`
refuses (exit 78, `refusing to start: <SETTING>: …`), check-config in the same environment and working directory
refuses too (exit 78, `configuration error: <SETTING>: …`) naming the same setting, without touching a file; a good
configuration passes both; a fresh data folder stays empty; beside a running gateway it disturbs nothing."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from gateway import Gateway, binary_path, free_port, serve_until_exit
from mcp_helpers import token_status
from oauth_helpers import obtain_tokens

RUN_TIMEOUT = 30
SERVE_REFUSAL = re.compile(r"^mcp-gateway: refusing to start: (.+?): ", re.M)
CHECK_REFUSAL = re.compile(r"^mcp-gateway: configuration error: (.+?): ", re.M)


def check_config(gw: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    """`mcp-gateway check-config` with exactly the environment and working directory `serve` gets."""
    return subprocess.run([str(binary_path()), "check-config", *args], env=gw.env, cwd=gw.cwd, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)


def snapshot(root: Path) -> dict[str, tuple[int, int] | int | str]:
    """Every path under root with its size and modification time (folders as 'dir'; SQLite's -wal files by size;
    -shm files, SQLite's shared-memory index, left out)."""
    out: dict[str, tuple[int, int] | int | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel.endswith("-shm"):
            continue
        out[rel] = ("dir" if path.is_dir() else path.stat().st_size if rel.endswith("-wal")
                    else (path.stat().st_size, path.stat().st_mtime_ns))
    return out


def assert_unchanged(before: dict, after: dict) -> None:
    """Nothing written, created or removed; only an empty -wal may appear (a read-only reader of a WAL database
    creates one and leaves it)."""
    added = {k: v for k, v in after.items() if k not in before and not (k.endswith("-wal") and v == 0)}
    changed = {k: (before[k], after.get(k)) for k in before if after.get(k) != before[k]}
    assert not added and not changed, f"check-config changed files: added {added}, changed {changed}"


# ---- configurations serve refuses ---------------------------------------------------------------------


@dataclass
class Case:
    """A refused configuration: `prepare(tmp)` makes its files and returns the setting overrides; `named(tmp)` is
    what both commands must name before the first colon (a setting, or the backends file); `says` are further
    words serve's message must carry."""

    prepare: Callable[[Path], dict[str, str | None]]
    named: Callable[[Path], str]
    says: tuple[str, ...] = field(default=())


def setting(name: str) -> Callable[[Path], str]:
    return lambda tmp: name


def env(**overrides: str | None) -> Callable[[Path], dict[str, str | None]]:
    return lambda tmp: overrides


def write(relative: str, content: str | bytes | None, **overrides: str) -> Callable[[Path], dict[str, str | None]]:
    """A file (or, for None, a folder) under tmp; each override's `{}` becomes its path."""

    def prepare(tmp: Path) -> dict[str, str | None]:
        path = tmp / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return {k: v.format(path) for k, v in overrides.items()}

    return prepare


def backends_file(content: str | None) -> Callable[[Path], dict[str, str | None]]:
    return write("config/backends.json", content, BACKENDS_FILE="{}")


def the_backends_file(tmp: Path) -> str:
    return str(tmp / "config" / "backends.json")


def database_from_the_future(tmp: Path) -> dict[str, str | None]:
    """A database a later version migrated: start a gateway on it once, then add a migration this one lacks."""
    gw = Gateway(tmp / "first-start", name="first start")
    gw.start()
    gw.stop()
    db = gw.workdir / "gateway.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO grdb_migrations VALUES ('v99-from-the-future')")
    conn.close()
    return {"DATABASE_PATH": str(db)}


def only_the_consent_template(tmp: Path) -> dict[str, str | None]:
    folder = tmp / "templates"
    folder.mkdir()
    (folder / "consent.mustache").write_text((Path(__file__).resolve().parents[2] / "templates" / "consent.mustache")
                                             .read_text())
    return {"GATEWAY_TEMPLATES_DIR": str(folder)}


REFUSED = {
    "non-loopback bind with an http issuer": Case(env(GATEWAY_BIND_ADDR="0.0.0.0"), setting("OAUTH_ISSUER_URL"),
                                                  ("GATEWAY_BIND_ADDR", "https")),
    "issuer with a path": Case(env(OAUTH_ISSUER_URL="http://127.0.0.1:4444/gateway"), setting("OAUTH_ISSUER_URL")),
    "short password": Case(env(OAUTH_PASSWORD="elevenchars"), setting("OAUTH_PASSWORD"), ("12",)),
    "garbage password hash": Case(env(OAUTH_PASSWORD=None, OAUTH_PASSWORD_HASH="not-a-hash"),
                                  setting("OAUTH_PASSWORD_HASH")),
    "both password settings": Case(env(OAUTH_PASSWORD_HASH="not-a-hash"), setting("OAUTH_PASSWORD"),
                                   ("OAUTH_PASSWORD_HASH",)),
    "garbage trusted proxies": Case(env(GATEWAY_TRUSTED_PROXIES="garbage"), setting("GATEWAY_TRUSTED_PROXIES")),
    "garbage operator networks": Case(env(GATEWAY_OPERATOR_NETWORKS="garbage"), setting("GATEWAY_OPERATOR_NETWORKS")),
    "log level": Case(env(LOG_LEVEL="loud"), setting("LOG_LEVEL")),
    "log format": Case(env(LOG_FORMAT="xml"), setting("LOG_FORMAT")),
    "port out of range": Case(env(GATEWAY_PORT="70000"), setting("GATEWAY_PORT"), ("70000",)),
    "zero list timeout": Case(env(GATEWAY_LIST_TIMEOUT="0"), setting("GATEWAY_LIST_TIMEOUT")),
    "missing templates folder": Case(env(GATEWAY_TEMPLATES_DIR="/nonexistent"), setting("GATEWAY_TEMPLATES_DIR")),
    "templates folder with only the consent page": Case(only_the_consent_template, setting("GATEWAY_TEMPLATES_DIR"),
                                                        ("error.mustache",)),
    "database under a regular file": Case(write("blocker", "x", DATABASE_PATH="{}/gateway.sqlite"),
                                          setting("DATABASE_PATH")),
    "database that is not SQLite": Case(write("garbage.sqlite", os.urandom(8192), DATABASE_PATH="{}"),
                                        setting("DATABASE_PATH"), ("not a database",)),
    "database from a newer version": Case(database_from_the_future, setting("DATABASE_PATH"), ("newer",)),
    "missing backends file": Case(env(BACKENDS_FILE="/nonexistent/backends.json"), setting("BACKENDS_FILE"),
                                  ("does not exist", "backends.example.json")),
    "backends file that is a folder": Case(backends_file(None), setting("BACKENDS_FILE"), ("is a folder",)),
    "backends file with invalid JSON": Case(backends_file('{"backends": {'), the_backends_file, ("not valid JSON",)),
    "backends file with an unknown field": Case(
        backends_file('{"backends": {"ok": {"url": "http://127.0.0.1:9/mcp", "timout_seconds": 3}}}'),
        the_backends_file, ('field "timout_seconds"',)),
    "backends file with an unset variable": Case(backends_file('{"backends": {"ok": {"url": "${UNSET_VAR}"}}}'),
                                                 the_backends_file, ("${UNSET_VAR}",)),
    "backend variable with a non-http URL": Case(env(MCP_BACKEND_X="ftp://nope"), setting("MCP_BACKEND_X")),
    "discord with a bad token and a bad DM switch": Case(env(DISCORD_BOT_TOKEN="x", DISCORD_ALLOW_DMS="perhaps"),
                                                         setting("DISCORD_BOT_TOKEN")),
    "discord with a bad DM switch": Case(env(DISCORD_BOT_TOKEN="a" * 24 + ".bbbbbb.cccccccc", DISCORD_ALLOW_DMS="perhaps"),
                                         setting("DISCORD_ALLOW_DMS"), ("perhaps",)),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_check_config_refuses_what_serve_refuses(tmp_path, case):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    gw = Gateway(tmp_path / "gateway", case.prepare(tmp_path), cwd=cwd, name="refused gateway")
    named = case.named(tmp_path)

    before = snapshot(tmp_path)
    checked = check_config(gw)
    assert_unchanged(before, snapshot(tmp_path))
    assert checked.returncode == 78, f"check-config exit {checked.returncode}\nstdout:\n{checked.stdout}\nstderr:\n{checked.stderr}"
    check_named = CHECK_REFUSAL.search(checked.stderr)
    assert check_named and check_named.group(1) == named, f"check-config does not name {named}:\n{checked.stderr}"

    code = serve_until_exit(gw)
    assert code == 78, f"serve exit {code} (None: it started)\n{gw.logs()}"
    serve_named = SERVE_REFUSAL.search(gw.stderr())
    assert serve_named and serve_named.group(1) == named, f"serve does not name {named}:\n{gw.stderr()}"
    for words in case.says:
        assert words in gw.stderr(), f"serve's refusal does not say {words!r}:\n{gw.stderr()}"


# ---- configurations that work ---------------------------------------------------------------------------


def test_a_good_configuration_passes_both(tmp_path, http):
    unreachable = f"http://127.0.0.1:{free_port()}/mcp"
    config = tmp_path / "config" / "backends.json"
    config.parent.mkdir()
    config.write_text('{\n  // nothing listens there: the gateway starts anyway and retries\n'
                      f'  "backends": {{"offline": {{"url": "{unreachable}"}}}}\n}}\n')
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    gw = Gateway(tmp_path / "gateway", {"BACKENDS_FILE": str(config)}, cwd=cwd, name="good gateway")

    checked = check_config(gw)
    assert checked.returncode == 0, checked.stderr
    backends = json.loads(checked.stdout)["backends"]
    assert [b["name"] for b in backends] == ["offline"], backends
    assert unreachable in json.dumps(backends[0]), backends

    gw.start()
    try:
        assert http.get(gw.url("/health")).status_code == 200
        _, tokens = obtain_tokens(http, gw)
        assert token_status(http, gw, tokens["access_token"]) == 200
    finally:
        gw.stop()


def test_on_a_fresh_data_folder_nothing_is_created(tmp_path):
    state = tmp_path / "state"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    # No password setting either: serve would generate one and keep it in the data folder.
    gw = Gateway(tmp_path / "logs", {"GATEWAY_DATA_DIR": str(state), "DATABASE_PATH": str(state / "gateway.sqlite"),
                                     "OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": None}, cwd=cwd, name="fresh gateway")
    before = snapshot(tmp_path)
    checked = check_config(gw)
    assert checked.returncode == 0, checked.stderr
    assert "will be created" in checked.stderr, checked.stderr
    assert not state.exists(), f"check-config created {snapshot(state)}"
    assert_unchanged(before, snapshot(tmp_path))

    gw.start()  # and serve does create them: the check above can fail
    try:
        assert (state / "gateway.sqlite").exists()
    finally:
        gw.stop()
    assert "will be created" not in check_config(gw).stderr


def test_beside_a_running_gateway_it_disturbs_nothing(tmp_path, http):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    gw = Gateway(tmp_path / "gateway", cwd=cwd, name="running gateway")
    gw.start()
    try:
        _, tokens = obtain_tokens(http, gw)
        for _ in range(3):
            checked = check_config(gw)
            assert checked.returncode == 0, checked.stderr
            assert "will be created" not in checked.stderr, checked.stderr
        assert gw.running, gw.logs()
        assert token_status(http, gw, tokens["access_token"]) == 200
        _, again = obtain_tokens(http, gw)  # writes to the database still work
        assert token_status(http, gw, again["access_token"]) == 200
    finally:
        gw.stop()
