"""Fixtures: a real gateway process per module (or per test when settings differ), HTTP clients, tokens, a browser."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import launch_chromium, new_page, save_failure_screenshot  # noqa: E402
from gateway import HTTP_TIMEOUT, Gateway  # noqa: E402
from oauth_helpers import obtain_tokens  # noqa: E402


_WATCHED = pytest.StashKey[list]()
_CALL_FAILED = pytest.StashKey[bool]()


def _watch(node: pytest.Item, gw: Gateway) -> None:
    """Attach the part of this gateway's log written during the test to the test's failure report."""
    watched = node.stash.setdefault(_WATCHED, [])
    watched.append((gw, gw.log_mark()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.stash[_CALL_FAILED] = True
    if report.failed:
        for gw, mark in item.stash.get(_WATCHED, []):
            report.sections.append((f"{gw.name} log ({report.when})", gw.logs(since=mark)))


@pytest.fixture(scope="module")
def shared_gateway(tmp_path_factory: pytest.TempPathFactory):
    """One gateway with default test settings for the whole module."""
    gw = Gateway(tmp_path_factory.mktemp("gateway"), name="shared gateway")
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture
def gw(shared_gateway: Gateway, request: pytest.FixtureRequest) -> Gateway:
    if not shared_gateway.running:
        pytest.fail(f"the module's gateway is not running any more\n{shared_gateway.logs()}")
    _watch(request.node, shared_gateway)
    return shared_gateway


@pytest.fixture
def start_gateway(tmp_path: Path, request: pytest.FixtureRequest):
    """Factory: start a dedicated gateway with setting overrides (value None unsets). Stopped after the test."""
    started: list[Gateway] = []

    def start(overrides: dict[str, str | None] | None = None, wait: bool = True, **kw) -> Gateway:
        gw = Gateway(tmp_path / f"gw{len(started)}", overrides, name=f"gateway #{len(started)}", **kw)
        started.append(gw)
        _watch(request.node, gw)
        return gw.start(wait=wait)

    try:
        yield start
    finally:
        for gw in started:
            gw.stop()


@pytest.fixture
def http():
    with httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False, follow_redirects=False) as client:
        yield client


@pytest.fixture
def tokens(http: httpx2.Client, gw: Gateway) -> tuple[dict, dict]:
    """A freshly registered public client and the tokens of one approved authorization: (client, tokens)."""
    return obtain_tokens(http, gw)


@pytest.fixture
def access_token(tokens) -> str:
    return tokens[1]["access_token"]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh browser page; a failed test leaves a screenshot in test-artifacts/browser/."""
    with new_page(browser) as p:
        yield p
        if request.node.stash.get(_CALL_FAILED, False):
            save_failure_screenshot(p, request.node.name)
