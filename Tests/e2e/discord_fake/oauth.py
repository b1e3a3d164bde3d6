"""Discord's OAuth2 authorization-code grant with PKCE (S256): what "Sign in with Discord" needs.

Endpoints (Discord docs, Topics > OAuth2; RFC 6749, RFC 7636, RFC 7009):

- GET  /oauth2/authorize (also /api/oauth2/authorize, /api/v10/oauth2/authorize): the browser's page. The fake
  "user" (DiscordFake.sign_in_as) decides at once: 302 to redirect_uri with code and state, or, when nobody is
  signed in or deny_next_authorization() was called, error=access_denied. An unknown client_id or a
  redirect_uri not registered exactly for the application is an HTML 400 page: never a redirect.
- POST /api/oauth2/token (also /api/v10/oauth2/token): application/x-www-form-urlencoded only; grants
  authorization_code and refresh_token; client authentication by HTTP Basic or client_id + client_secret in
  the body (one of them). Codes are single use (a replay revokes what the first use issued) and live
  `code_ttl` seconds (10 minutes).
- POST /api/oauth2/token/revoke (also /api/v10/...): revokes the whole authorization a token belongs to.

Access tokens then work as `Authorization: Bearer <token>` on the few user routes (see USER_ROUTES); the
dispatcher refuses them everywhere else. Every request to these endpoints is recorded (`records`).
These endpoints are not in Discord's OpenAPI spec, so they are served before (and without) the spec check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import random
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode

from .errors import DiscordError
from .routing import Response
from .world import World

CODE_TTL = 600.0  # seconds an authorization code stays valid
TOKEN_TTL = 604800.0  # expires_in of access tokens (7 days)

AUTHORIZE, TOKEN, REVOKE = "authorize", "token", "revoke"
ENDPOINTS = {
    "/oauth2/authorize": AUTHORIZE,
    "/api/oauth2/authorize": AUTHORIZE,
    "/api/v10/oauth2/authorize": AUTHORIZE,
    "/api/oauth2/token": TOKEN,
    "/api/v10/oauth2/token": TOKEN,
    "/api/oauth2/token/revoke": REVOKE,
    "/api/v10/oauth2/token/revoke": REVOKE,
}
TEMPLATES = {AUTHORIZE: "/oauth2/authorize", TOKEN: "/oauth2/token", REVOKE: "/oauth2/token/revoke"}

# The user routes a Bearer token may call, and the scope each needs (None: any scope).
USER_ROUTES: dict[tuple[str, str], str | None] = {
    ("GET", "/users/@me"): "identify",
    ("GET", "/users/@me/guilds"): "guilds",
    ("GET", "/oauth2/@me"): None,
}

# Discord's documented scopes (docs, OAuth2 Scopes; the spec's OAuth2 scheme).
SCOPES = {
    "activities.invites.write",
    "activities.read",
    "activities.write",
    "applications.builds.read",
    "applications.builds.upload",
    "applications.commands",
    "applications.commands.permissions.update",
    "applications.commands.update",
    "applications.entitlements",
    "applications.store.update",
    "bot",
    "connections",
    "dm_channels.read",
    "email",
    "gdm.join",
    "guilds",
    "guilds.join",
    "guilds.members.read",
    "identify",
    "messages.read",
    "openid",
    "relationships.read",
    "role_connections.write",
    "rpc",
    "rpc.activities.write",
    "rpc.notifications.read",
    "rpc.screenshare.read",
    "rpc.screenshare.write",
    "rpc.video.read",
    "rpc.video.write",
    "rpc.voice.read",
    "rpc.voice.write",
    "voice",
    "webhook.incoming",
}
# Scopes that lead into flows the fake does not offer (adding a bot, a webhook, client credentials only).
OTHER_FLOW_SCOPES = {"bot", "webhook.incoming", "applications.commands", "applications.commands.update"}

PKCE_VALUE = set(string.ascii_letters + string.digits + "-._~")  # RFC 7636: 43 to 128 of these
TOKEN_ALPHABET = string.ascii_letters + string.digits
ACCESS_DENIED = "The resource owner or authorization server denied the request"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def s256(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier))), without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def pkce_value_ok(value: str) -> bool:
    return 43 <= len(value) <= 128 and set(value) <= PKCE_VALUE


@dataclass
class Application:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "MCP Gateway"
    verify_key: str = ""


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: list[str]
    code_challenge: str | None
    grant_id: str
    expires_at: float  # monotonic
    used: bool = False


@dataclass
class UserToken:
    """One access token (with its refresh token) issued to an application for a user."""

    access_token: str
    refresh_token: str
    client_id: str
    user_id: str
    scopes: list[str]
    grant_id: str  # every token of one authorization (code, then refreshes) shares it
    issued_at: float  # epoch
    expires_at: float  # epoch
    expires_monotonic: float
    revoked: bool = False

    def active(self) -> bool:
        return not self.revoked and time.monotonic() < self.expires_monotonic

    def public(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "user_id": self.user_id,
            "scopes": list(self.scopes),
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "revoked": self.revoked,
            "active": self.active(),
        }


def oauth_error(
    status: int,
    error: str,
    description: str | None = None,
    violation: str | None = None,
    headers: dict[str, str] | None = None,
) -> DiscordError:
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return DiscordError(status, body, violation=violation, headers={**NO_STORE, **(headers or {})})


def invalid_grant(name: str, violation: str | None = None) -> DiscordError:
    return oauth_error(400, "invalid_grant", f'Invalid "{name}" in request.', violation)


def invalid_request(description: str, violation: str | None = None) -> DiscordError:
    return oauth_error(400, "invalid_request", description, violation)


def html_page(status: int, title: str, text: str, headers: dict[str, str] | None = None) -> Response:
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Discord</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>\n"
    )
    return Response(status, headers=headers or {}, raw=page.encode(), content_type="text/html; charset=utf-8")


@dataclass
class OAuth:
    """The OAuth2 side of the fake: applications, codes, tokens, and who the browser's user is."""

    world: World
    rng: random.Random
    applications: dict[str, Application] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    tokens: list[UserToken] = field(default_factory=list)
    signed_in: str | None = None
    deny_next: bool = False
    code_ttl: float = CODE_TTL
    token_ttl: float = TOKEN_TTL
    records: list[dict] = field(default_factory=list)

    # ---- state ---------------------------------------------------------------------------------

    def make_secret(self, length: int, alphabet: str = TOKEN_ALPHABET) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def register(
        self, client_id: str, client_secret: str | None, redirect_uris: Iterable[str], name: str | None = None
    ) -> Application:
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        existing = self.applications.get(client_id)
        secret = client_secret or (existing.client_secret if existing else self.make_secret(32))
        app = Application(
            client_id,
            secret,
            uris,
            name or (existing.name if existing else "MCP Gateway"),
            existing.verify_key if existing else self.make_secret(64, "0123456789abcdef"),
        )
        self.applications[client_id] = app
        return app

    def access_token(self, value: str) -> UserToken | None:
        for token in self.tokens:
            if hmac.compare_digest(token.access_token, value):
                return token
        return None

    def revoke_grant(self, grant_id: str) -> None:
        for token in self.tokens:
            if token.grant_id == grant_id:
                token.revoked = True

    def _issue(self, client_id: str, user_id: str, scopes: list[str], grant_id: str) -> UserToken:
        now = time.time()
        token = UserToken(
            access_token=self.make_secret(30),
            refresh_token=self.make_secret(30),
            client_id=client_id,
            user_id=user_id,
            scopes=list(scopes),
            grant_id=grant_id,
            issued_at=now,
            expires_at=now + self.token_ttl,
            expires_monotonic=time.monotonic() + self.token_ttl,
        )
        self.tokens.append(token)
        return token

    def _token_body(self, token: UserToken) -> dict:
        return {
            "access_token": token.access_token,
            "token_type": "Bearer",
            "expires_in": int(self.token_ttl),
            "refresh_token": token.refresh_token,
            "scope": " ".join(token.scopes),
        }

    # ---- GET /oauth2/authorize -------------------------------------------------------------------

    def authorize(
        self, method: str, query: dict[str, list[str]], record: dict, violation: Callable[[str], None]
    ) -> Response:
        if method != "GET":
            return html_page(405, "405: Method Not Allowed", "The authorization page is opened with GET.")
        repeated = sorted(name for name, values in query.items() if len(values) > 1)
        q = {name: values[-1] for name, values in query.items()}
        for name in ("client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"):
            record[name] = q.get(name)
        client_id, redirect_uri = q.get("client_id"), q.get("redirect_uri")
        if repeated:
            violation(f"[oauth] authorize: parameter(s) {', '.join(repeated)} given more than once")
            record["error"] = "invalid_request"
            return html_page(400, "Invalid OAuth2 request", f"Repeated parameter: {repeated[0]}.")
        if not client_id:
            violation("[oauth] authorize: no client_id")
            record["error"] = "invalid_client"
            return html_page(400, "Invalid OAuth2 client_id", "The authorization URL has no client_id.")
        app = self.applications.get(client_id)
        if app is None:
            record["error"] = "invalid_client"
            return html_page(400, "Unknown Application", "No application has this client_id.")
        if not redirect_uri:
            violation("[oauth] authorize: no redirect_uri")
            record["error"] = "invalid_request"
            return html_page(400, "Invalid OAuth2 redirect_uri", "The authorization URL has no redirect_uri.")
        if redirect_uri not in app.redirect_uris:
            record["error"] = "invalid_request"
            return html_page(
                400, "Invalid OAuth2 redirect_uri", "This redirect_uri is not registered for the application."
            )

        # From here on the redirect_uri is trusted: errors go back to it (RFC 6749 4.1.2.1).
        state = q.get("state")

        def back(params: dict[str, str]) -> Response:
            if state is not None:
                params["state"] = state
            separator = "&" if "?" in redirect_uri else "?"
            location = redirect_uri + separator + urlencode(params)
            record["location"] = location
            record["error"] = params.get("error")
            return Response(302, headers={"Location": location}, raw=b"", content_type="text/html; charset=utf-8")

        def refuse(error: str, description: str, problem: str | None = None) -> Response:
            if problem:
                violation(f"[oauth] authorize: {problem}")
            return back({"error": error, "error_description": description})

        response_type = q.get("response_type")
        if response_type is None:
            return refuse("invalid_request", "Missing \"response_type\"", "no response_type (must be code)")
        if response_type != "code":
            return refuse(
                "unsupported_response_type",
                f"Response type {response_type} is not supported",
                f"response_type {response_type[:20]!r} (the authorization-code grant needs code)",
            )
        scopes = list(dict.fromkeys((q.get("scope") or "").split()))
        if not scopes:
            return refuse("invalid_scope", "The requested scope is invalid, unknown, or malformed.", "no scope")
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            return refuse(
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed.",
                f"unknown scope(s) {' '.join(unknown)[:60]!r} (scopes are separated by spaces)",
            )
        other_flow = [s for s in scopes if s in OTHER_FLOW_SCOPES]
        if other_flow:
            return refuse(
                "invalid_scope",
                f"Scope {other_flow[0]} needs a flow this fake does not offer.",
                f"scope {other_flow[0]} is not for signing in",
            )
        if "identify" not in scopes:
            violation("[oauth] authorize: scope lacks identify (GET /users/@me needs it)")
        challenge, challenge_method = q.get("code_challenge"), q.get("code_challenge_method")
        if challenge_method is not None and challenge_method != "S256":
            return refuse(
                "invalid_request",
                "Invalid \"code_challenge_method\" (only S256 is supported)",
                f"code_challenge_method {challenge_method[:20]!r} (Discord supports S256 only)",
            )
        if challenge is not None and challenge_method is None:
            return refuse(
                "invalid_request",
                "Missing \"code_challenge_method\" (only S256 is supported)",
                "code_challenge without code_challenge_method=S256 (it would mean plain)",
            )
        if challenge_method is not None and challenge is None:
            return refuse(
                "invalid_request", "Missing \"code_challenge\"", "code_challenge_method without code_challenge"
            )
        if challenge is not None and not pkce_value_ok(challenge):
            return refuse(
                "invalid_request",
                "Invalid \"code_challenge\"",
                f"code_challenge of {len(challenge)} characters is not base64url of a SHA-256 (43 characters)",
            )
        prompt = q.get("prompt")
        if prompt is not None and prompt not in ("consent", "none"):
            return refuse("invalid_request", "Invalid \"prompt\"", f"prompt {prompt[:20]!r} (consent or none)")

        # The browser's user answers.
        if self.deny_next or self.signed_in is None:
            self.deny_next = False
            return back({"error": "access_denied", "error_description": ACCESS_DENIED})
        code = AuthorizationCode(
            code=self.make_secret(30),
            client_id=app.client_id,
            user_id=self.signed_in,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=challenge,
            grant_id=self.make_secret(16),
            expires_at=time.monotonic() + self.code_ttl,
        )
        self.codes[code.code] = code
        record["user_id"], record["code"] = code.user_id, code.code
        return back({"code": code.code})

    # ---- POST /oauth2/token and /oauth2/token/revoke ---------------------------------------------

    def _form(self, endpoint: str, headers: dict[str, str], body: bytes, record: dict) -> dict[str, str]:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            shown = content_type or "no Content-Type"
            if endpoint == TOKEN:  # what Discord answers: it finds no grant_type in a body it does not read
                raise oauth_error(
                    400,
                    "unsupported_grant_type",
                    "Grant type None is not supported",
                    f"[oauth] token: body sent as {shown}; the token URL takes application/x-www-form-urlencoded only",
                )
            raise invalid_request(
                "The request is not formatted correctly",
                f"[oauth] revoke: body sent as {shown}; it takes application/x-www-form-urlencoded only",
            )
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise invalid_request(
                "The request is not formatted correctly", f"[oauth] {endpoint}: body is not UTF-8"
            ) from None
        record["form"] = {name: values[-1] for name, values in parsed.items()}
        repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
        if repeated:
            raise invalid_request(
                f"Repeated parameter {repeated[0]}",
                f"[oauth] {endpoint}: parameter(s) {', '.join(repeated)} given more than once",
            )
        return record["form"]

    def _client(self, endpoint: str, headers: dict[str, str], form: dict[str, str], record: dict) -> Application:
        """RFC 6749 2.3.1: HTTP Basic (client_secret_basic) or client_id + client_secret in the body
        (client_secret_post), never both."""
        authorization = headers.get("authorization")
        basic: tuple[str, str] | None = None
        challenge: dict[str, str] = {}
        if authorization is not None:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "basic":
                raise oauth_error(
                    401,
                    "invalid_client",
                    violation=f"[oauth] {endpoint}: Authorization {scheme[:10]!r} is not Basic client authentication",
                )
            challenge = {"WWW-Authenticate": 'Basic realm="discord"'}
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if ":" not in decoded:
                raise oauth_error(
                    401,
                    "invalid_client",
                    violation=f"[oauth] {endpoint}: the Basic credentials are not base64 of id:secret",
                    headers=challenge,
                )
            raw_id, _, raw_secret = decoded.partition(":")
            basic = (unquote_plus(raw_id), unquote_plus(raw_secret))
        if basic is not None and "client_secret" in form:
            record["client_auth"] = "both"
            raise invalid_request(
                "Multiple client authentication methods",
                f"[oauth] {endpoint}: client authenticated by HTTP Basic and client_secret in the body at once",
            )
        if basic is not None:
            client_id, secret = basic
            record["client_auth"] = "client_secret_basic"
            if "client_id" in form and form["client_id"] != client_id:
                raise invalid_request(
                    "client_id does not match the authenticated client",
                    f"[oauth] {endpoint}: the body's client_id differs from the Basic credentials' one",
                )
        elif "client_id" in form:
            client_id, secret = form["client_id"], form.get("client_secret")
            record["client_auth"] = "client_secret_post" if secret is not None else "none"
        else:
            record["client_auth"] = None
            raise oauth_error(401, "invalid_client", violation=f"[oauth] {endpoint}: no client authentication")
        record["client_id"], record["client_secret"] = client_id, secret
        if secret is None:
            raise oauth_error(
                401,
                "invalid_client",
                violation=f"[oauth] {endpoint}: client_id without client_secret (a confidential client)",
            )
        app = self.applications.get(client_id)
        if app is None or not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            raise oauth_error(401, "invalid_client", headers=challenge)
        return app

    def token(self, method: str, headers: dict[str, str], body: bytes, record: dict) -> Response:
        if method != "POST":
            raise DiscordError(
                405,
                {"message": "405: Method Not Allowed", "code": 0},
                violation=f"[oauth] token: {method} (the token URL takes POST)",
            )
        form = self._form(TOKEN, headers, body, record)
        grant_type = form.get("grant_type")
        record["grant_type"] = grant_type
        if grant_type not in ("authorization_code", "refresh_token"):
            known = grant_type in ("client_credentials", "urn:ietf:params:oauth:grant-type:device_code")
            raise oauth_error(
                400,
                "unsupported_grant_type",
                f"Grant type {grant_type} is not supported",
                None if known else f"[oauth] token: grant_type {str(grant_type)[:30]!r}",
            )
        app = self._client(TOKEN, headers, form, record)
        if grant_type == "refresh_token":
            return self._refresh(app, form, record)
        return self._exchange(app, form, record)

    def _exchange(self, app: Application, form: dict[str, str], record: dict) -> Response:
        code_value = form.get("code")
        record.update(code=code_value, redirect_uri=form.get("redirect_uri"), code_verifier=form.get("code_verifier"))
        if not code_value:
            raise invalid_request('Missing "code" in request.', "[oauth] token: no code")
        code = self.codes.get(code_value)
        if code is None or code.client_id != app.client_id:
            raise invalid_grant("code")
        if code.used:
            self.revoke_grant(code.grant_id)  # OAuth 2.1 4.1.3: what the first use got is revoked
            raise invalid_grant("code", "[oauth] token: an authorization code was used a second time")
        if time.monotonic() >= code.expires_at:
            raise invalid_grant("code")
        redirect_uri = form.get("redirect_uri")
        if redirect_uri is None:
            raise invalid_request('Missing "redirect_uri" in request.', "[oauth] token: no redirect_uri")
        if redirect_uri != code.redirect_uri:
            raise invalid_grant(
                "redirect_uri", "[oauth] token: redirect_uri differs from the authorization request's"
            )
        verifier = form.get("code_verifier")
        if code.code_challenge is not None:
            if verifier is None:
                raise invalid_request(
                    'Missing "code_verifier" in request.',
                    "[oauth] token: no code_verifier, though the authorization request had a code_challenge",
                )
            if not pkce_value_ok(verifier) or not hmac.compare_digest(s256(verifier), code.code_challenge):
                raise invalid_grant("code_verifier", "[oauth] token: code_verifier does not match the code_challenge")
        elif verifier is not None:
            raise invalid_grant(
                "code_verifier",
                "[oauth] token: code_verifier sent, but the authorization request had no code_challenge",
            )
        code.used = True
        token = self._issue(app.client_id, code.user_id, code.scopes, code.grant_id)
        record["user_id"] = token.user_id
        return Response(200, self._token_body(token), dict(NO_STORE))

    def _refresh(self, app: Application, form: dict[str, str], record: dict) -> Response:
        value = form.get("refresh_token")
        if not value:
            raise invalid_request('Missing "refresh_token" in request.', "[oauth] token: no refresh_token")
        old = next((t for t in self.tokens if hmac.compare_digest(t.refresh_token, value)), None)
        if old is None or old.revoked or old.client_id != app.client_id:
            raise invalid_grant("refresh_token")
        scopes = old.scopes
        if form.get("scope"):
            wanted = list(dict.fromkeys(form["scope"].split()))
            if not set(wanted) <= set(old.scopes):
                raise oauth_error(
                    400,
                    "invalid_scope",
                    "The requested scope is invalid, unknown, or malformed.",
                    "[oauth] token: a refresh asked for scopes the authorization lacks",
                )
            scopes = wanted
        old.revoked = True  # Discord rotates: the old pair stops working
        token = self._issue(app.client_id, old.user_id, scopes, old.grant_id)
        record["user_id"] = token.user_id
        return Response(200, self._token_body(token), dict(NO_STORE))

    def revoke(self, method: str, headers: dict[str, str], body: bytes, record: dict) -> Response:
        if method != "POST":
            raise DiscordError(
                405,
                {"message": "405: Method Not Allowed", "code": 0},
                violation=f"[oauth] revoke: {method} (the revocation URL takes POST)",
            )
        form = self._form(REVOKE, headers, body, record)
        app = self._client(REVOKE, headers, form, record)
        value = form.get("token")
        if not value:
            raise invalid_request('Missing "token" in request.', "[oauth] revoke: no token")
        for token in self.tokens:
            if token.client_id == app.client_id and value in (token.access_token, token.refresh_token):
                self.revoke_grant(token.grant_id)  # docs: every token of that authorization goes
                record["user_id"] = token.user_id
                break
        return Response(200, {}, dict(NO_STORE))  # RFC 7009: unknown tokens are answered 200 as well
