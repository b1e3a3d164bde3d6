"""A real MCP client (the Python SDK's Client + OAuthClientProvider) against the real server, end to end."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from mcp_helpers import LATEST_HANDSHAKE, MODERN, token_status
from oauth_helpers import location_params, parse_consent

REDIRECT = "http://127.0.0.1:53682/callback"
FLOW_TIMEOUT = 90


class MemoryStorage:
    """The SDK's TokenStorage, remembering every token set it was given."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None
        self.history: list[OAuthToken] = []

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens
        self.history.append(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Browser:
    """Plays the user: opens the authorization URL, types the password, clicks Approve, hands back the redirect."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.visits: list[str] = []
        self.redirects: list[str] = []
        self._result: AuthorizationCodeResult | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        self.visits.append(authorization_url)
        async with httpx2.AsyncClient(timeout=15, trust_env=False, follow_redirects=False) as http:
            page = await http.get(authorization_url)
            assert page.status_code == 200, f"consent page: {page.status_code} {page.text[:500]}"
            form = parse_consent(page)
            r = await http.post(form.action, data={**form.hidden, "password": self.password, "decision": "approve"})
        assert r.status_code == 303, f"consent POST: {r.status_code} {r.text[:500]}"
        self.redirects.append(r.headers["location"])
        params = location_params(r)
        self._result = AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self._result is not None
        result, self._result = self._result, None
        return result


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    body: bytes


@dataclass
class Harness:
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    log: list[Exchange] = field(default_factory=list)
    browser: Browser | None = None

    async def _record(self, response: httpx2.Response) -> None:
        req = response.request
        try:
            body = req.content
        except httpx2.RequestNotRead:
            body = b""
        self.log.append(Exchange(req.method, req.url.path, response.status_code, body))

    def http_client(self, gw) -> httpx2.AsyncClient:
        self.browser = Browser(gw.password)
        provider = OAuthClientProvider(
            server_url=gw.mcp_url,
            client_metadata=OAuthClientMetadata(
                client_name="mcp-gateway e2e (SDK)",
                redirect_uris=[REDIRECT],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=self.storage,
            redirect_handler=self.browser.redirect_handler,
            callback_handler=self.browser.callback_handler,
        )
        return httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(30), trust_env=False,
                                  event_hooks={"response": [self._record]})

    def mcp_methods(self) -> list[str]:
        out = []
        for e in self.log:
            if e.path == "/mcp" and e.method == "POST" and e.body:
                try:
                    out.append(json.loads(e.body).get("method") or "<response>")
                except ValueError:
                    out.append("<unparsable>")
        return out

    def token_grants(self, status: int = 200) -> list[str]:
        grants = []
        for e in self.log:
            if e.path == "/oauth/token" and e.status == status:
                grants.append(parse_qs(e.body.decode()).get("grant_type", ["?"])[0])
        return grants

    def describe(self) -> str:
        return "\n".join(f"{e.method} {e.path} -> {e.status}" for e in self.log)


def _run(fn):
    async def main():
        with anyio.fail_after(FLOW_TIMEOUT):
            return await fn()

    return anyio.run(main)


def _assert_oauth_dance(h: Harness, gw) -> None:
    steps = [(e.method, e.path, e.status) for e in h.log]
    assert steps[0] == ("POST", "/mcp", 401), h.describe()
    expected = [
        ("GET", "/.well-known/oauth-protected-resource/mcp", 200),
        ("GET", "/.well-known/oauth-authorization-server", 200),
        ("POST", "/oauth/register", 201),
        ("POST", "/oauth/token", 200),
        ("POST", "/mcp", 200),
    ]
    positions = []
    for step in expected:
        assert step in steps, f"missing {step}:\n{h.describe()}"
        positions.append(steps.index(step))
    assert positions == sorted(positions), f"out of order:\n{h.describe()}"
    assert all(s < 500 for _, _, s in steps), h.describe()
    assert [s for s in steps if s[1] == "/mcp" and s[2] == 401] == [("POST", "/mcp", 401)], h.describe()

    assert h.browser is not None and len(h.browser.visits) == 1
    q = {k: v[0] for k, v in parse_qs(urlsplit(h.browser.visits[0]).query).items()}
    assert q["code_challenge_method"] == "S256" and q["resource"] == gw.mcp_url, q
    loc = location_params_from(h.browser.redirects[0])
    assert loc["iss"] == gw.issuer and loc["code"], loc
    assert h.storage.client_info is not None and h.storage.client_info.client_id
    assert h.token_grants() == ["authorization_code"], h.describe()


def location_params_from(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_default_mode_negotiates_2026(gw):
    h = Harness()

    async def flow():
        async with h.http_client(gw) as http:
            async with Client(streamable_http_client(gw.mcp_url, http_client=http),
                              read_timeout_seconds=30, cache=None) as client:
                version = client.protocol_version
                tools = await client.list_tools()
        return version, tools

    version, tools = _run(flow)
    assert version == MODERN, f"the SDK fell back to the handshake:\n{h.describe()}\n{h.mcp_methods()}"
    assert tools.tools == []
    assert "initialize" not in h.mcp_methods(), h.mcp_methods()
    assert h.mcp_methods()[:2] == ["server/discover", "server/discover"], h.mcp_methods()  # 401, then retried
    _assert_oauth_dance(h, gw)


def test_legacy_mode_uses_the_handshake(gw):
    h = Harness()

    async def flow():
        async with h.http_client(gw) as http:
            async with Client(streamable_http_client(gw.mcp_url, http_client=http), mode="legacy",
                              read_timeout_seconds=30, cache=None) as client:
                version = client.protocol_version
                tools = await client.list_tools()
        return version, tools

    version, tools = _run(flow)
    assert version == LATEST_HANDSHAKE
    assert tools.tools == []
    assert h.mcp_methods()[:2] == ["initialize", "initialize"], h.mcp_methods()
    assert "server/discover" not in h.mcp_methods()
    _assert_oauth_dance(h, gw)
    deletes = [e for e in h.log if e.method == "DELETE" and e.path == "/mcp"]
    assert all(e.status in (200, 202, 204) for e in deletes), h.describe()


def test_sdk_refreshes_by_itself(http, start_gateway):
    gw = start_gateway({"OAUTH_ACCESS_TOKEN_TTL": "2"})
    h = Harness()

    async def flow():
        async with h.http_client(gw) as client_http:
            async with Client(streamable_http_client(gw.mcp_url, http_client=client_http),
                              read_timeout_seconds=30, cache=None) as client:
                assert client.protocol_version == MODERN
                assert (await client.list_tools()).tools == []
                first = h.storage.tokens
                for _ in range(3):
                    await anyio.sleep(2.6)  # past the 2 s TTL
                    assert (await client.list_tools()).tools == []
                return first

    first = _run(flow)
    assert first is not None and first.expires_in is not None and first.expires_in <= 2
    grants = h.token_grants()
    assert grants[0] == "authorization_code" and grants.count("refresh_token") >= 3, h.describe()
    assert h.token_grants(status=400) == [], h.describe()
    access = [t.access_token for t in h.storage.history]
    assert len(set(access)) == len(access) >= 4, "refreshes must hand out new access tokens"
    refresh_tokens = [t.refresh_token for t in h.storage.history]
    assert len(set(refresh_tokens)) == len(refresh_tokens), "refresh tokens must rotate"
    assert h.browser is not None and len(h.browser.visits) == 1, "the SDK re-authorized instead of refreshing"
    assert [e for e in h.log if e.path == "/mcp" and e.status == 401][1:] == [], h.describe()
    # The first access token really expired on the server: the refreshes were needed.
    time.sleep(0.1)
    assert token_status(http, gw, first.access_token) == 401
