"""OAuth steps done by hand: registration, PKCE, the consent page as a browser answers it, a redirect target, tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx2

from gateway import Gateway
from loopback_server import serve_in_background, stop

LOOPBACK_REDIRECT = "http://127.0.0.1:53682/callback"
WEB_REDIRECT = "https://app.example/cb"


# --- PKCE ----------------------------------------------------------------------------------
def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:86]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


# --- registration --------------------------------------------------------------------------
def register(http: httpx2.Client, gw: Gateway, redirect_uris: list[str] | None = None, **metadata) -> dict:
    body = {
        "client_name": "e2e client",
        "redirect_uris": redirect_uris or [LOOPBACK_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    body.update(metadata)
    r = http.post(gw.url("/oauth/register"), json=body)
    assert r.status_code == 201, f"registration failed: {r.status_code} {r.text}"
    return r.json()


# --- consent page --------------------------------------------------------------------------
@dataclass
class ConsentForm:
    action: str
    method: str
    hidden: dict[str, str]
    inputs: list[dict[str, str]]
    buttons: list[dict[str, str]]
    page: httpx2.Response


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._current = {"attrs": a, "inputs": [], "buttons": []}
            self.forms.append(self._current)
        elif self._current is not None and tag == "input":
            self._current["inputs"].append(a)
        elif self._current is not None and tag == "button":
            self._current["buttons"].append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_consent(page: httpx2.Response) -> ConsentForm:
    parser = _FormParser()
    parser.feed(page.text)
    posts = [f for f in parser.forms if f["attrs"].get("method", "get").lower() == "post"]
    assert posts, f"no POST form on the consent page ({page.status_code}):\n{page.text[:2000]}"
    form = posts[0]
    action = urljoin(str(page.url), form["attrs"].get("action") or str(page.url))
    hidden = {i["name"]: i.get("value", "") for i in form["inputs"] if i.get("type", "").lower() == "hidden" and i.get("name")}
    return ConsentForm(action, "post", hidden, form["inputs"], form["buttons"], page)


def open_consent(http: httpx2.Client, authorize_url: str) -> ConsentForm:
    page = http.get(authorize_url)
    assert page.status_code == 200, f"authorize GET: {page.status_code} {page.headers} {page.text[:1000]}"
    return parse_consent(page)


def submit_consent(
    http: httpx2.Client,
    form: ConsentForm,
    password: str | None,
    decision: str = "approve",
    extra: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    replace: dict[str, str] | None = None,
) -> httpx2.Response:
    """POST the form as a browser would (hidden fields + password + the clicked button), not following redirects."""
    data = dict(form.hidden)
    if password is not None:
        data["password"] = password
    data["decision"] = decision
    data.update(replace or {})
    data.update(extra or {})
    for key in drop:
        data.pop(key, None)
    return http.post(form.action, data=data)


def location_params(response: httpx2.Response) -> dict[str, str]:
    loc = response.headers.get("location")
    assert loc, f"no Location header: {response.status_code} {response.text[:500]}"
    return {k: v[0] for k, v in parse_qs(urlsplit(loc).query, keep_blank_values=True).items()}


# --- authorization -------------------------------------------------------------------------
@dataclass
class Authorization:
    client_id: str
    redirect_uri: str
    verifier: str
    challenge: str
    state: str
    params: dict[str, str] = field(default_factory=dict)

    def url(self, gw: Gateway, path: str = "/oauth/authorize") -> str:
        return gw.url(path) + "?" + urlencode(self.params)


def authorization(
    gw: Gateway,
    client_id: str,
    redirect_uri: str = LOOPBACK_REDIRECT,
    drop: tuple[str, ...] = (),
    **overrides: str,
) -> Authorization:
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "scope": "mcp",
        "resource": gw.mcp_url,
    }
    params.update(overrides)
    for key in drop:
        params.pop(key, None)
    return Authorization(client_id, redirect_uri, verifier, challenge, state, params)


def approve(http: httpx2.Client, gw: Gateway, auth: Authorization, password: str | None = None) -> dict[str, str]:
    """GET the consent page, POST password + Approve; return the redirect's query parameters."""
    form = open_consent(http, auth.url(gw))
    r = submit_consent(http, form, password or gw.password)
    assert r.status_code == 303, f"consent POST: {r.status_code} {r.text[:1000]}"
    params = location_params(r)
    assert r.headers["location"].startswith(auth.redirect_uri + "?"), r.headers["location"]
    assert "code" in params, params
    assert params.get("state") == auth.state
    assert params.get("iss") == gw.issuer
    return params


def get_code(http: httpx2.Client, gw: Gateway, client_id: str, redirect_uri: str = LOOPBACK_REDIRECT,
             password: str | None = None, **overrides):
    auth = authorization(gw, client_id, redirect_uri, **overrides)
    params = approve(http, gw, auth, password)
    return params["code"], auth


# --- loopback redirect target --------------------------------------------------------------
class CallbackServer:
    """The loopback redirect target a native app runs (RFC 8252): records the query of each GET to /callback."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                if url.path != "/callback":  # e.g. the browser's /favicon.ico
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                owner.queries.append(query)
                body = _callback_page(query)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = serve_in_background(Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.httpd.server_address[1]}/callback"

    def close(self) -> None:
        stop(self.httpd)


def _callback_page(query: dict[str, str]) -> bytes:
    """What the redirect target shows: the parameters it got (so a screenshot tells how the flow ended)."""
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in query.items())
    return f"<!doctype html><title>Callback</title><h1>Redirect received</h1><dl>{rows}</dl>".encode()


@contextmanager
def callback_server():
    server = CallbackServer()
    try:
        yield server
    finally:
        server.close()


# --- token endpoint ------------------------------------------------------------------------
def token_request(http: httpx2.Client, gw: Gateway, data: dict[str, str], **kwargs) -> httpx2.Response:
    return http.post(gw.url("/oauth/token"), data=data, **kwargs)


def exchange(http: httpx2.Client, gw: Gateway, code: str, auth: Authorization, /, **overrides) -> httpx2.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": auth.redirect_uri,
        "client_id": auth.client_id,
        "code_verifier": auth.verifier,
        "resource": gw.mcp_url,
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return token_request(http, gw, data)


def refresh(http: httpx2.Client, gw: Gateway, client_id: str, refresh_token: str, **overrides) -> httpx2.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return token_request(http, gw, data)


def revoke(http: httpx2.Client, gw: Gateway, client_id: str, token: str, hint: str | None = None) -> httpx2.Response:
    data = {"token": token, "client_id": client_id}
    if hint:
        data["token_type_hint"] = hint
    return http.post(gw.url("/oauth/revoke"), data=data)


def check_tokens(r: httpx2.Response) -> dict:
    assert r.status_code == 200, f"token endpoint: {r.status_code} {r.text}"
    assert "no-store" in r.headers.get("cache-control", ""), r.headers
    body = r.json()
    assert body["token_type"].lower() == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert body["access_token"] and body["refresh_token"]
    return body


def oauth_error(r: httpx2.Response, status: int, error: str | tuple[str, ...]) -> dict:
    """Assert an RFC 6749 error response: status, JSON `error`, Cache-Control: no-store, no tokens."""
    errors = (error,) if isinstance(error, str) else error
    assert r.status_code == status, f"expected {status} {errors}, got {r.status_code} {r.text[:500]}"
    body = r.json()
    assert body.get("error") in errors, f"expected error {errors}, got {body}"
    assert "access_token" not in body and "refresh_token" not in body
    return body


def obtain_tokens(http: httpx2.Client, gw: Gateway, client: dict | None = None, password: str | None = None,
                  **overrides) -> tuple[dict, dict]:
    """Register (unless given a client), authorize (with `password`, else the gateway's), exchange; return
    (client, tokens)."""
    client = client or register(http, gw)
    redirect = client["redirect_uris"][0]
    code, auth = get_code(http, gw, client["client_id"], redirect, password, **overrides)
    return client, check_tokens(exchange(http, gw, code, auth))


def www_authenticate_params(header: str) -> dict[str, str]:
    """Parse `Bearer a="b", c="d"` into a dict (scheme under the key '')."""
    scheme, _, rest = header.strip().partition(" ")
    out = {"": scheme}
    i = 0
    while i < len(rest):
        while i < len(rest) and rest[i] in " ,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip().lower()
        i = eq + 1
        if i < len(rest) and rest[i] == '"':
            end = rest.find('"', i + 1)
            end = len(rest) if end < 0 else end
            out[key] = rest[i + 1 : end]
            i = end + 1
        else:
            end = rest.find(",", i)
            end = len(rest) if end < 0 else end
            out[key] = rest[i:end].strip()
            i = end
    return out


def live_token_counts(http: httpx2.Client, gw: Gateway, access_token: str) -> dict:
    r = http.get(gw.url("/status"), headers={"Authorization": f"Bearer {access_token}"})
    assert r.status_code == 200, f"/status: {r.status_code} {r.text}"
    return r.json()["tokens"]


@contextmanager
def nothing_issued(http: httpx2.Client, gw: Gateway, observer_token: str):
    """Assert that the block adds no live access or refresh token on the server (per /status)."""
    before = live_token_counts(http, gw, observer_token)
    yield
    after = live_token_counts(http, gw, observer_token)
    assert after == before, f"tokens were issued: {before} -> {after}"
