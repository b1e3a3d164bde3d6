"""One backend's trouble stays its own: killed, hung and crashing backends, cancellation, and the gateway
recovering when the backend comes back."""

from __future__ import annotations

import os
import signal
import time

import anyio
import httpx2
import pytest

from backend_fixtures import BackendProcess, fixture_args, write_backends_file
from gateway import Gateway
from mcp_helpers import bearer, run_sdk_client
from oauth_helpers import obtain_tokens

MODES = ["2026-07-28", "legacy"]


class Setup:
    def __init__(self, gw: Gateway, token: str, processes: dict[str, BackendProcess], markers) -> None:
        self.gw, self.token, self.processes, self.markers = gw, token, processes, markers

    def run(self, body, mode: str = "2026-07-28", timeout: float = 60, **client_kw):
        return run_sdk_client(self.gw, self.token, body, mode, timeout, **client_kw)

    def status(self) -> dict:
        with httpx2.Client(timeout=30, trust_env=False) as http:
            return {b["name"]: b for b in http.get(self.gw.url("/status"), headers=bearer(self.token)).json()["backends"]}


def start_setup(work, backends: dict[str, BackendProcess], extra_entries: dict | None = None,
                overrides: dict | None = None, markers=None) -> Setup:
    for process in backends.values():
        process.start()
    entries = {name: {"url": p.url, **({"transport": "sse"} if p.transport == "sse" else {})} for name, p in backends.items()}
    entries.update(extra_entries or {})
    backends_file = write_backends_file(work / "backends.json", entries)
    gw = Gateway(work / "gateway", {"BACKENDS_FILE": str(backends_file), **(overrides or {})}, name="faults gateway")
    gw.start()
    with httpx2.Client(timeout=30, trust_env=False) as http:
        _, tokens = obtain_tokens(http, gw)
    return Setup(gw, tokens["access_token"], backends, markers)


@pytest.fixture
def setup_factory(tmp_path):
    made: list[Setup] = []

    def make(**kw) -> Setup:
        setup = start_setup(tmp_path, **kw)
        made.append(setup)
        return setup

    yield make
    for setup in made:
        setup.gw.stop()
        for process in setup.processes.values():
            process.stop()


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout}s (last: {last!r})")


def test_a_killed_backend_is_down_the_others_answer_and_it_recovers(setup_factory, tmp_path):
    setup = setup_factory(backends={"alpha": BackendProcess(tmp_path, "alpha"), "beta": BackendProcess(tmp_path, "beta")})

    async def names(client):
        return {t.name for t in (await client.list_tools()).tools}

    assert {"alpha__echo", "beta__echo"} <= setup.run(names)
    setup.processes["alpha"].stop()

    async def after_kill(client):
        started = time.monotonic()
        down = await client.call_tool("alpha__echo", {"text": "x"})
        down_seconds = time.monotonic() - started
        up = await client.call_tool("beta__echo", {"text": "x"})
        listed = await names(client)
        return down, down_seconds, up, listed

    down, down_seconds, up, listed = setup.run(after_kill)
    assert down.is_error and "alpha" in down.content[0].text, down
    assert down_seconds < 5, down_seconds
    assert not up.is_error and up.content[0].text == "beta: x"
    assert "alpha__echo" in listed, "the last good list of a down backend is still offered"
    assert wait_until(lambda: setup.status()["alpha"]["state"] == "down", 15, "alpha shown down")
    assert setup.status()["alpha"]["last_error"]
    assert setup.status()["beta"]["state"] == "up"

    setup.processes["alpha"].start()

    async def call_alpha(client):
        return await client.call_tool("alpha__echo", {"text": "back"})

    def recovered():
        result = setup.run(call_alpha)
        return not result.is_error and result.content[0].text == "alpha: back"

    wait_until(recovered, 30, "alpha answers again")
    assert setup.status()["alpha"]["state"] == "up"


def test_a_backend_that_never_answers_does_not_hold_up_the_others(setup_factory, tmp_path):
    hang = BackendProcess(tmp_path, "hang")
    setup = setup_factory(
        backends={"beta": BackendProcess(tmp_path, "beta"), "hang": hang},
        extra_entries={"hang": {"url": hang.url, "timeout_seconds": 3}},
        overrides={"GATEWAY_LIST_TIMEOUT": "2"},
    )
    # The gateway learns hang's tools while it still answers, then it freezes: connections open, no answers.
    assert "hang__echo" in setup.run(lambda c: _names(c))
    os.kill(hang.proc.pid, signal.SIGSTOP)
    try:
        async def body(client):
            started = time.monotonic()
            listed = await _names(client)
            list_seconds = time.monotonic() - started
            # The first listing waited out the hung fetch; the next ones do not wait for it again.
            started = time.monotonic()
            relisted = await _names(client)
            relist_seconds = time.monotonic() - started

            results = {}

            async def hung_call():
                t0 = time.monotonic()
                results["hang"] = (await client.call_tool("hang__echo", {"text": "x"}), time.monotonic() - t0)

            async def quick_call():
                await anyio.sleep(0.3)
                t0 = time.monotonic()
                results["beta"] = (await client.call_tool("beta__echo", {"text": "y"}), time.monotonic() - t0)

            async with anyio.create_task_group() as group:
                group.start_soon(hung_call)
                group.start_soon(quick_call)
            return listed, list_seconds, relisted, relist_seconds, results

        listed, list_seconds, relisted, relist_seconds, results = setup.run(body, timeout=90)
        assert {"beta__echo", "hang__echo"} <= listed
        assert list_seconds < 4.5, f"listing took {list_seconds:.1f}s with a 2s listing timeout"
        assert relisted == listed and relist_seconds < 1, f"the next listing took {relist_seconds:.1f}s"
        beta, beta_seconds = results["beta"]
        assert not beta.is_error and beta_seconds < 2, (beta, beta_seconds)
        hung, hung_seconds = results["hang"]
        assert hung.is_error and "hang" in hung.content[0].text and "no answer within 3 s" in hung.content[0].text, hung
        assert hung_seconds < 10
    finally:
        os.kill(hang.proc.pid, signal.SIGCONT)


async def _names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


def test_a_crashed_stdio_backend_is_restarted(setup_factory, tmp_path):
    command = fixture_args("gamma", "stdio")
    setup = setup_factory(backends={}, extra_entries={"gamma": {"command": command[0], "args": command[1:], "sandbox": False}})

    async def crash(client):
        return await client.call_tool("gamma__crash", {})

    crashed = setup.run(crash)
    assert crashed.is_error and "gamma" in crashed.content[0].text, crashed

    async def echo(client):
        return await client.call_tool("gamma__echo", {"text": "again"})

    def restarted():
        result = setup.run(echo)
        return not result.is_error and result.content[0].text == "gamma: again"

    wait_until(restarted, 30, "gamma restarted")
    assert "process exited" in setup.gw.stderr()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", ["modern", "handshake", "stdio"])
def test_a_cancelled_call_stops_the_backend_work(setup_factory, tmp_path, mode, backend):
    markers = tmp_path / "markers"
    markers.mkdir()
    if backend == "stdio":
        command = fixture_args("work", "stdio", marker_dir=markers)
        setup = setup_factory(backends={}, extra_entries={"work": {"command": command[0], "args": command[1:], "sandbox": False}})
    else:
        process = BackendProcess(tmp_path, "work", handshake_only=backend == "handshake", marker_dir=markers)
        setup = setup_factory(backends={"work": process})
    tag = f"{backend}-{mode}"

    async def body(client):
        # Connected first (a stdio child takes a moment to start), so that the cancelled call reaches the backend:
        # a client that leaves before then now cancels the call before it is sent.
        assert "work__slow" in await _names(client)
        with anyio.move_on_after(1.0):
            await client.call_tool("work__slow", {"seconds": 4, "tag": tag})
        return "cancelled"

    setup.run(body)
    marker = markers / f"{tag}.marker"
    assert wait_until(lambda: marker.exists() and marker.read_text(), 10, "the backend recorded the end of its work") == "cancelled"


@pytest.mark.parametrize("mode", MODES)
def test_a_restarted_handshake_backend_gets_new_sessions(setup_factory, tmp_path, mode):
    """The restarted backend has forgotten every session: the gateway initializes again (404 → initialize)."""
    delta = BackendProcess(tmp_path, "delta", handshake_only=True)
    setup = setup_factory(backends={"delta": delta})

    async def two_calls_around_a_restart(client):
        first = await client.call_tool("delta__echo", {"text": "before"})
        delta.stop()
        delta.start()
        second = await client.call_tool("delta__echo", {"text": "after"})
        return first, second

    first, second = setup.run(two_calls_around_a_restart, mode=mode)
    assert first.content[0].text == "delta: before"
    assert not second.is_error and second.content[0].text == "delta: after", second
    assert setup.status()["delta"]["era"] == "handshake"


def test_stdio_children_stop_with_the_gateway(setup_factory, tmp_path):
    import re

    command = fixture_args("gamma", "stdio")
    setup = setup_factory(backends={}, extra_entries={"gamma": {"command": command[0], "args": command[1:], "sandbox": False}})
    wait_until(lambda: setup.status()["gamma"]["state"] == "up", 30, "gamma up")
    pids = [int(p) for p in re.findall(r"backend=gamma pid=(\d+)", setup.gw.stderr())]
    assert pids, setup.gw.stderr()
    assert setup.gw.stop() == 0
    for pid in pids:
        assert wait_until(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or _is_zombie(pid), 10, f"child {pid} gone")


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except OSError:
        return True
