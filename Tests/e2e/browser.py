"""A real browser for the end-to-end suite: Debian's headless Chromium, driven by Playwright.

Playwright's own browser builds are never downloaded: it drives the system's `chromium` (or the
binary CHROMIUM_BIN names). `make test` installs the package when it is missing.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from gateway import REPO_ROOT

ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"

LAUNCH_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000

CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite runs as root in containers, where Chromium's sandbox cannot start
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--no-proxy-server",  # every page is on loopback; a proxy from the environment must not interfere
]
VIEWPORT = {"width": 800, "height": 900}

expect.set_options(timeout=ACTION_TIMEOUT_MS)


def chromium_path() -> Path:
    """The Chromium binary: CHROMIUM_BIN, else `chromium` on PATH. Fails the test, saying what to install."""
    override = os.environ.get("CHROMIUM_BIN")
    if override:
        if not os.access(override, os.X_OK):
            pytest.fail(f"CHROMIUM_BIN={override} is not an executable file", pytrace=False)
        return Path(override)
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(
            "Chromium not found: install Debian's `chromium` package (`apt-get install chromium`; "
            "`make test` does it through scripts/install-system-deps.sh), or set CHROMIUM_BIN to a Chromium binary",
            pytrace=False,
        )
    return Path(found)


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Start headless Chromium; it is closed (and Playwright's driver stopped) when the block ends."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context (no cookies shared with other tests), with bounded waits everywhere."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        yield context.new_page()
    finally:
        context.close()


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/browser/<name>.png and return its path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    path.unlink(missing_ok=True)  # a file left by an earlier run must not pass for this one
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"no PNG written at {path}"
    return path


def save_failure_screenshot(page: Page, name: str) -> None:
    """Best effort after a failed test: the page may be gone, and the test's own failure is what counts."""
    with suppress(PlaywrightError, OSError, AssertionError):
        save_screenshot(page, f"{name}-failure")
