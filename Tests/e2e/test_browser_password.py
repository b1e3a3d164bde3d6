"""The operator password form of `/admin` in a real browser (headless Chromium): the generated first password's
notice, a refused change, a change that works and signs out another browser session, and the form on a phone.
Screenshots go to test-artifacts/browser/."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from browser import new_page, save_screenshot
from gateway import Gateway

NEW_PASSWORD = "a-browser-chosen-password-7"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def generated(tmp_path):
    """A gateway with no configured password, and the password it generated."""
    gw = Gateway(tmp_path / "gateway", {"OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": None}, name="password gateway")
    gw.start()
    try:
        deadline = time.monotonic() + 10
        while not (found := re.search(r"Generated operator password: (\S+)", gw.stdout())):
            assert time.monotonic() < deadline, gw.logs()
            time.sleep(0.1)
        yield gw, found.group(1)
    finally:
        gw.stop()


def sign_in(page: Page, gw: Gateway, password: str) -> None:
    page.goto(gw.url("/admin/login"))
    page.get_by_label("Operator password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(gw.url("/admin"))


def fill(page: Page, current: str, new: str, repeat: str) -> None:
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("New password again").fill(repeat)
    page.get_by_role("button", name="Change password").click()


def test_change_the_generated_password_in_the_browser(generated, browser, page: Page):
    gw, first = generated
    sign_in(page, gw, first)
    expect(page.locator("#password")).to_contain_text("generated first password")
    save_screenshot(page, "admin-password-generated")

    with new_page(browser) as other:
        sign_in(other, gw, first)

        fill(page, "not-the-password-0", NEW_PASSWORD, NEW_PASSWORD)
        expect(page.get_by_role("status").first).to_contain_text("current password is wrong")
        fill(page, first, NEW_PASSWORD, NEW_PASSWORD + "x")
        expect(page.get_by_role("status").first).to_contain_text("differ")

        fill(page, first, NEW_PASSWORD, NEW_PASSWORD)
        expect(page.get_by_role("status").first).to_contain_text("Password changed")
        expect(page.locator("#password")).not_to_contain_text("generated first password")
        save_screenshot(page, "admin-password-changed")

        other.reload()
        expect(other).to_have_url(gw.url("/admin/login"))
    assert not (gw.workdir / "initial-operator-password").exists()


def test_the_password_form_fits_a_phone(generated, page: Page):
    gw, first = generated
    page.set_viewport_size(PHONE)
    sign_in(page, gw, first)
    page.locator("#password").scroll_into_view_if_needed()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    save_screenshot(page, "admin-password-phone")
