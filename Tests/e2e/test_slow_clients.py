"""Slow clients (slowloris): a connection that trickles its headers or its body is closed once the request has
taken GATEWAY_REQUEST_READ_TIMEOUT, and many of them at once do not keep the server from answering others.
A slow answer (a long tool call) is not cut: only reading the request is timed."""

from __future__ import annotations

import socket
import threading
import time

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from mcp_helpers import post_modern, result

READ_TIMEOUT = 2
TRICKLERS = 200


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("slow-clients")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="slow-client gateway",
                          overrides={"GATEWAY_REQUEST_READ_TIMEOUT": str(READ_TIMEOUT)}) as setup:
        yield setup


def trickle(gw, first: bytes, drip: bytes, outcome: dict, seconds: float = 20.0) -> None:
    """Sends `first`, then a byte of `drip` every half second; records how long until the server hung up."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", gw.port), timeout=seconds) as sock:
        sock.sendall(first)
        try:
            for byte in drip * 100:
                if time.monotonic() - started > seconds:
                    break
                sock.sendall(bytes([byte]))
                time.sleep(0.5)
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        break  # closed by the server
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            pass
    outcome["closed_after"] = time.monotonic() - started


@pytest.mark.parametrize("kind", ["headers", "body"])
def test_a_trickled_request_is_cut_off(setup, kind):
    gw, _ = setup
    if kind == "headers":
        first, drip = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    else:
        first = b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
        drip = b"grant_type=refresh_token&refresh_token=" + b"a" * 400
    outcome: dict = {}
    trickle(gw, first, drip, outcome)
    assert outcome["closed_after"] < READ_TIMEOUT + 3, outcome


def test_many_slow_clients_do_not_block_the_others(setup):
    gw, token = setup
    outcomes = [dict() for _ in range(TRICKLERS)]
    threads = [threading.Thread(target=trickle, args=(gw, b"GET /health HTTP/1.1\r\n", b"X-A: b", o), daemon=True)
               for o in outcomes]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    with httpx2.Client(timeout=10, trust_env=False) as http:
        started = time.monotonic()
        for _ in range(20):
            assert http.get(gw.url("/health")).status_code == 200
            assert result(post_modern(http, gw, token, "tools/list"))["tools"]
        assert time.monotonic() - started < 10
    for thread in threads:
        thread.join(timeout=30)
    assert all(o.get("closed_after", 99) < READ_TIMEOUT + 5 for o in outcomes), sorted(
        o.get("closed_after", 99) for o in outcomes)[-5:]


def test_a_slow_answer_is_not_cut(setup):
    gw, token = setup
    with httpx2.Client(timeout=30, trust_env=False) as http:
        r = post_modern(http, gw, token, "tools/call", {"name": "alpha__slow", "arguments": {"seconds": READ_TIMEOUT + 2}},
                        headers={"Mcp-Name": "alpha__slow", "Accept": "application/json"})
        assert result(r)["content"][0]["text"] == "done"
        # The same keep-alive connection serves the next request.
        assert http.get(gw.url("/health")).status_code == 200
