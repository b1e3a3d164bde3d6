"""The operator's commands (`clients`, `tokens`, `audit`) on the database of a gateway that is serving."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

import httpx2
import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from cli_helpers import CLI_TIMEOUT, cli, cli_env
from gateway import binary_path
from mcp_helpers import bearer, run_sdk_client
from oauth_helpers import obtain_tokens, refresh

@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("cli")
    with gateway_in_front(work, {"alpha": BackendProcess(work, "alpha")}, name="cli gateway") as setup:
        yield setup


def call_echo(gw, token: str, text: str):
    async def body(client):
        return await client.call_tool("alpha__echo", {"text": text})

    return run_sdk_client(gw, token, body)


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# ---- clients ----------------------------------------------------------------------------------------


def test_clients_are_listed_shown_and_revoked_while_the_server_runs(setup):
    gw, _ = setup
    with httpx2.Client(timeout=15, trust_env=False) as http:
        client, tokens = obtain_tokens(http, gw)
        client_id = client["client_id"]
        listed = json.loads(cli(gw, "clients", "list", "--json").stdout)
        mine = next(c for c in listed if c["client_id"] == client_id)
        assert mine["live_grants"] == 1 and mine["live_access_tokens"] == 1 and mine["live_refresh_tokens"] == 1, mine
        assert client_id in cli(gw, "clients", "list").stdout
        shown = cli(gw, "clients", "show", client_id).stdout
        assert client["redirect_uris"][0] in shown and "1 access, 1 refresh" in shown, shown

        cli(gw, "clients", "revoke", client_id)
        # The refresh token is dead at once; the access token within the server's 10-second cache.
        r = refresh(http, gw, client_id, tokens["refresh_token"])
        assert r.status_code in (400, 401) and r.json()["error"] in ("invalid_grant", "invalid_client"), r.text
        wait_for(lambda: http.get(gw.url("/status"), headers=bearer(tokens["access_token"])).status_code == 401,
                 timeout=15, what="the revoked client's access token to stop working")
        assert client_id not in cli(gw, "clients", "list").stdout


def test_unknown_clients_are_a_clear_error(setup):
    gw, _ = setup
    missing = cli(gw, "clients", "show", "no-such-client", expect=65)
    assert "no client with id no-such-client" in missing.stderr
    assert "no client" in cli(gw, "clients", "revoke", "no-such-client", expect=65).stderr


# ---- personal tokens ----------------------------------------------------------------------------------


def test_a_personal_token_opens_status_and_nothing_else(setup):
    gw, _ = setup
    created = cli(gw, "tokens", "create", "--name", "prometheus")
    token = created.stdout.strip()
    assert token.startswith("mgw_") and "shown only now" in created.stderr, created
    with httpx2.Client(timeout=15, trust_env=False) as http:
        status = http.get(gw.url("/status"), headers=bearer(token))
        assert status.status_code == 200 and status.json()["caller"]["client_id"] == "token:prometheus", status.text
        mcp = http.post(gw.mcp_url, headers={**bearer(token), "Content-Type": "application/json"},
                        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert mcp.status_code == 403 and 'error="insufficient_scope"' in mcp.headers["www-authenticate"], mcp.text

        listed = json.loads(cli(gw, "tokens", "list", "--json").stdout)
        entry = next(t for t in listed if t["name"] == "prometheus")
        assert entry["scope"] == "status" and entry["state"] == "live" and entry["last_used_at"], entry
        table = cli(gw, "tokens", "list").stdout
        assert "prometheus" in table and token not in table

        duplicate = cli(gw, "tokens", "create", "--name", "prometheus", expect=65)
        assert "exists already" in duplicate.stderr

        cli(gw, "tokens", "revoke", "prometheus")
        assert http.get(gw.url("/status"), headers=bearer(token)).status_code == 401
        assert "revoked" in cli(gw, "tokens", "list", "--all").stdout
        assert "prometheus" not in cli(gw, "tokens", "list").stdout
    # The database keeps only the hash.
    assert token.encode() not in (gw.workdir / "gateway.sqlite").read_bytes()


def test_token_options_are_checked(setup):
    gw, _ = setup
    assert "--scope" in cli(gw, "tokens", "create", "--name", "x", "--scope", "admin", expect=64).stderr
    assert "--scope mcp" in cli(gw, "tokens", "create", "--name", "x", "--backends", "alpha", expect=64).stderr
    assert "--expires" in cli(gw, "tokens", "create", "--name", "x", "--expires", "soon", expect=64).stderr
    assert "--name" in cli(gw, "tokens", "create", "--name", " ", expect=64).stderr
    assert "no live token" in cli(gw, "tokens", "revoke", "nobody", expect=65).stderr


def test_an_expired_token_is_refused(setup):
    gw, _ = setup
    token = cli(gw, "tokens", "create", "--name", "short-lived", "--expires", "1s").stdout.strip()
    time.sleep(1.5)
    with httpx2.Client(timeout=15, trust_env=False) as http:
        assert http.get(gw.url("/status"), headers=bearer(token)).status_code == 401
    assert "short-lived" not in cli(gw, "tokens", "list").stdout


# ---- audit --------------------------------------------------------------------------------------------


def test_audit_shows_and_filters_what_was_called(setup):
    gw, token = setup
    call_echo(gw, token, "audited once")
    rows = wait_for(lambda: [json.loads(line) for line in cli(gw, "audit", "--json", "--tool", "echo").stdout.splitlines()
                             if "audited once" in line], what="the audit row")
    assert rows[0]["backend"] == "alpha" and rows[0]["outcome"] == "ok" and rows[0]["arguments"] == {"text": "audited once"}
    assert "audited once" in cli(gw, "audit", "--backend", "alpha", "--since", "1h").stdout
    assert "No audit entries match." in cli(gw, "audit", "--backend", "nobody").stdout
    assert "--since" in cli(gw, "audit", "--since", "yesterday-ish", expect=64).stderr


def test_audit_follow_prints_new_calls_as_they_happen(setup):
    gw, token = setup
    follower = subprocess.Popen(
        [str(binary_path()), "audit", "--follow", "--json", "--limit", "1", "--database", str(gw.workdir / "gateway.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=gw.workdir)
    try:
        time.sleep(1.5)  # let it print the backlog and start polling
        call_echo(gw, token, "followed live")
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(follower.stdout), daemon=True)
        reader.start()
        wait_for(lambda: any("followed live" in line for line in lines), timeout=20, what="the followed call")
        row = json.loads(next(line for line in lines if "followed live" in line))
        assert row["tool"] == "echo" and row["outcome"] == "ok", row
        assert follower.poll() is None, "audit --follow must keep running"
    finally:
        follower.send_signal(signal.SIGINT)
        try:
            follower.wait(timeout=10)
        except subprocess.TimeoutExpired:
            follower.kill()
            follower.wait(timeout=10)


def test_commands_refuse_a_missing_database(tmp_path):
    done = subprocess.run([str(binary_path()), "clients", "list", "--database", str(tmp_path / "absent.sqlite")],
                          capture_output=True, text=True, timeout=CLI_TIMEOUT, env=cli_env(), cwd=tmp_path)
    assert done.returncode == 66 and "no database at" in done.stderr, done
    assert not (tmp_path / "absent.sqlite").exists()


def test_every_command_has_help():
    for command in (["clients"], ["clients", "list"], ["clients", "show"], ["clients", "revoke"], ["tokens"],
                    ["tokens", "create"], ["tokens", "list"], ["tokens", "revoke"], ["audit"], ["serve"],
                    ["hash-password"], ["check-config"], ["password"], ["password", "set"]):
        done = subprocess.run([str(binary_path()), *command, "--help"], capture_output=True, text=True,
                              timeout=CLI_TIMEOUT, env=cli_env())
        assert done.returncode == 0 and "USAGE" in done.stdout.upper(), (command, done)
