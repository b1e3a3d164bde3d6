"""`/admin` in a real browser (headless Chromium): sign in, see a backend's state, revoke a connected
application, and the same page on a phone-sized screen. Screenshots go to test-artifacts/browser/."""

import pytest
from playwright.sync_api import Page, expect

from backend_fixtures import BackendProcess, gateway_in_front
from browser import save_screenshot
from gateway import PASSWORD
from oauth_helpers import obtain_tokens, register

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("browser-admin")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="browser admin gateway") as setup:
        yield setup


def sign_in(page: Page, gw) -> None:
    page.goto(gw.url("/admin"))
    expect(page).to_have_url(gw.url("/admin/login"))
    page.get_by_label("Operator password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(gw.url("/admin"))


def test_sign_in_see_the_backend_and_revoke_an_application(setup, page: Page, http):
    gw, _ = setup
    client, _ = obtain_tokens(http, gw, register(http, gw, client_name="Phone Assistant"))

    page.goto(gw.url("/admin/login"))
    page.get_by_label("Operator password").fill("not-the-password-000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong password.")
    save_screenshot(page, "admin-wrong-password")

    sign_in(page, gw)
    backend = page.locator('tr[data-backend="alpha"]')
    expect(backend.locator(".state")).to_have_text("up")
    row = page.locator(f'tr[data-client="{client["client_id"]}"]')
    expect(row).to_contain_text("Phone Assistant")
    save_screenshot(page, "admin-dashboard")

    row.get_by_role("button", name="Revoke Phone Assistant").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked the client")
    expect(page.locator(f'tr[data-client="{client["client_id"]}"]')).to_have_count(0)
    save_screenshot(page, "admin-after-revoke")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    page.goto(gw.url("/admin"))
    expect(page).to_have_url(gw.url("/admin/login"))


def test_the_dashboard_reads_on_a_phone(setup, page: Page):
    gw, _ = setup
    page.set_viewport_size(PHONE)
    sign_in(page, gw)
    backend = page.locator('tr[data-backend="alpha"]')
    expect(backend).to_be_visible()
    # Rows are cards on a narrow screen: nothing may be wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    save_screenshot(page, "admin-phone")
