"""Fuzzing `/mcp` with hostile JSON-RPC (Tests/e2e/jsonrpc_fuzz.py): no 5xx, every error well-formed, the
server alive and still serving afterwards. The number of inputs tried is printed (pytest -s shows it)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from jsonrpc_fuzz import Case, JSONRPCFuzzer, check_answer
from mcp_helpers import post_modern, result

INPUTS = int(os.environ.get("FUZZ_INPUTS", "1000"))  # `make soak` raises it
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="fuzzed gateway") as setup:
        yield setup


def test_hostile_jsonrpc_gets_clean_errors(setup):
    gw, token = setup
    fuzzer = JSONRPCFuzzer(SEED, token)
    cases = [fuzzer.case() for _ in range(INPUTS)]
    problems: list[str] = []
    kinds: dict[str, int] = {}

    def send(case: Case) -> None:
        kinds[case.kind] = kinds.get(case.kind, 0) + 1
        with httpx2.Client(timeout=30, trust_env=False) as http:
            try:
                # Streams are read to their end: a request that opens a listening stream is cut by the timeout.
                with http.stream("POST", gw.mcp_url, content=case.body, headers=case.headers,
                                 timeout=httpx2.Timeout(10, read=3)) as r:
                    body = b"".join(r.iter_bytes())
                    problem = check_answer(r.status_code, r.headers.get("content-type", ""), body)
            except httpx2.ReadTimeout:
                problem = None  # a listening stream stays open by design
            except httpx2.TransportError as error:
                problem = f"transport error {error!r}"
        if problem:
            problems.append(f"{case.kind}: {problem} for {case.body[:200]!r} {case.headers}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, cases))
    print(f"\nfuzzed /mcp with {len(cases)} inputs (seed {SEED}): {dict(sorted(kinds.items()))}")
    assert not problems, f"{len(problems)} of {len(cases)} inputs got a bad answer:\n" + "\n".join(problems[:20])
    assert gw.running, gw.logs()
    with httpx2.Client(timeout=15, trust_env=False) as http:
        assert http.get(gw.url("/health")).status_code == 200
        listed = result(post_modern(http, gw, token, "tools/list"))
        assert any(t["name"] == "alpha__echo" for t in listed["tools"]), "the gateway still serves after the fuzzing"


def test_the_checker_flags_what_it_must():
    assert check_answer(500, "application/json", b"{}") == "status 500"
    assert check_answer(400, "application/json", b"{not json") == "unparsable JSON answer"
    assert "malformed" in check_answer(400, "application/json", b'{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}')
    assert check_answer(200, "application/json", b'{"jsonrpc":"2.0","id":1}') is not None
    assert check_answer(200, "text/event-stream", b"data: {oops\n\n") is not None
    assert check_answer(400, "application/json", b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}') is None
