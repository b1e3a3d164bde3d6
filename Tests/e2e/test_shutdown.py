"""SIGTERM: the server stops promptly and cleanly, even with event streams open or just closed."""

import signal
import subprocess
import time


from mcp_helpers import open_session, session_headers
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
