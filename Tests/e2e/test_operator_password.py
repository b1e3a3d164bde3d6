"""The operator password over a gateway's life: the generated first password kept in an owner-only file until it is
changed, and changes on /admin and with `mcp-gateway password set`, each doing what the README says: every other
/admin session ends at once, connected applications keep their tokens unless asked to revoke them, the running
server takes the new password at once."""

from __future__ import annotations

import re
import stat
import time

import httpx2
import pytest

from cli_helpers import cli
from gateway import Gateway
from mcp_helpers import bearer
from oauth_helpers import WEB_REDIRECT, authorization, obtain_tokens, open_consent, refresh, register, submit_consent

GENERATED = re.compile(r"Generated operator password: (\S+)")
NEW_PASSWORD = "a-new-operator-password-42"
NO_PASSWORD = {"OAUTH_PASSWORD": None, "OAUTH_PASSWORD_HASH": None}


def generated_password(gw: Gateway, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := GENERATED.search(gw.stdout()):
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no generated password on stdout\n{gw.logs()}")


def password_file(gw: Gateway):
    return gw.workdir / "initial-operator-password"


def hidden(page: str, name: str = "csrf_token") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no {name} in the page:\n{page[:2000]}"
    return match.group(1)


def admin_session(gw: Gateway, password: str) -> httpx2.Client:
    http = httpx2.Client(timeout=30, trust_env=False, follow_redirects=False)
    form = http.get(gw.url("/admin/login"))
    signed = http.post(gw.url("/admin/login"), data={"csrf_token": hidden(form.text), "password": password})
    assert signed.status_code == 303 and signed.headers["location"] == "/admin", signed.text
    return http


def signed_in(http: httpx2.Client, gw: Gateway) -> bool:
    page = http.get(gw.url("/admin"))
    return page.status_code == 200


def change_on_admin(http: httpx2.Client, gw: Gateway, current: str, new: str, repeat: str | None = None,
                    revoke: bool = False) -> str:
    """Posts the password form; returns the notice shown after the redirect."""
    page = http.get(gw.url("/admin"))
    assert page.status_code == 200
    form = {"csrf_token": hidden(page.text), "current_password": current, "new_password": new,
            "repeat_password": new if repeat is None else repeat}
    if revoke:
        form["revoke_grants"] = "on"
    posted = http.post(gw.url("/admin/password"), data=form)
    assert posted.status_code == 303, posted.text
    shown = http.get(gw.url(posted.headers["location"].split("#")[0]))
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', shown.text, re.S)
    return notice.group(1) if notice else ""


def consent_works(http: httpx2.Client, gw: Gateway, client: dict, password: str) -> bool:
    form = open_consent(http, authorization(gw, client["client_id"], client["redirect_uris"][0]).url(gw))
    return submit_consent(http, form, password).status_code == 303


def mcp_status(http: httpx2.Client, gw: Gateway, token: str) -> int:
    """What the token's bearer check says (an application's access token opens /status as it opens /mcp)."""
    return http.get(gw.url("/status"), headers=bearer(token)).status_code


def test_the_first_password_is_kept_in_an_owner_only_file_until_changed_on_admin(http, start_gateway):
    gw = start_gateway(NO_PASSWORD)
    first = generated_password(gw)
    kept = password_file(gw)
    assert kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert str(kept) in gw.stdout() or "initial-operator-password" in gw.stdout(), "the start says where it is"

    # It works where the password is asked for, and survives a restart (the operator may not have read the log).
    client = register(http, gw, [WEB_REDIRECT])
    assert consent_works(http, gw, client, first)
    mark = gw.log_mark()
    gw.restart()
    assert kept.read_text().strip() == first and "Generated operator password" not in gw.logs(since=mark)

    _, tokens = obtain_tokens(http, gw, password=first)
    changer = admin_session(gw, first)
    other = admin_session(gw, first)
    assert "generated first password" in changer.get(gw.url("/admin")).text

    # Bad changes change nothing.
    assert "current password is wrong" in change_on_admin(changer, gw, "not-the-password-0", NEW_PASSWORD)
    assert "differ" in change_on_admin(changer, gw, first, NEW_PASSWORD, repeat=NEW_PASSWORD + "x")
    assert "at least 12" in change_on_admin(changer, gw, first, "short")
    assert "is the current one" in change_on_admin(changer, gw, first, first)
    assert kept.exists() and consent_works(http, gw, client, first) and signed_in(other, gw)

    notice = change_on_admin(changer, gw, first, NEW_PASSWORD)
    assert "Password changed" in notice and "keep their access" in notice
    assert not kept.exists(), "the file goes once the password is changed"
    assert signed_in(changer, gw), "the session that changed it stays"
    assert not signed_in(other, gw), "every other /admin session ends"
    assert mcp_status(http, gw, tokens["access_token"]) == 200, "applications keep their tokens"
    assert not consent_works(http, gw, client, first)
    assert consent_works(http, gw, client, NEW_PASSWORD)
    mark = gw.log_mark()
    gw.restart()
    assert not kept.exists() and "Generated operator password" not in gw.logs(since=mark)
    assert consent_works(http, gw, client, NEW_PASSWORD)
    changer.close()
    other.close()


def test_a_change_on_admin_can_revoke_every_grant(http, start_gateway):
    gw = start_gateway(NO_PASSWORD)
    first = generated_password(gw)
    client, tokens = obtain_tokens(http, gw, password=first)
    changer = admin_session(gw, first)
    notice = change_on_admin(changer, gw, first, NEW_PASSWORD, revoke=True)
    assert "must be approved again" in notice
    assert mcp_status(http, gw, tokens["access_token"]) == 401, "access tokens end at once"
    renewed = refresh(http, gw, client["client_id"], tokens["refresh_token"])
    assert renewed.status_code == 400 and renewed.json()["error"] == "invalid_grant", renewed.text
    assert consent_works(http, gw, client, NEW_PASSWORD)
    changer.close()


def test_password_set_on_the_command_line_reaches_the_running_server(http, start_gateway):
    gw = start_gateway(NO_PASSWORD)
    first = generated_password(gw)
    client, tokens = obtain_tokens(http, gw, password=first)
    session = admin_session(gw, first)

    wrong = cli(gw, "password", "set", input=f"not-the-password-0\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n", settings=True,
                expect=65)
    assert "current password is wrong" in wrong.stderr and "nothing changed" in wrong.stderr
    mismatch = cli(gw, "password", "set", input=f"{first}\n{NEW_PASSWORD}\nsomething-else-000\n", settings=True,
                   expect=65)
    assert "differ" in mismatch.stderr
    assert consent_works(http, gw, client, first) and signed_in(session, gw) and password_file(gw).exists()

    done = cli(gw, "password", "set", input=f"{first}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n", settings=True)
    assert "Password changed" in done.stdout and first not in done.stdout + done.stderr
    assert not password_file(gw).exists()
    assert not signed_in(session, gw), "the running server ends sessions of the old password"
    assert not consent_works(http, gw, client, first) and consent_works(http, gw, client, NEW_PASSWORD)
    assert mcp_status(http, gw, tokens["access_token"]) == 200

    again = "a-third-operator-password"
    revoked = cli(gw, "password", "set", "--revoke-grants", input=f"{NEW_PASSWORD}\n{again}\n{again}\n", settings=True)
    assert "every application must be approved again" in revoked.stdout
    # Another process revoked them: the server's token cache honours that within its 10 s bound.
    deadline = time.monotonic() + 15
    while mcp_status(http, gw, tokens["access_token"]) != 401:
        assert time.monotonic() < deadline, "the revoked token still opens /mcp"
        time.sleep(0.5)
    session.close()


def test_a_configured_password_cannot_be_changed_here_and_removes_a_stale_file(http, start_gateway, tmp_path):
    gw = start_gateway(NO_PASSWORD)
    generated_password(gw)
    gw.stop()
    assert password_file(gw).exists()
    gw.env["OAUTH_PASSWORD"] = "configured-operator-password"
    gw.start()
    assert not password_file(gw).exists(), "a configured password makes the generated one meaningless"
    refused = cli(gw, "password", "set", input="a\nb\nb\n", settings=True, expect=78)
    assert "OAUTH_PASSWORD" in refused.stderr
    session = admin_session(gw, "configured-operator-password")
    page = session.get(gw.url("/admin")).text
    assert "is set by <code>OAUTH_PASSWORD</code>" in page and 'action="/admin/password"' not in page
    assert "configured" in change_on_admin_raw(session, gw)
    session.close()


def change_on_admin_raw(http: httpx2.Client, gw: Gateway) -> str:
    """A change posted even though the page offers no form: refused, nothing changes."""
    page = http.get(gw.url("/admin"))
    posted = http.post(gw.url("/admin/password"), data={
        "csrf_token": hidden(page.text), "current_password": "configured-operator-password",
        "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert posted.status_code == 303
    return posted.headers["location"]


@pytest.mark.parametrize("form", [
    {},
    {"current_password": "x"},
])
def test_password_form_without_its_csrf_token_is_refused(start_gateway, form):
    gw = start_gateway(NO_PASSWORD)
    first = generated_password(gw)
    session = admin_session(gw, first)
    refused = session.post(gw.url("/admin/password"), data={**form, "new_password": NEW_PASSWORD,
                                                           "repeat_password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert password_file(gw).exists() and signed_in(session, gw)
    session.close()
