"""Helpers for the member-backend tests: a gateway with Sign in with Discord on both callbacks (the consent page's and
/me's), fresh Discord members, a signed-in /me browser session, the operator's personal tokens, raw MCP calls."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2

from cli_helpers import cli
from discord_fake import DiscordFake
from gateway import HTTP_TIMEOUT, Gateway
from mcp_helpers import post_modern, response_message
from oauth_helpers import check_tokens, exchange, location_params
from test_member_sign_in import CALLBACK_PATH, member_post, new_browser, post_forms, sign_in, signin_settings

ME_CALLBACK_PATH = "/me/discord/callback"
ME_COOKIE = "mcpgw_me"
ME_FORM_COOKIE = "mcpgw_me_form"
ME_SIGNIN_COOKIE = "mcpgw_me_signin"
API = "/api/backends"


# --- gateways --------------------------------------------------------------------------------------
def member_settings(fake: DiscordFake, **extra: str | None) -> dict[str, str | None]:
    """Sign in with Discord at the fake, member backends allowed to reach loopback, a 2-second member cache."""
    env: dict[str, str | None] = {"GATEWAY_MEMBER_PRIVATE_HOSTS": "127.0.0.1", "GATEWAY_MEMBER_CACHE_SECONDS": "2"}
    env.update(extra)
    return signin_settings(fake, **env)


def register_callbacks(fake: DiscordFake, gw: Gateway) -> None:
    """The fake's application lists both of the gateway's callbacks (consent page and /me)."""
    fake.register_application(redirect_uris=[gw.issuer + CALLBACK_PATH, gw.issuer + ME_CALLBACK_PATH])


def member_gateway(work: Path, fake: DiscordFake, name: str, **extra: str | None) -> Gateway:
    """A gateway (not started) whose callbacks the fake knows."""
    gw = Gateway(work, member_settings(fake, **extra), name=name)
    register_callbacks(fake, gw)
    return gw


# --- Discord members -------------------------------------------------------------------------------
_serial = itertools.count(1)


def new_member(fake: DiscordFake, *role_ids: str, display: str | None = None, guild: str | None = None) -> str:
    """A fresh user, a member of the test guild with the Member role plus `role_ids`; returns the Discord id."""
    n = next(_serial)
    user = fake.add_user(f"mb{n}_{secrets.token_hex(3)}", display or f"Member {n}")
    roles = [fake.ids["role_member"], *role_ids] if guild is None else list(role_ids)
    fake.add_member(guild or fake.ids["guild"], user, roles)
    return user


def secret_value(label: str) -> str:
    return f"{label}-{secrets.token_hex(16)}"


# --- /me in a browser ---------------------------------------------------------------------------------
def cookie_value(r: httpx2.Response, name: str) -> str | None:
    for value in r.headers.get_list("set-cookie"):
        key, _, rest = value.partition("=")
        if key.strip() in (name, "__Host-" + name):
            return rest.split(";", 1)[0]
    return None


def set_cookie_header(r: httpx2.Response, name: str) -> str | None:
    for value in r.headers.get_list("set-cookie"):
        if value.split("=", 1)[0].strip() in (name, "__Host-" + name):
            return value
    return None


def form_with_action(page: httpx2.Response, path: str):
    forms = [f for f in post_forms(page) if urlsplit(f.action).path == path]
    return forms


def page_csrf(page: httpx2.Response) -> str:
    adds = form_with_action(page, "/me/backends")
    assert len(adds) == 1, f"expected one add-backend form on /me:\n{page.text[:4000]}"
    token = adds[0].hidden.get("csrf_token")
    assert token, adds[0].hidden
    return token


def scope_options(page: httpx2.Response) -> list[str]:
    select = re.search(r'<select[^>]*name="scope"[^>]*>(.*?)</select>', page.text, re.S)
    assert select, f"no scope select on /me:\n{page.text[:4000]}"
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(1))


def transport_options(page: httpx2.Response) -> list[str]:
    select = re.search(r'<select[^>]*name="transport"[^>]*>(.*?)</select>', page.text, re.S)
    assert select, f"no transport select on /me:\n{page.text[:4000]}"
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(1))


@dataclass
class Me:
    """A browser signed in at /me as one member (its cookie jar holds the session)."""

    gw: Gateway
    http: httpx2.Client
    user_id: str
    csrf: str
    first_page: httpx2.Response

    def page(self) -> httpx2.Response:
        r = self.http.get(self.gw.url("/me"))
        assert r.status_code == 200, f"GET /me: {r.status_code} {r.text[:1000]}"
        return r

    def post_form(self, path: str, fields: dict[str, str], csrf: str | None = "", **headers: str) -> httpx2.Response:
        """A form post from the page; csrf "" means the session's token, None leaves it out."""
        data = dict(fields)
        if csrf is not None:
            data["csrf_token"] = csrf or self.csrf
        return self.http.post(self.gw.url(path), data=data, headers=headers)

    def api(self, method: str, path: str = "", body=None, csrf: str | None = "", content: bytes | str | None = None,
            headers: dict[str, str] | None = None) -> httpx2.Response:
        """/api/backends with the session's cookie; csrf "" sends the session's X-CSRF-Token, None sends none."""
        h = dict(headers or {})
        if csrf is not None:
            h["X-CSRF-Token"] = csrf or self.csrf
        if content is not None:
            return self.http.request(method, self.gw.url(API + path), content=content, headers=h)
        if body is not None:
            return self.http.request(method, self.gw.url(API + path), json=body, headers=h)
        return self.http.request(method, self.gw.url(API + path), headers=h)

    def backends(self) -> list[dict]:
        r = self.api("GET", csrf=None)
        assert r.status_code == 200, f"GET {API}: {r.status_code} {r.text[:1000]}"
        return r.json()["backends"]

    def create(self, body: dict, expect: int = 201) -> dict:
        r = self.api("POST", body=body)
        assert r.status_code == expect, f"POST {API} {body!r}: expected {expect}, got {r.status_code} {r.text[:1000]}"
        return r.json()

    def close(self) -> None:
        self.http.close()


def start_me_sign_in(http: httpx2.Client, gw: Gateway) -> tuple[httpx2.Response, httpx2.Response]:
    """GET /me signed out, then its sign-in form posted: (the page, the 303 to Discord)."""
    page = http.get(gw.url("/me"))
    assert page.status_code == 200, f"GET /me signed out: {page.status_code} {page.text[:1000]}"
    forms = form_with_action(page, "/me/sign-in")
    assert len(forms) == 1, f"expected one sign-in form on /me:\n{page.text[:3000]}"
    r = http.post(forms[0].action, data=forms[0].hidden)
    return page, r


def me_sign_in(gw: Gateway, fake: DiscordFake, user_id: str) -> Me:
    """/me → Sign in with Discord → the fake (signed in as user_id) → /me/discord/callback → 303 /me, signed in."""
    http = new_browser()
    try:
        _, r = start_me_sign_in(http, gw)
        assert r.status_code == 303, f"POST /me/sign-in: {r.status_code} {r.text[:1000]}"
        location = r.headers["location"]
        assert location.startswith(fake.authorize_url + "?"), location
        fake.sign_in_as(user_id)
        at_discord = http.get(location)
        assert at_discord.status_code == 302, f"the fake's authorize: {at_discord.status_code} {at_discord.text[:500]}"
        callback = at_discord.headers["location"]
        assert callback.startswith(gw.issuer + ME_CALLBACK_PATH + "?"), callback
        back = http.get(gw.url(ME_CALLBACK_PATH + "?" + urlsplit(callback).query))
        assert back.status_code == 303, f"/me callback: {back.status_code} {back.text[:2000]}"
        assert urlsplit(back.headers["location"]).path == "/me", back.headers["location"]
        assert http.cookies.get(ME_COOKIE), back.headers.get_list("set-cookie")
        page = http.get(gw.url("/me"))
        assert page.status_code == 200, f"GET /me signed in: {page.status_code} {page.text[:1000]}"
        return Me(gw, http, user_id, page_csrf(page), page)
    except BaseException:
        http.close()
        raise


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


# --- MCP tokens -------------------------------------------------------------------------------------
def member_mcp_token(gw: Gateway, fake: DiscordFake, user_id: str) -> str:
    """An access token of a client the member approved on the consent page (every box checked)."""
    with new_browser() as http:
        done = sign_in(http, gw, fake, user_id)
        assert done.form is not None, f"no member form after signing in:\n{done.page.text[:3000]}"
        r = member_post(http, done.form)
        assert r.status_code == 303, f"member approval: {r.status_code} {r.text[:1000]}"
        return check_tokens(exchange(http, gw, location_params(r)["code"], done.consent.auth))["access_token"]


def operator_token(gw: Gateway, scope: str, name: str | None = None) -> str:
    name = name or f"op-{scope.replace(' ', '-')}-{secrets.token_hex(3)}"
    token = cli(gw, "tokens", "create", "--name", name, "--scope", scope, settings=True).stdout.strip()
    assert token.startswith("mgw_"), token
    return token


def op_api(gw: Gateway, token: str, method: str, path: str = "", body=None) -> httpx2.Response:
    with httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False) as http:
        h = {"Authorization": f"Bearer {token}"}
        if body is None:
            return http.request(method, gw.url(API + path), headers=h)
        return http.request(method, gw.url(API + path), json=body, headers=h)


# --- raw MCP ------------------------------------------------------------------------------------------
class Refused(Exception):
    pass


def tools_of(gw: Gateway, token: str, allow_refused: bool = False) -> list[str]:
    """Every tool name tools/list shows this token (all pages). A refused request (HTTP or JSON-RPC error) raises
    AssertionError, or Refused with allow_refused."""
    names: list[str] = []
    cursor = None
    with httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False) as http:
        while True:
            r = post_modern(http, gw, token, "tools/list", {"cursor": cursor} if cursor else {})
            if r.status_code != 200:
                if allow_refused:
                    raise Refused(f"HTTP {r.status_code} {r.text[:300]}")
                raise AssertionError(f"tools/list: HTTP {r.status_code} {r.text[:1000]}")
            m = response_message(r)
            if "error" in m:
                if allow_refused:
                    raise Refused(str(m["error"]))
                raise AssertionError(f"tools/list: {m}")
            names += [t["name"] for t in m["result"]["tools"]]
            cursor = m["result"].get("nextCursor")
            if not cursor:
                return names


def call_tool(gw: Gateway, token: str, name: str, arguments: dict | None = None) -> dict:
    """The JSON-RPC answer to one tools/call; an HTTP refusal as {"http_status", "text"}."""
    with httpx2.Client(timeout=HTTP_TIMEOUT, trust_env=False) as http:
        r = post_modern(http, gw, token, "tools/call", {"name": name, "arguments": arguments or {}},
                        headers={"Mcp-Name": name})
        if r.status_code != 200:
            try:
                return {"http_status": r.status_code, **response_message(r)}
            except Exception:  # noqa: BLE001 - not JSON-RPC at all
                return {"http_status": r.status_code, "text": r.text[:500]}
        return response_message(r)


def succeeded(answer: dict) -> bool:
    return "result" in answer and not answer["result"].get("isError") and "http_status" not in answer


def text_of(answer: dict) -> str:
    assert succeeded(answer), f"the call failed: {answer}"
    return "".join(c.get("text", "") for c in answer["result"].get("content", []))


def error_text(answer: dict) -> str:
    """What a failed call says (JSON-RPC error message and data, or the error result's text)."""
    assert not succeeded(answer), f"the call succeeded: {answer}"
    if "error" in answer:
        return json.dumps(answer["error"])
    if "result" in answer:
        return "".join(c.get("text", "") for c in answer["result"].get("content", []))
    return json.dumps(answer)


def headers_seen(gw: Gateway, token: str, backend: str) -> dict[str, str]:
    """What the fixture's `headers` tool of `backend` says it received (names lower-cased)."""
    answer = call_tool(gw, token, f"{backend}__headers")
    return {k.lower(): v for k, v in json.loads(text_of(answer)).items()}


def wait_for(check, timeout: float = 10.0, interval: float = 0.25, what="a condition"):
    """Polls check() until it returns something truthy (returned); fails with the last value after `timeout`.
    `what` may be a callable, asked at failure time (to describe the last state)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {described}; last: {last!r}")
        time.sleep(interval)
