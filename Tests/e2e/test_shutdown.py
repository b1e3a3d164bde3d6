"""SIGTERM: the server stops promptly and cleanly, even with event streams open or just closed; calls in flight
finish within GATEWAY_SHUTDOWN_TIMEOUT (then are cancelled), stdio children stop, and no audit row is lost."""

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx2

from backend_fixtures import BackendProcess, fixture_args, gateway_in_front
from cli_helpers import cli
from mcp_helpers import modern_body, modern_headers, open_session, run_sdk_client, session_headers
from oauth_helpers import obtain_tokens

DEADLINE = 5.0


def _terminate(gw) -> tuple[int | None, float]:
    proc = gw.proc
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=DEADLINE + 10)
    except subprocess.TimeoutExpired:
        code = None
    return code, time.monotonic() - started


def _check(gw, code, elapsed):
    assert code is not None and elapsed < DEADLINE, f"still running {elapsed:.1f}s after SIGTERM\n{gw.logs()}"
    assert code == 0, f"exit code {code} after SIGTERM (a clean stop should be 0)\n{gw.logs()}"


def test_idle_server(start_gateway):
    gw = start_gateway()
    _check(gw, *_terminate(gw))


def _event_stream(http, gw):
    """Opens a handshake session's GET event stream (a context manager yielding the response)."""
    _, t = obtain_tokens(http, gw)
    session = open_session(http, gw, t["access_token"])
    h = {**session_headers(t["access_token"], session), "Accept": "text/event-stream"}
    return http.stream("GET", gw.mcp_url, headers=h, timeout=10)


def test_after_a_client_closed_its_event_stream(http, start_gateway):
    gw = start_gateway()
    with _event_stream(http, gw) as r:
        assert r.status_code == 200
    time.sleep(0.3)
    _check(gw, *_terminate(gw))


def test_with_an_event_stream_still_open(http, start_gateway):
    gw = start_gateway()
    with _event_stream(http, gw) as r:
        assert r.status_code == 200
        code, elapsed = _terminate(gw)
    _check(gw, code, elapsed)


# ---- calls in flight -----------------------------------------------------------------------------------


def _slow_call_in_background(gw, token, seconds: float, tag: str):
    """Posts `alpha__slow` from a thread (raw HTTP: an SDK client would ask for more after the answer, and the
    stopped server would refuse that) and waits until the first progress arrives; returns (thread, outcome) where
    outcome gets the call's JSON-RPC 'response' or the 'error' raised."""
    outcome: dict = {}
    started = threading.Event()
    body = modern_body("tools/call", {"name": "alpha__slow", "arguments": {"seconds": seconds, "tag": tag}})
    body["params"]["_meta"]["progressToken"] = "drain"
    headers = {**modern_headers(token, "tools/call"), "Mcp-Name": "alpha__slow"}

    def run():
        try:
            with httpx2.Client(timeout=seconds + 30, trust_env=False) as http:
                with http.stream("POST", gw.mcp_url, json=body, headers=headers) as r:
                    for line in r.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        message = json.loads(line[5:])
                        if message.get("method") == "notifications/progress":
                            started.set()
                        elif "result" in message or "error" in message:
                            outcome["response"] = message
        except BaseException as error:  # noqa: BLE001 - the test inspects whatever happened
            outcome["error"] = error
        finally:
            started.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(timeout=20) and "error" not in outcome, f"the slow call never started: {outcome}"
    return thread, outcome


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_sigterm_lets_a_slow_call_finish_stops_stdio_children_and_keeps_its_audit_row(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    stdio = fixture_args("gamma", "stdio")
    processes = {"alpha": BackendProcess(tmp_path, "alpha", marker_dir=markers)}
    entries = {"gamma": {"command": stdio[0], "args": stdio[1:], "sandbox": False, "env": {"FASTMCP_CHECK_FOR_UPDATES": "off"}}}
    with gateway_in_front(tmp_path, processes, entries, name="draining gateway") as (gw, token):
        run_sdk_client(gw, token, lambda client: client.call_tool("gamma__echo", {"text": "wake the child"}))
        children = _children(gw.proc.pid)
        assert children, "the stdio backend's child should be running"
        thread, outcome = _slow_call_in_background(gw, token, seconds=3, tag="drained")
        code, elapsed = _terminate(gw)
        thread.join(timeout=30)
        result = outcome.get("response", {}).get("result")
        assert result and result["content"][0]["text"] == "done" and not result.get("isError"), outcome
        _check(gw, code, elapsed)
        assert (markers / "drained.marker").read_text() == "completed"
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "a stdio child outlived the gateway"
        rows = [json.loads(line) for line in cli(gw, "audit", "--json", "--tool", "slow").stdout.splitlines()]
        assert [r["outcome"] for r in rows] == ["ok"], rows


def test_a_call_past_the_shutdown_bound_is_cancelled_and_still_audited(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    processes = {"alpha": BackendProcess(tmp_path, "alpha", marker_dir=markers)}
    with gateway_in_front(tmp_path, processes, name="bounded gateway",
                          overrides={"GATEWAY_SHUTDOWN_TIMEOUT": "1"}) as (gw, token):
        thread, outcome = _slow_call_in_background(gw, token, seconds=60, tag="cut")
        proc = gw.proc
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        elapsed = time.monotonic() - started
        thread.join(timeout=30)
        assert elapsed < 8, f"stopped after {elapsed:.1f}s; the bound is 1 s plus the cancellation time\n{gw.logs()}"
        assert code is not None, gw.logs()
        assert "done" not in json.dumps(outcome.get("response", {})), outcome
        rows = [json.loads(line) for line in cli(gw, "audit", "--json", "--tool", "slow").stdout.splitlines()]
        assert len(rows) == 1 and rows[0]["outcome"] == "failed", rows
        deadline = time.monotonic() + 10
        while not (markers / "cut.marker").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (markers / "cut.marker").read_text() == "cancelled", "the backend was not told to stop the call"
