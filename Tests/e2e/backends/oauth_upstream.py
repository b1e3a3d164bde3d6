"""An OAuth-protected MCP upstream for testing a gateway that is an OAuth client on behalf of several users.

Built on the MCP Python SDK (mcp 2.x): MCPServer + mcp.server.auth (AS routes, DCR, revocation, RFC 8414 and
RFC 9728 metadata, bearer middleware). This file adds the provider (in-memory clients/codes/tokens), a
login step that auto-approves (`login_hint=<user>` on /authorize, or a tiny HTML form at /login), static
clients, client ID metadata documents (CIMD), an admin side channel and hostile metadata modes.

    python oauth_upstream.py --port 0 [--no-dcr] [--static-client ID:SECRET[:REDIRECT_URI]]... [--cimd]
        [--access-ttl S] [--refresh-ttl S] [--strict-resource] [--issuer-mismatch [ISSUER]]
        [--private-authorize URL] [--redirect-loop [as|prm|both]] [--huge-metadata [as|prm|both]]

Prints `LISTENING http://127.0.0.1:<port>` on stdout once it accepts connections.
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import html
import secrets
import socket
import sys
import time
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlparse

import uvicorn
from pydantic import AnyHttpUrl, AnyUrl
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mcp.server.auth.json_response import PydanticJSONResponse
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (AccessToken, AuthorizationCode, AuthorizationParams, AuthorizeError,
                                      RefreshToken, construct_redirect_uri)
from mcp.server.auth.routes import build_metadata, build_resource_metadata_url
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken, ProtectedResourceMetadata

try:
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

SCOPE = "mcp"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Per-request facts the SDK handlers do not pass to the provider (query string, client auth method used).
REQ: contextvars.ContextVar[dict] = contextvars.ContextVar("req", default={})
EVENTS: list[dict] = []
ISSUED: list[str] = []


def log(kind: str, /, **fields: Any) -> None:
    EVENTS.append({"seq": len(EVENTS), "time": time.time(), "type": kind, **fields})


class StaticClient(OAuthClientInformationFull):
    """A pre-registered client; with no registered redirect URI it accepts whatever redirect_uri is sent."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        if self.redirect_uris or redirect_uri is None:
            return super().validate_redirect_uri(redirect_uri)
        return redirect_uri


class Provider:
    """OAuthAuthorizationServerProvider: all state in memory, users identified by login_hint / form."""

    def __init__(self, args: argparse.Namespace, base: str) -> None:
        self.args, self.base, self.resource = args, base, base + "/mcp"
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.pending: dict[str, tuple[OAuthClientInformationFull, AuthorizationParams]] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.pair: dict[str, str] = {}  # access <-> refresh, both directions
        for spec in args.static_client or []:
            cid, secret, *redirect = spec.split(":", 2)
            self.clients[cid] = StaticClient(client_id=cid, client_secret=secret, scope=SCOPE,
                                             token_endpoint_auth_method="client_secret_post",
                                             redirect_uris=[AnyUrl(redirect[0])] if redirect else None)

    # -- clients -------------------------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        client = self.clients.get(client_id)
        if client is None and self.args.cimd and client_id.startswith(("https://", "http://")):
            client = await self.fetch_cimd(client_id)
        if client is not None and client.client_secret:
            # Accept client_secret_post and client_secret_basic alike (Front turns Basic into form fields).
            client = client.model_copy(update={"token_endpoint_auth_method": "client_secret_post"})
        return client

    async def fetch_cimd(self, url: str) -> OAuthClientInformationFull | None:
        parsed = urlparse(url)
        problem, doc = None, {}
        if parsed.scheme == "http" and parsed.hostname not in LOOPBACK:
            problem = "http client_id only allowed on loopback"
        elif parsed.path in ("", "/") or parsed.fragment:
            problem = "client_id URL needs a path and no fragment"
        else:
            try:
                async with httpx.AsyncClient(follow_redirects=False, timeout=5.0) as http:
                    r = await http.get(url, headers={"Accept": "application/json"})
                if r.status_code != 200 or len(r.content) > 65536:
                    problem = f"status {r.status_code}, {len(r.content)} bytes"
                else:
                    doc = r.json()
            except Exception as e:  # noqa: BLE001
                problem = f"fetch failed: {e!r}"
        if not problem:
            if not isinstance(doc, dict) or doc.get("client_id") != url:
                problem = "document client_id does not equal its URL"
            elif not doc.get("redirect_uris"):
                problem = "document has no redirect_uris"
            elif doc.get("token_endpoint_auth_method", "none") != "none" or "client_secret" in doc:
                problem = "only public (token_endpoint_auth_method=none) documents are supported"
        log("cimd_fetch", client_id=url, ok=problem is None, problem=problem, document=doc or None)
        if problem:
            return None
        try:
            return OAuthClientInformationFull(
                client_id=url, redirect_uris=doc["redirect_uris"], token_endpoint_auth_method="none", scope=SCOPE,
                grant_types=doc.get("grant_types") or ["authorization_code", "refresh_token"],
                client_name=doc.get("client_name"))
        except Exception as e:  # noqa: BLE001
            log("cimd_fetch", client_id=url, ok=False, problem=f"invalid document: {e}")
            return None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.clients[client_info.client_id] = client_info
        log("registration", client_id=client_info.client_id, client_name=client_info.client_name,
            redirect_uris=[str(u) for u in client_info.redirect_uris or []],
            token_endpoint_auth_method=client_info.token_endpoint_auth_method,
            grant_types=client_info.grant_types, scope=client_info.scope)

    # -- authorization ----------------------------------------------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if self.args.strict_resource and (params.resource or "").rstrip("/") != self.resource:
            raise AuthorizeError("invalid_target", f"resource must be {self.resource}")
        hint = REQ.get().get("query", {}).get("login_hint")
        if hint:
            return self.approve(client, params, hint, via="login_hint")
        txn = secrets.token_urlsafe(16)
        self.pending[txn] = (client, params)
        return f"{self.base}/login?{urlencode({'txn': txn})}"

    def approve(self, client: OAuthClientInformationFull, params: AuthorizationParams, user: str, via: str) -> str:
        code = secrets.token_urlsafe(32)
        scopes = params.scopes or (client.scope or SCOPE).split()
        self.codes[code] = AuthorizationCode(
            code=code, scopes=scopes, expires_at=time.time() + 300, client_id=client.client_id,
            code_challenge=params.code_challenge, redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource, subject=user)
        log("authorization", user=user, client_id=client.client_id, resource=params.resource, scopes=scopes,
            redirect_uri=str(params.redirect_uri), state=params.state, via=via)
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(self, client: OAuthClientInformationFull, code: str) -> AuthorizationCode | None:
        return self.codes.get(code)

    async def exchange_authorization_code(self, client: OAuthClientInformationFull,
                                          code: AuthorizationCode) -> OAuthToken:
        self.codes.pop(code.code, None)  # single use
        token = self.issue(client.client_id, code.scopes, code.subject, code.resource)
        log("token", grant="authorization_code", user=code.subject, client_id=client.client_id,
            resource=code.resource, auth_method=REQ.get().get("auth_method"), access_token=token.access_token[:8])
        return token

    def issue(self, client_id: str, scopes: list[str], user: str | None, resource: str | None) -> OAuthToken:
        at, rt, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), int(time.time())
        self.access[at] = AccessToken(token=at, client_id=client_id, scopes=scopes, subject=user, resource=resource,
                                      expires_at=now + self.args.access_ttl)
        self.refresh[rt] = RefreshToken(token=rt, client_id=client_id, scopes=scopes, subject=user, resource=resource,
                                        expires_at=now + self.args.refresh_ttl if self.args.refresh_ttl else None)
        self.pair[at], self.pair[rt] = rt, at
        ISSUED.extend([at, rt])
        return OAuthToken(access_token=at, expires_in=self.args.access_ttl, scope=" ".join(scopes), refresh_token=rt)

    # -- refresh / access / revocation ------------------------------------------------------------------------
    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        found = self.refresh.get(refresh_token)
        if found is None:
            log("refresh_rejected", client_id=client.client_id, refresh_token=refresh_token[:8])
        return found

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken,
                                     scopes: list[str]) -> OAuthToken:
        self.refresh.pop(refresh_token.token, None)  # rotation: the old refresh token is dead from now on
        self.pair.pop(refresh_token.token, None)      # (the access token it came with stays valid until expiry)
        token = self.issue(client.client_id, scopes, refresh_token.subject, refresh_token.resource)
        log("refresh", user=refresh_token.subject, client_id=client.client_id, resource=refresh_token.resource,
            auth_method=REQ.get().get("auth_method"), old_refresh_token=refresh_token.token[:8],
            access_token=token.access_token[:8])
        return token

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.access.get(token)
        if found is None or (found.expires_at and found.expires_at < time.time()):
            log("token_rejected", reason="unknown or revoked" if found is None else "expired", token=token[:8])
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken, source: str = "rfc7009") -> None:
        other = self.pair.pop(token.token, None)
        for t in (token.token, other):
            if t:
                self.access.pop(t, None), self.refresh.pop(t, None), self.pair.pop(t, None)
        log("revocation", source=source, user=token.subject, client_id=token.client_id,
            kind="access" if isinstance(token, AccessToken) else "refresh", token=token.token[:8])

    def user_tokens(self, user: str) -> list[AccessToken | RefreshToken]:
        return [t for t in [*self.access.values(), *self.refresh.values()] if t.subject == user]


class Front:
    """Outermost ASGI layer: records per-request facts for the provider, lets client_secret_basic work for every
    confidential client (the SDK's ClientAuthenticator wants client_id in the form and one fixed auth method),
    and logs 401/403 answers on /mcp."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ctx = {"query": dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))}
        REQ.set(ctx)
        path, headers = scope["path"], {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path in ("/token", "/revoke") and scope["method"] == "POST":
            body, more = b"", True
            while more:
                message = await receive()
                body, more = body + message.get("body", b""), message.get("more_body", False)
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            auth = headers.get("authorization", "")
            ctx["auth_method"] = "client_secret_post" if form.get("client_secret") else "none"
            if auth[:6].lower() == "basic ":
                ctx["auth_method"] = "client_secret_basic"
                try:
                    cid, secret = base64.b64decode(auth[6:]).decode().split(":", 1)
                    form.setdefault("client_id", unquote_plus(cid))
                    form.setdefault("client_secret", unquote_plus(secret))
                    body = urlencode(form).encode()
                except ValueError:
                    pass  # leave the request as it was; the SDK rejects it
                scope = dict(scope, headers=[(k, v) for k, v in scope["headers"]
                                             if k.lower() not in (b"authorization", b"content-length")]
                             + [(b"content-length", str(len(body)).encode())])
            if path == "/revoke" and "client_secret" not in form:
                # RFC 7009 lets a public client send its client_id alone; this SDK's revocation form demands a
                # client_secret field, so an empty one (RFC 6749 §3.1: the same as absent) is put in its place.
                form["client_secret"] = ""
                body = urlencode(form).encode()
                scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
                             + [(b"content-length", str(len(body)).encode())])
            replayed = False
            async def receive_body() -> dict:  # noqa: E306
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()
            return await self.app(scope, receive_body, send)
        if path == "/mcp":
            async def watch(message: dict) -> None:
                if message["type"] == "http.response.start" and message["status"] in (401, 403):
                    log("mcp_rejected", status=message["status"], had_token="authorization" in headers)
                await send(message)
            return await self.app(scope, receive, watch)
        return await self.app(scope, receive, send)


def build_app(args: argparse.Namespace, base: str) -> tuple[Any, Provider]:
    provider = Provider(args, base)
    dcr = ClientRegistrationOptions(enabled=not args.no_dcr, valid_scopes=[SCOPE], default_scopes=[SCOPE])
    revocation = RevocationOptions(enabled=True)
    auth = AuthSettings(issuer_url=base, resource_server_url=provider.resource,  # str keeps "no trailing slash"
                        required_scopes=[SCOPE], client_registration_options=dcr, revocation_options=revocation,
                        validate_token_resource=args.strict_resource)
    server = MCPServer("oauth-upstream", auth_server_provider=provider, auth=auth, log_level="WARNING")

    def caller() -> tuple[str | None, str | None]:
        token = get_access_token()
        return (token.subject, token.client_id) if token else (None, None)

    @server.tool(description="The identity of the user whose token made this call.")
    def whoami() -> str:
        user, client_id = caller()
        log("tool_call", tool="whoami", user=user, client_id=client_id, arguments={})
        return f"user={user}"

    @server.tool(description="Echo the text back.")
    def echo(text: str) -> str:
        user, client_id = caller()
        log("tool_call", tool="echo", user=user, client_id=client_id, arguments={"text": text})
        return text

    @server.custom_route("/login", methods=["GET", "POST"])
    async def login(request: Request) -> Response:
        data = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        pending = provider.pending.get(data.get("txn", ""))
        if pending is None:
            return JSONResponse({"error": "invalid_request", "error_description": "unknown txn"}, status_code=400)
        client, params = pending
        user = data.get("username") or data.get("login_hint")
        if request.method == "POST" and data.get("action") == "deny":
            provider.pending.pop(data["txn"], None)
            log("authorization_denied", client_id=client.client_id, resource=params.resource)
            return RedirectResponse(construct_redirect_uri(str(params.redirect_uri), error="access_denied",
                                                           state=params.state), status_code=302)
        if user:
            provider.pending.pop(data["txn"], None)
            return RedirectResponse(provider.approve(client, params, user, via="form"), status_code=302)
        e = html.escape
        return HTMLResponse(
            f"<!doctype html><html><head><title>Upstream sign-in</title></head><body><h1>Upstream sign-in</h1>"
            f"<p>Client <code>{e(client.client_name or client.client_id)}</code> asks for "
            f"<code>{e(' '.join(params.scopes or [SCOPE]))}</code> on <code>{e(params.resource or '-')}</code>.</p>"
            f'<form method="post" action="/login"><input type="hidden" name="txn" value="{e(data["txn"])}">'
            f'<label>Username <input name="username" id="username" autofocus required></label> '
            f'<button type="submit" name="action" value="approve" id="approve">Sign in</button> '
            f'<button type="submit" name="action" value="deny" id="deny" formnovalidate>Deny</button>'
            f"</form></body></html>")

    @server.custom_route("/admin/revoke", methods=["POST"])
    async def admin_revoke(request: Request) -> Response:
        user = request.query_params.get("user", "")
        tokens = provider.user_tokens(user)
        for t in tokens:
            if t.token in provider.access or t.token in provider.refresh:  # its pair may be gone already
                await provider.revoke_token(t, source="admin")
        for code in [c for c, v in provider.codes.items() if v.subject == user]:
            provider.codes.pop(code)
        return JSONResponse({"user": user, "revoked": len(tokens)})

    @server.custom_route("/admin/expire", methods=["POST"])
    async def admin_expire(request: Request) -> Response:
        user = request.query_params.get("user", "")
        expired = [t for t in provider.access.values() if t.subject == user]
        for t in expired:
            t.expires_at = int(time.time()) - 1
        log("expire", source="admin", user=user, count=len(expired))
        return JSONResponse({"user": user, "expired": len(expired)})

    @server.custom_route("/admin/tokens", methods=["GET"])
    async def admin_tokens(request: Request) -> Response:
        """Every token ever issued (whole), so a test can look for them where they must not be."""
        return JSONResponse({"tokens": ISSUED})

    @server.custom_route("/admin/log", methods=["GET"])
    async def admin_log(request: Request) -> Response:
        return JSONResponse({"events": EVENTS[int(request.query_params.get("since", 0)):]})

    app = server.streamable_http_app(stateless_http=True, json_response=True, host=args.host)

    # Hostile and CIMD variants of the metadata documents replace the SDK's routes (first match wins).
    def hostile(which: str | None, doc: str) -> bool:
        return which in (doc, "both")

    def serve(model: Any, doc: str):
        async def handler(request: Request) -> Response:
            if hostile(args.redirect_loop, doc):
                return RedirectResponse(str(request.url), status_code=302)
            if hostile(args.huge_metadata, doc):
                body = model.model_dump(mode="json", exclude_none=True)
                body["x_padding"] = "x" * (5 * 1024 * 1024)
                return JSONResponse(body)
            return PydanticJSONResponse(content=model)
        return handler

    as_meta = build_metadata(auth.issuer_url, None, dcr, revocation)
    if args.cimd:
        as_meta.client_id_metadata_document_supported = True
    if args.issuer_mismatch:
        as_meta.issuer = AnyHttpUrl(args.issuer_mismatch)
    if args.private_authorize:
        as_meta.authorization_endpoint = AnyHttpUrl(args.private_authorize)
    if args.cimd or args.issuer_mismatch or args.private_authorize or args.redirect_loop or args.huge_metadata:
        app.router.routes.insert(0, Route("/.well-known/oauth-authorization-server", serve(as_meta, "as")))
    if args.redirect_loop or args.huge_metadata:
        prm = ProtectedResourceMetadata(resource=auth.resource_server_url, authorization_servers=[auth.issuer_url],
                                        scopes_supported=[SCOPE])
        prm_path = urlparse(str(build_resource_metadata_url(auth.resource_server_url))).path
        app.router.routes.insert(0, Route(prm_path, serve(prm, "prm")))
    return Front(app), provider


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the LISTENING line)")
    p.add_argument("--no-dcr", action="store_true", help="no RFC 7591 registration endpoint")
    p.add_argument("--static-client", action="append", metavar="ID:SECRET[:REDIRECT_URI]",
                   help="pre-registered confidential client; without REDIRECT_URI any redirect_uri is accepted")
    p.add_argument("--cimd", action="store_true", help="accept URL client_ids (client ID metadata documents)")
    p.add_argument("--access-ttl", type=int, default=3600, metavar="SECONDS")
    p.add_argument("--refresh-ttl", type=int, default=0, metavar="SECONDS", help="0: refresh tokens never expire")
    p.add_argument("--strict-resource", action="store_true",
                   help=f"require resource=<base>/mcp at /authorize and refuse tokens bound to another resource")
    p.add_argument("--issuer-mismatch", nargs="?", const="https://issuer.invalid", metavar="ISSUER")
    p.add_argument("--private-authorize", metavar="URL", help="advertise this authorization_endpoint")
    p.add_argument("--redirect-loop", nargs="?", const="both", choices=["as", "prm", "both"])
    p.add_argument("--huge-metadata", nargs="?", const="both", choices=["as", "prm", "both"])
    args = p.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    base = f"http://{'[' + args.host + ']' if family == socket.AF_INET6 else args.host}:{port}"
    app, _ = build_app(args, base)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    startup = server.startup

    async def announce(sockets: Any = None) -> None:
        await startup(sockets=sockets)
        print(f"LISTENING {base}", flush=True)
    server.startup = announce  # type: ignore[method-assign]  # print only once the socket accepts
    server.run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
