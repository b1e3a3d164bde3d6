"""Pytest fixture for tests that talk to a fake Discord: `discord_fake` starts one per test and, at teardown,
fails the test when the client under test made a mistake the fake checks (see DiscordFake.violations), or
when the fake itself failed (DiscordFake.errors).

Use it with `from discord_fixtures import discord_fake  # noqa: F401`.
A test that provokes violations on purpose asserts them, then calls `discord_fake.clear_violations()`.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from discord_fake import DiscordFake  # noqa: E402


def violations_report(fake: DiscordFake) -> str | None:
    """The fake's violations (and its own failures, if any) as one readable text, or None when there are none."""
    with fake.lock:
        found, failures = list(fake.violations), list(fake.errors)
    parts = []
    if found:
        lines = "\n".join(f"  - {v}" for v in found)
        parts.append(f"the client broke Discord's rules {len(found)} time(s) (fake Discord's violations):\n{lines}")
    if failures:
        lines = "\n".join(f"  - {e}" for e in failures)
        parts.append(f"the fake Discord itself failed (answered 500) {len(failures)} time(s):\n{lines}")
    return "\n".join(parts) or None


def assert_no_violations(fake: DiscordFake) -> None:
    report = violations_report(fake)
    if report:
        pytest.fail(report, pytrace=False)


@pytest.fixture
def discord_fake():
    fake = DiscordFake().start()
    try:
        yield fake
    finally:
        fake.stop()
    assert_no_violations(fake)


@contextmanager
def no_new_violations(fake: DiscordFake):
    """Fails the test when the fake records a violation (or fails itself) while the block runs: for a fake shared by a
    module's tests, so that each test answers for its own requests."""
    with fake.lock:
        seen_violations, seen_errors = len(fake.violations), len(fake.errors)
    yield
    with fake.lock:
        new_violations, new_errors = fake.violations[seen_violations:], fake.errors[seen_errors:]
    if new_violations or new_errors:
        pytest.fail(f"fake Discord: violations {new_violations}, own failures {new_errors}", pytrace=False)
