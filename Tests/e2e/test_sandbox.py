"""Command backends in their bubblewrap sandboxes, with the real gateway and real bwrap: hostile stdio servers
(backends/sandbox_probe.py, Python's standard library only) try to read the gateway's files and environment, reach
the network and exhaust the host, and each is contained while a well-behaved backend keeps answering.

The probe reports what it managed; the tests assert that nothing it should not reach was reached."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socketserver
import tempfile
import threading
from pathlib import Path

import httpx2
import pytest

from backend_fixtures import gateway_in_front
from discord_fixtures import discord_fake  # noqa: F401
from gateway import free_port
from member_backend_helpers import (
    call_tool,
    error_text,
    me_sign_in,
    member_gateway,
    member_mcp_token,
    new_member,
    text_of,
    tools_of,
    wait_for,
)

PROBE = Path(__file__).resolve().parent / "backends" / "sandbox_probe.py"
GATEWAY_SECRET = "gateway-secret-0123456789"


class PublicServer:
    """A plain HTTP server on loopback that the egress proxy is told to treat as public (as `localhost`)."""

    def __init__(self) -> None:
        self.port = free_port()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                body = b"public hello"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def scripts():
    """The probe in a folder each sandbox's own host user can read (pytest's temporary folders are root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-probe-"))
    folder.chmod(0o755)
    shutil.copy(PROBE, folder / "sandbox_probe.py")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def probe_entry(scripts: Path, **sandbox) -> dict:
    return {"command": "/usr/bin/python3", "args": [str(scripts / "sandbox_probe.py")],
            "sandbox": {"binds": [str(scripts)], **sandbox}}


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory, scripts):
    public = PublicServer()
    work = tmp_path_factory.mktemp("sandbox")
    entries = {
        "probe": probe_entry(scripts),
        "other": probe_entry(scripts),
        "net": probe_entry(scripts, network="proxy"),
        "well": probe_entry(scripts),
        "bomb": probe_entry(scripts, processes=24),
        "hog": probe_entry(scripts, memory_mb=256),
        "spin": probe_entry(scripts, cpu_seconds=2),
        "flood": probe_entry(scripts, output_mb_per_minute=8),
        "endless": probe_entry(scripts, message_mb=1),
        "victim": {**probe_entry(scripts), "args": [str(scripts / "sandbox_probe.py"), "victim-marker"]},
        "frozen": {**probe_entry(scripts), "timeout_seconds": 3},
        "busy": {**probe_entry(scripts), "args": [str(scripts / "sandbox_probe.py"), "busy-marker"], "instances": 2},
    }
    overrides = {"OAUTH_PASSWORD": GATEWAY_SECRET, "GATEWAY_MEMBER_PRIVATE_HOSTS": "localhost",
                 "BACKEND_HEALTH_INTERVAL": "5"}
    try:
        with gateway_in_front(work, {}, entries, name="sandbox gateway", overrides=overrides) as (gw, token):
            yield gw, token, public
    finally:
        public.stop()


def probe(gw, token: str, backend: str, **arguments) -> dict:
    answer = call_tool(gw, token, f"{backend}__probe", arguments)
    return json.loads(text_of(answer))


def status_of(gw, token: str, backend: str) -> dict:
    with httpx2.Client(timeout=10, trust_env=False) as http:
        r = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return next(b for b in r.json()["backends"] if b["name"] == backend)


def test_status_shows_the_sandbox_and_how_long_its_processes_take_to_start(sandboxed):
    gw, token, _ = sandboxed
    assert text_of(call_tool(gw, token, "well__echo", {"text": "x"})) == "x"
    with httpx2.Client(timeout=10, trust_env=False) as http:
        sandbox = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {token}"}).json()["sandbox"]
    assert sandbox["available"] is True and sandbox["running"] >= 1, sandbox
    assert 0 < sandbox["median_start_ms"] < 30_000 and sandbox["last_start_ms"] > 0, sandbox


def test_the_gateways_files_environment_and_other_sandboxes_are_out_of_reach(sandboxed):
    gw, token, _ = sandboxed
    data = Path(gw.env["DATABASE_PATH"]).parent
    paths = [gw.env["DATABASE_PATH"], str(data / "master-key"), "/etc/shadow", "/proc/1/environ", "/proc/self/environ",
             str(gw.workdir / "backends.json"), str(Path(gw.env["BACKENDS_FILE"]))]
    # Another sandbox leaves a file in its home.
    other = probe(gw, token, "other", write=["/home/sandbox/mine", "/tmp/mine"])
    assert other["write"]["/home/sandbox/mine"] == "ok:written", other
    report = probe(gw, token, "probe", read=paths + ["/home/sandbox/mine", "/tmp/mine"], list=["/", "/home", "/proc"])
    for path in (gw.env["DATABASE_PATH"], str(data / "master-key"), "/etc/shadow", "/home/sandbox/mine", "/tmp/mine"):
        assert report["read"][path].startswith("error:"), (path, report["read"][path])
    for path in (str(Path(gw.env["BACKENDS_FILE"])),):
        assert report["read"][path].startswith("error:"), (path, report["read"][path])
    # Its own process table and environment hold nothing of the gateway's.
    for path in ("/proc/1/environ", "/proc/self/environ"):
        assert GATEWAY_SECRET not in report["read"][path] and "OAUTH_" not in report["read"][path], report["read"][path]
    assert not [k for k in report["env"] if k.startswith(("OAUTH_", "GATEWAY_", "DATABASE", "BACKENDS"))], report["env"]
    assert "root" not in report["list"]["/"] and "work" not in report["list"]["/"], report["list"]["/"]
    pids = re.findall(r"'(\d+)'", report["list"]["/proc"])
    assert len(pids) <= 3, f"the sandbox sees only its own processes: {pids}"
    assert report["uid"] == 1000 and report["home"] == "/home/sandbox"


def test_without_network_nothing_outside_is_reachable(sandboxed):
    gw, token, public = sandboxed
    report = probe(gw, token, "probe", connect=[["1.1.1.1", 53], ["127.0.0.1", gw.port], ["127.0.0.1", public.port]],
                   proxy_get=f"http://localhost:{public.port}/")
    assert all(v.startswith("error:") for v in report["connect"].values()), report["connect"]
    assert report["proxy_get"].startswith("error:"), report["proxy_get"]


def test_through_the_proxy_only_public_destinations_are_reached(sandboxed):
    gw, token, public = sandboxed
    report = probe(gw, token, "net", proxy_get=f"http://localhost:{public.port}/")
    assert report["proxy_get"] == "ok:public hello", report
    assert report["env"]["HTTPS_PROXY"] == "http://127.0.0.1:3128", report["env"]
    for url, words in [
        (f"http://127.0.0.1:{gw.port}/health", "403"),
        ("http://169.254.169.254/latest/meta-data/", "403"),
        ("http://10.1.2.3/", "403"),
        (f"https://127.0.0.1:{gw.port}/", "403"),
    ]:
        refused = probe(gw, token, "net", proxy_get=url)["proxy_get"]
        assert refused.startswith("error:") and words in refused, (url, refused)
    # Straight past the proxy, nothing: its network has only its own loopback.
    direct = probe(gw, token, "net", connect=[["127.0.0.1", public.port], ["1.1.1.1", 443]])
    assert all(v.startswith("error:") for v in direct["connect"].values()), direct
    assert "sandbox network request refused" in gw.logs()


@pytest.mark.parametrize("backend, tool, words", [
    ("bomb", "fork_bomb", "Resource temporarily unavailable"),
    ("hog", "hog_memory", "MemoryError"),
])
def test_a_limit_refuses_what_goes_past_it_and_the_backend_still_answers(sandboxed, backend, tool, words):
    gw, token, _ = sandboxed
    answer = text_of(call_tool(gw, token, f"{backend}__{tool}"))
    assert words in answer, answer
    assert text_of(call_tool(gw, token, f"{backend}__echo", {"text": "still here"})) == "still here"
    assert text_of(call_tool(gw, token, "well__echo", {"text": "fine"})) == "fine"


@pytest.mark.parametrize("backend, tool, words", [
    ("spin", "spin", "CPU time limit"),
    ("flood", "flood", "bytes in a minute"),
    ("endless", "endless_line", "longer than"),
])
def test_a_process_past_its_limit_is_stopped_reported_and_the_others_are_unaffected(sandboxed, backend, tool, words):
    gw, token, _ = sandboxed
    answer = call_tool(gw, token, f"{backend}__{tool}")
    assert words in error_text(answer), answer
    assert words in (status_of(gw, token, backend)["last_error"] or ""), status_of(gw, token, backend)
    assert text_of(call_tool(gw, token, "well__echo", {"text": "fine"})) == "fine"
    # Started again on demand (after the circuit breaker's backoff, if its failures opened it), it answers.
    wait_for(lambda: echoes(gw, token, backend), timeout=20, what=f"{backend} to answer again")


def test_a_members_command_backend_runs_in_its_sandbox_and_sees_only_the_paths_the_operator_allows(
        tmp_path, discord_fake, scripts):  # noqa: F811
    fake = discord_fake
    gw = member_gateway(tmp_path, fake, "members gateway", GATEWAY_SANDBOX_BINDS=str(scripts))
    gw.start()
    try:
        ana, ben = new_member(fake), new_member(fake)
        me = me_sign_in(gw, fake, ana)
        try:
            command = {"name": "mine", "transport": "stdio", "command": "python3",
                       "args": [str(scripts / "sandbox_probe.py")], "env": {"MY_KEY": "ana-secret"}}
            # A path the operator has not allowed, or the host's network: refused, and nothing is added.
            for extra, status in (({"sandbox": {"binds": ["/etc"]}}, 403), ({"sandbox": {"network": "host"}}, 403),
                                  ({"sandbox": {"network": "wifi"}}, 400), ({"sandbox": {"binds": ["relative"]}}, 400)):
                r = me.api("POST", body={**command, **extra})
                assert r.status_code == status, (extra, r.status_code, r.text)
            assert me.backends() == []
            doc = me.create({**command, "sandbox": {"binds": [str(scripts)]}})
            assert doc["sandbox"] == {"network": "none", "binds": [str(scripts)]} and doc["env"] == {"MY_KEY": "set"}, doc
        finally:
            me.close()
        token = member_mcp_token(gw, fake, ana)
        wait_for(lambda: "mine__probe" in tools_of(gw, token), what="the member's command backend to list its tools")
        report = json.loads(text_of(call_tool(gw, token, "mine__probe", {
            "read": [gw.env["DATABASE_PATH"], str(Path(gw.env["DATABASE_PATH"]).parent / "master-key")],
            "connect": [["1.1.1.1", 443], ["127.0.0.1", gw.port]]})))
        assert report["env"].get("MY_KEY") == "ana-secret" and report["uid"] == 1000, report["env"]
        assert all(v.startswith("error:") for v in report["read"].values()), report["read"]
        assert all(v.startswith("error:") for v in report["connect"].values()), report["connect"]
        # Ben does not see Ana's personal command backend.
        assert not [t for t in tools_of(gw, member_mcp_token(gw, fake, ben)) if t.startswith("mine__")]
    finally:
        gw.stop()


def sandboxed_pids(marker: str) -> list[int]:
    """Host pids of the probe processes started with `marker` among their arguments."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker.encode() in arguments and any(a.endswith(b"sandbox_probe.py") for a in arguments):
                if b"bwrap" not in arguments[0] and b"prlimit" not in arguments[0] and b"sh" != arguments[0]:
                    pids.append(int(entry.name))
    return pids


def test_a_process_killed_between_calls_is_replaced_and_one_killed_mid_call_fails_that_call_once(sandboxed):
    gw, token, _ = sandboxed
    import os
    import signal
    import time

    assert text_of(call_tool(gw, token, "victim__echo", {"text": "one"})) == "one"
    first = sandboxed_pids("victim-marker")
    assert len(first) == 1, first
    os.kill(first[0], signal.SIGKILL)
    wait_for(lambda: first[0] not in sandboxed_pids("victim-marker"), what="the killed process to be gone")
    # The next call goes to a fresh process, and works.
    assert text_of(call_tool(gw, token, "victim__echo", {"text": "two"})) == "two"
    second = sandboxed_pids("victim-marker")
    assert len(second) == 1 and second != first, (first, second)

    # Killed while it works on a call: that call fails at once with a clear error, and is not run again.
    done: dict = {}
    label = f"slow-{time.monotonic_ns()}"
    caller = threading.Thread(target=lambda: done.setdefault("answer", call_tool(
        gw, token, "victim__sleep", {"seconds": 20, "label": label})), daemon=True)
    started = time.monotonic()
    caller.start()
    wait_for(lambda: f"started {label}" in gw.logs(), what="the slow call to start")
    os.kill(second[0], signal.SIGKILL)
    caller.join(timeout=15)
    assert not caller.is_alive(), "the call in flight hung"
    assert time.monotonic() - started < 15
    assert "could not run this tool" in error_text(done["answer"]), done["answer"]
    time.sleep(1)
    runs = [line for line in gw.logs().splitlines() if "stream=stderr" in line and f"started {label}" in line]
    assert len(runs) == 1, f"the call was run again: {runs}"
    # Two deaths in a row may open its circuit breaker: it answers again after the backoff.
    wait_for(lambda: echoes(gw, token, "victim"), timeout=20, what="the victim to answer again")


def test_a_process_that_stops_answering_its_health_check_is_replaced(sandboxed):
    gw, token, _ = sandboxed
    assert text_of(call_tool(gw, token, "frozen__echo", {"text": "warm"})) == "warm"
    frozen = call_tool(gw, token, "frozen__freeze")
    assert "no answer within 3 s" in error_text(frozen), frozen
    wait_for(lambda: "replacing the backend process: it did not answer its health check" in gw.logs(), timeout=30,
             what="the health check to replace the frozen process")
    wait_for(lambda: echoes(gw, token, "frozen"), timeout=20, what="a fresh process to answer")
    assert text_of(call_tool(gw, token, "well__echo", {"text": "fine"})) == "fine"


def echoes(gw, token, backend: str) -> bool:
    answer = call_tool(gw, token, f"{backend}__echo", {"text": "fresh"})
    return "result" in answer and not answer["result"].get("isError") and text_of(answer) == "fresh"


def test_a_backend_with_two_instances_runs_two_processes_and_spreads_calls_over_them(sandboxed):
    gw, token, _ = sandboxed
    import time

    assert text_of(call_tool(gw, token, "busy__echo", {"text": "up"})) == "up"
    wait_for(lambda: len(sandboxed_pids("busy-marker")) == 2, what="both instances to run")
    # Two slow calls at once finish together: each went to a process of its own (one process answers in turn).
    answers: list = []
    callers = [threading.Thread(target=lambda n=n: answers.append(call_tool(
        gw, token, "busy__sleep", {"seconds": 2, "label": f"busy-{n}"})), daemon=True) for n in range(2)]
    started = time.monotonic()
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=20)
    elapsed = time.monotonic() - started
    assert sorted(text_of(a) for a in answers) == ["slept busy-0", "slept busy-1"], answers
    assert elapsed < 3.5, f"the calls waited for each other ({elapsed:.1f} s)"


def test_idle_processes_stop_and_come_back_and_past_the_cap_the_least_recently_used_idle_one_makes_room(
        tmp_path, scripts):
    entries = {name: {**probe_entry(scripts), "args": [str(scripts / "sandbox_probe.py"), f"capped-{name}"]}
               for name in ("a", "b", "c")}
    overrides = {"GATEWAY_SANDBOX_MAX_PROCESSES": "2", "GATEWAY_SANDBOX_IDLE": "3"}
    with gateway_in_front(tmp_path, {}, entries, name="capped gateway", overrides=overrides) as (gw, token):
        def running() -> list[str]:
            return [name for name in ("a", "b", "c") if sandboxed_pids(f"capped-{name}")]

        for name in ("a", "b", "c", "a"):
            assert text_of(call_tool(gw, token, f"{name}__echo", {"text": name})) == name
            assert len(running()) <= 2, running()
        # c and then a were used last: b, the least recently used, made room.
        assert set(running()) == {"a", "c"}, running()
        assert "making room for another sandboxed process" in gw.logs()
        # Unused, they stop; a call starts its process again, and nothing counts as a failure.
        wait_for(lambda: running() == [], timeout=20, what="the idle processes to stop")
        assert text_of(call_tool(gw, token, "b__echo", {"text": "again"})) == "again"
        assert running() == ["b"]
        states = {b["name"]: b["state"] for b in status(gw, token)["backends"]}
        assert "down" not in states.values(), states


def status(gw, token: str) -> dict:
    with httpx2.Client(timeout=10, trust_env=False) as http:
        r = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()
