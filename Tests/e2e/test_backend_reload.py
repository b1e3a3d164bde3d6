"""Backends change without a restart: an edit of the backends file (noticed within seconds) or SIGHUP (which also
re-reads .env) adds, removes and reconnects backends one at a time. Connected clients hear
`notifications/tools/list_changed` and see the new set; calls to the untouched backends go on without a drop, even
while they are in flight during the edit; an invalid edit keeps the running set and says why."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from backend_fixtures import BackendProcess, fixture_args, write_backends_file
from gateway import Gateway
from mcp_helpers import bearer, find_mcp_error
from oauth_helpers import obtain_tokens

RELOAD_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    work = tmp_path_factory.mktemp("reload-backends")
    processes = {name: BackendProcess(work, name) for name in ("alpha", "beta", "gamma")}
    try:
        for process in processes.values():
            process.start()
        yield processes
    finally:
        for process in processes.values():
            process.stop()


@pytest.fixture
def setup(backends, tmp_path):
    """A gateway in front of alpha only, its backends file, and an access token."""
    file = write_backends_file(tmp_path / "backends.json", {"alpha": {"url": backends["alpha"].url}})
    gw = Gateway(tmp_path / "gateway", {"BACKENDS_FILE": str(file)}, name="reloading gateway")
    gw.start()
    try:
        with httpx2.Client(timeout=30, trust_env=False) as http:
            _, tokens = obtain_tokens(http, gw)
        yield gw, tokens["access_token"], file
    finally:
        gw.stop()


def write(file: Path, entries: dict[str, dict]) -> None:
    """Replaces the file the way editors save: a new file renamed over the old one."""
    temporary = file.with_suffix(".tmp")
    temporary.write_text(json.dumps({"backends": entries}, indent=2))
    os.replace(temporary, file)


def client(gw: Gateway, http: httpx2.AsyncClient, mode: str, **kw) -> Client:
    return Client(streamable_http_client(gw.mcp_url, http_client=http), mode=mode, read_timeout_seconds=30, cache=None,
                  **kw)


def status(gw: Gateway, token: str) -> dict:
    with httpx2.Client(timeout=15, trust_env=False) as http:
        r = http.get(gw.url("/status"), headers=bearer(token))
        assert r.status_code == 200, r.text
        return r.json()


def wait_until(condition, what: str, timeout: float = RELOAD_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def tool_names(gw: Gateway, token: str, mode: str = "2026-07-28") -> set[str]:
    async def main():
        with anyio.fail_after(30):
            async with httpx2.AsyncClient(headers=bearer(token), timeout=30, trust_env=False) as http, \
                    client(gw, http, mode) as c:
                return {t.name for t in (await c.list_tools()).tools}

    return anyio.run(main)


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
def test_an_edit_adds_and_removes_backends_while_calls_go_on(setup, backends, mode):
    gw, token, file = setup
    heard: list[str] = []

    async def on_message(message) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            heard.append("tools")

    async def main():
        with anyio.fail_after(90):
            async with httpx2.AsyncClient(headers=bearer(token), timeout=30, trust_env=False) as http, \
                    client(gw, http, mode, message_handler=on_message) as listener, \
                    client(gw, http, "2026-07-28") as caller:
                assert {t.name for t in (await listener.list_tools()).tools} >= {"alpha__echo", "alpha__slow"}
                calls = {"ok": 0, "failed": []}
                stop = anyio.Event()

                async def keep_calling():
                    # Calls to the untouched backend, back to back, for as long as the edits take.
                    while not stop.is_set():
                        try:
                            result = await caller.call_tool("alpha__echo", {"text": f"n{calls['ok']}"})
                            assert not result.is_error and result.content[0].text.endswith(f"n{calls['ok']}")
                            calls["ok"] += 1
                        except Exception as error:  # noqa: BLE001 - every failure is the finding
                            calls["failed"].append(repr(error))
                        await anyio.sleep(0.02)

                async def slow_call():
                    result = await caller.call_tool("alpha__slow", {"seconds": 4, "tag": "through-the-edits"})
                    assert not result.is_error, result
                    calls["slow"] = result.content[0].text

                async def changes(subscription=None):
                    async def next_change():
                        if subscription is not None:
                            await subscription.__anext__()
                        else:
                            seen = len(heard)
                            while len(heard) == seen:
                                await anyio.sleep(0.05)

                    write(file, {"alpha": {"url": backends["alpha"].url}, "beta": {"url": backends["beta"].url}})
                    with anyio.fail_after(RELOAD_TIMEOUT):
                        await next_change()
                        while "beta__echo" not in {t.name for t in (await listener.list_tools()).tools}:
                            await anyio.sleep(0.2)
                    added = await listener.call_tool("beta__echo", {"text": "hello beta"})
                    assert added.content[0].text.endswith("hello beta")

                    write(file, {"alpha": {"url": backends["alpha"].url}})
                    with anyio.fail_after(RELOAD_TIMEOUT):
                        await next_change()
                        while "beta__echo" in {t.name for t in (await listener.list_tools()).tools}:
                            await anyio.sleep(0.2)
                    try:
                        await listener.call_tool("beta__echo", {"text": "gone"})
                        raise AssertionError("a removed backend's tool still answers")
                    except Exception as error:  # noqa: BLE001
                        found = find_mcp_error(error)
                        assert found is not None and "Unknown tool" in str(found), repr(error)

                async with anyio.create_task_group() as group:
                    group.start_soon(keep_calling)
                    group.start_soon(slow_call)
                    await anyio.sleep(0.3)
                    if mode == "2026-07-28":
                        async with listener.listen(tools_list_changed=True) as subscription:
                            assert subscription.honored.tools_list_changed
                            await changes(subscription)
                    else:
                        await anyio.sleep(0.5)  # the SDK opens the session's GET stream in the background
                        await changes()
                    await anyio.sleep(0.5)
                    stop.set()
                return calls

    calls = anyio.run(main)
    assert calls["failed"] == [], calls["failed"][:5]
    assert calls["ok"] > 20, calls
    assert calls["slow"] == "done", "the call in flight on the untouched backend finished"
    log = gw.logs()
    assert "backends reloaded" in log and "added=beta" in log and "removed=beta" in log, log[-3000:]


def test_an_invalid_edit_keeps_the_running_set_and_says_why(setup, backends):
    gw, token, file = setup
    file.write_text('{"backends": {"alpha": {"url": "' + backends["alpha"].url + '"}, "beta": ')  # cut short
    report = wait_until(lambda: status(gw, token)["configuration"]["last_error"], "the refusal in /status")
    assert "not valid JSON" in report and str(file) in report, report
    assert "backends not reloaded" in gw.logs()
    assert tool_names(gw, token) >= {"alpha__echo"}

    # A valid file that names an unset variable is refused too, naming the backend and the field.
    write(file, {"alpha": {"url": backends["alpha"].url},
                 "beta": {"url": backends["beta"].url, "headers": {"Authorization": "Bearer ${NOT_SET_ANYWHERE}"}}})
    wait_until(lambda: "NOT_SET_ANYWHERE" in (status(gw, token)["configuration"]["last_error"] or ""),
               "the unset variable's refusal")
    assert not any(name.startswith("beta__") for name in tool_names(gw, token))

    write(file, {"alpha": {"url": backends["alpha"].url}, "beta": {"url": backends["beta"].url}})
    wait_until(lambda: status(gw, token)["configuration"]["last_error"] is None, "the refusal to clear")
    wait_until(lambda: "beta__echo" in tool_names(gw, token), "beta's tools")
    assert {b["name"] for b in status(gw, token)["backends"]} == {"alpha", "beta"}


def test_a_changed_definition_reconnects_that_backend_alone(setup, backends):
    gw, token, file = setup
    write(file, {"alpha": {"url": backends["alpha"].url}, "gamma": {"url": backends["gamma"].url}})
    wait_until(lambda: "gamma__echo" in tool_names(gw, token), "gamma's tools")
    write(file, {"alpha": {"url": backends["alpha"].url}, "gamma": {"url": backends["gamma"].url, "prefix": "g2",
                                                                     "tools": {"allow": ["echo"]}}})
    def renamed():
        names = tool_names(gw, token, "legacy")
        return names if "g2__echo" in names else None

    names = wait_until(renamed, "gamma renamed")
    assert "gamma__echo" not in names and not any(n.startswith("g2__") and n != "g2__echo" for n in names), names
    assert "alpha__echo" in names
    log = gw.logs()
    assert "reconnected=gamma" in log, log[-3000:]


def test_sighup_reads_the_backends_and_dotenv_again(setup, backends):
    gw, token, file = setup
    # The gateway's working directory holds its .env; SIGHUP re-reads it (MCP_BACKEND_<NAME>, ${VAR} values).
    (gw.cwd / ".env").write_text(f"MCP_BACKEND_GAMMA={backends['gamma'].url}\n")
    assert gw.proc is not None
    gw.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "gamma__echo" in tool_names(gw, token), "gamma after SIGHUP")
    assert gw.running, "SIGHUP must not stop the gateway"
    (gw.cwd / ".env").write_text("")
    gw.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "gamma__echo" not in tool_names(gw, token), "gamma gone after the second SIGHUP")
    assert "trigger=SIGHUP" in gw.logs()


def test_a_removed_stdio_backend_stops_its_process(setup, backends, tmp_path):
    gw, token, file = setup
    stdio = fixture_args("delta", "stdio")
    write(file, {"alpha": {"url": backends["alpha"].url},
                 "delta": {"command": stdio[0], "args": stdio[1:], "sandbox": False, "env": {"FASTMCP_CHECK_FOR_UPDATES": "off"}}})
    wait_until(lambda: "delta__echo" in tool_names(gw, token), "the stdio backend's tools")
    assert gw.proc is not None
    children = wait_until(lambda: _children(gw.proc.pid), "the stdio child")
    write(file, {"alpha": {"url": backends["alpha"].url}})
    wait_until(lambda: "delta__echo" not in tool_names(gw, token), "the stdio backend gone")
    wait_until(lambda: not (set(_children(gw.proc.pid)) & set(children)), "its process to end")


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (any of its threads may have started them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The field after the parenthesised command (which may hold spaces) are: state, then the parent's pid.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found
