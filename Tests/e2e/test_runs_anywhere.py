"""The binary needs nothing beside it: started from an empty folder it serves its built-in pages and keeps its data
under GATEWAY_DATA_DIR (or ./data); without OAUTH_ISSUER_URL it advertises http://localhost:<port> and the MCP
SDK's own OAuth flow works against that; GATEWAY_TEMPLATES_DIR replaces the built-in pages; `--version` names the
build's commit."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cli_helpers import CLI_TIMEOUT, cli_env
from gateway import REPO_ROOT, Gateway, binary_path, free_port
from mcp_helpers import MODERN, run_sdk_client, token_status
from oauth_helpers import WEB_REDIRECT, approve, authorization, obtain_tokens, open_consent, register
from test_sdk_flow import Harness, _assert_oauth_dance, _run

VERSION = re.compile(r"^mcp-gateway (\d+\.\d+\.\d+) \(([0-9a-f]{12})(-dirty)?\)$")


class DefaultIssuerGateway(Gateway):
    """A gateway started without OAUTH_ISSUER_URL: its issuer is the default, http://localhost:<port>."""

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"


def empty_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def assert_consent_page_served(http: httpx2.Client, gw: Gateway) -> httpx2.Response:
    """Register a client and open its authorization URL: the page must carry the password form."""
    client = register(http, gw, [WEB_REDIRECT])
    form = open_consent(http, authorization(gw, client["client_id"], WEB_REDIRECT).url(gw))
    assert any(i.get("type") == "password" and i.get("name") == "password" for i in form.inputs), form.inputs
    assert {"approve", "deny"} <= {b.get("value") for b in form.buttons}, form.buttons
    return form.page


def test_from_an_empty_folder_it_serves_built_in_pages_and_keeps_data_in_the_data_dir(http, tmp_path):
    cwd = empty_folder(tmp_path / "cwd")
    state = tmp_path / "state"
    gw = Gateway(tmp_path / "logs", {"GATEWAY_DATA_DIR": str(state), "DATABASE_PATH": None,
                                     "GATEWAY_TEMPLATES_DIR": None}, cwd=cwd, name="anywhere gateway")
    assert "GATEWAY_TEMPLATES_DIR" not in gw.env and "DATABASE_PATH" not in gw.env
    gw.start()
    try:
        assert_consent_page_served(http, gw)
        approve(http, gw, authorization(gw, register(http, gw)["client_id"]))
        assert (state / "gateway.sqlite").is_file(), sorted(p.name for p in state.iterdir()) if state.exists() else "none"
    finally:
        gw.stop()
    assert list(cwd.iterdir()) == [], f"it wrote into its working directory: {list(cwd.iterdir())}"
    assert not (tmp_path / "logs" / "gateway.sqlite").exists()


def test_without_a_data_dir_the_data_goes_to_data_in_the_working_directory(http, tmp_path):
    cwd = empty_folder(tmp_path / "cwd")
    gw = Gateway(tmp_path / "logs", {"GATEWAY_DATA_DIR": None, "DATABASE_PATH": None, "GATEWAY_TEMPLATES_DIR": None},
                 cwd=cwd, name="data-in-cwd gateway")
    gw.start()
    try:
        assert_consent_page_served(http, gw)
        assert (cwd / "data" / "gateway.sqlite").is_file(), sorted(str(p) for p in cwd.rglob("*"))
    finally:
        gw.stop()


@pytest.mark.parametrize("how", ["GATEWAY_PORT", "--port"])
def test_without_an_issuer_it_advertises_localhost_and_its_port(http, tmp_path, how):
    port = free_port()
    overrides = {"OAUTH_ISSUER_URL": None, "GATEWAY_PORT": str(port) if how == "GATEWAY_PORT" else None}
    args = ["--port", str(port)] if how == "--port" else []
    gw = DefaultIssuerGateway(tmp_path / "gw", overrides, port=port, cwd=empty_folder(tmp_path / "cwd"), args=args,
                              name=f"default-issuer gateway ({how})")
    assert "OAUTH_ISSUER_URL" not in gw.env
    gw.start()
    try:
        origin = f"http://localhost:{port}"
        server = http.get(gw.url("/.well-known/oauth-authorization-server")).json()
        assert server["issuer"] == origin, server
        assert server["authorization_endpoint"] == origin + "/oauth/authorize", server
        assert server["token_endpoint"] == origin + "/oauth/token", server
        resource = http.get(gw.url("/.well-known/oauth-protected-resource/mcp")).json()
        assert resource["resource"] == origin + "/mcp" and resource["authorization_servers"] == [origin], resource

        # The manual flow: the code's iss and the token's resource are the default issuer's.
        _, tokens = obtain_tokens(http, gw)
        assert token_status(http, gw, tokens["access_token"]) == 200

        async def tools(client):
            return (await client.list_tools()).tools

        assert gw.mcp_url == origin + "/mcp"
        assert run_sdk_client(gw, tokens["access_token"], tools) == []
    finally:
        gw.stop()


def test_the_sdk_oauth_flow_works_against_the_default_issuer(tmp_path):
    port = free_port()
    gw = DefaultIssuerGateway(tmp_path / "gw", {"OAUTH_ISSUER_URL": None}, port=port,
                              cwd=empty_folder(tmp_path / "cwd"), name="default-issuer gateway (SDK)")
    gw.start()
    try:
        h = Harness()

        async def flow():
            async with h.http_client(gw) as http:
                async with Client(streamable_http_client(f"http://localhost:{port}/mcp", http_client=http),
                                  read_timeout_seconds=30, cache=None) as client:
                    return client.protocol_version, (await client.list_tools()).tools

        version, tools = _run(flow)
        assert version == MODERN and tools == [], h.describe()
        _assert_oauth_dance(h, gw)
        assert h.browser.visits[0].startswith(f"http://localhost:{port}/oauth/authorize?"), h.browser.visits
    finally:
        gw.stop()


def test_a_templates_folder_replaces_the_built_in_pages(http, tmp_path):
    marker = "e2e-marker: the operator's own consent page"
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    consent = templates / "consent.mustache"
    page = consent.read_text()
    assert "</form>" in page
    consent.write_text(page.replace("</form>", f"</form>\n  <p class=\"note\">{marker}</p>", 1))

    built_in = Gateway(tmp_path / "built-in", {"GATEWAY_TEMPLATES_DIR": None}, cwd=empty_folder(tmp_path / "cwd1"),
                       name="built-in pages gateway")
    custom = Gateway(tmp_path / "custom", {"GATEWAY_TEMPLATES_DIR": str(templates)}, cwd=empty_folder(tmp_path / "cwd2"),
                     name="custom pages gateway")
    try:
        built_in.start()
        assert marker not in assert_consent_page_served(http, built_in).text
        custom.start()
        assert marker in assert_consent_page_served(http, custom).text
        # The replaced page still works: approving through it gives a code.
        approve(http, custom, authorization(custom, register(http, custom)["client_id"]))
    finally:
        built_in.stop()
        custom.stop()


def git(*args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=CLI_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None


@pytest.mark.parametrize("where", ["empty folder", "root"])
def test_version_names_the_build_and_its_commit(tmp_path, where):
    cwd = empty_folder(tmp_path / "cwd") if where == "empty folder" else Path("/")
    done = subprocess.run([str(binary_path()), "--version"], capture_output=True, text=True, timeout=CLI_TIMEOUT,
                          env=cli_env(), cwd=cwd)
    assert done.returncode == 0, done
    line = done.stdout.strip()
    match = VERSION.match(line)
    assert match, f"not `mcp-gateway <x.y.z> (<12 hex>[-dirty])`: {line!r} (stderr: {done.stderr!r})"
    commit, dirty = match.group(2), bool(match.group(3))
    head = git("rev-parse", "HEAD")
    if head is None or head.returncode != 0:
        return  # not a checkout: nothing to compare with
    head_commit = head.stdout.strip()
    if head_commit.startswith(commit):
        return
    # Built from uncommitted changes that were committed since: the commit printed is the one they started from.
    assert dirty, f"the binary says commit {commit}, the checkout is at {head_commit}"
    known = git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    assert known and known.returncode == 0 and known.stdout.startswith(commit), f"{commit} is no commit of this repository"
    ancestor = git("merge-base", "--is-ancestor", commit, "HEAD")
    assert ancestor and ancestor.returncode == 0, f"the binary's commit {commit} is not HEAD ({head_commit}) or before it"
