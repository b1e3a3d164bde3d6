"""One request through the fake, in the order Discord applies its rules:

OAuth2 endpoints (oauth.py: served apart, they are not in the spec) ->
path under /api/v10 -> User-Agent -> route -> Authorization -> rate limits (global, bucket, forced 429s)
-> X-Audit-Log-Reason -> JSON body -> OpenAPI spec -> snowflake path ids -> the route's handler.

Authorization is `Bot <token>`, or `Bearer <user access token>` on the few routes of oauth.USER_ROUTES only
(with the scope each needs); a Bearer token anywhere else is refused 401, as Discord refuses it.

Every request is recorded; every client mistake is added to `violations` with a [kind] prefix.
Runs under the fake's lock.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import TYPE_CHECKING, Any

from . import checks, errors, oauth, templates
from .context import Context, Request
from .errors import DiscordError
from .rate_limits import major_parameter
from .route_table import all_routes
from .routing import Response

if TYPE_CHECKING:
    from .fake import DiscordFake

API_PREFIX = "/api/v10/"
SNOWFLAKE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class Dispatcher:
    def __init__(self, fake: DiscordFake) -> None:
        self.fake = fake
        self._routes = [(r.parts, r) for r in all_routes()]

    def handle(self, request: Request) -> Response:
        fake = self.fake
        record: dict[str, Any] = {
            "method": request.method,
            "path": request.path.split("?")[0],
            "query": request.query,
            "headers": request.headers,
            "json": request.json,
            "body": request.body,
            "time": time.monotonic(),
            "template": None,
            "operation_id": None,
            "status": None,
            "auth": None,  # "bot" or "bearer" once the Authorization header was accepted as one
        }
        fake.requests.append(record)
        try:
            response = self._handle(request, record)
        except DiscordError as failure:
            if failure.violation:
                self.violation(failure.violation, request)
            response = Response(failure.status, failure.body, failure.headers)
        record["status"] = response.status
        if "endpoint" in record:
            if isinstance(response.body, dict) and "error" in response.body:
                record["error"] = response.body["error"]
            record["response"] = response.body
        if response.status in (401, 403) or (response.status == 429 and record.get("rate_limit_scope") != "shared"):
            fake.invalid_request_count += 1
        return response

    def violation(self, text: str, request: Request) -> None:
        self.fake.violations.append(f"{text} ({request.method} {request.path.split('?')[0]})")

    def _oauth(self, endpoint: str, request: Request, record: dict) -> Response:
        """/oauth2/authorize, /api/oauth2/token and /api/oauth2/token/revoke (with or without /v10)."""
        fake = self.fake
        record.update(endpoint=endpoint, template=oauth.TEMPLATES[endpoint], user_id=None, error=None)
        fake.oauth.records.append(record)

        def violation(text: str) -> None:
            self.violation(text, request)

        if endpoint == oauth.AUTHORIZE:  # a page in the user's browser: no rate limit headers
            return fake.oauth.authorize(request.method, request.query, record, violation)
        decision = fake.limiter.admit(
            request.method, record["template"], "", time.monotonic(), time.time(), bot_request=False
        )
        record["rate_limit_scope"] = decision.scope
        if decision.past_limit:
            fake.past_limit_count += 1
        if decision.refused is not None:
            problem = f"[rate-limit] sent past the limit: {decision.reason}" if decision.past_limit else None
            raise DiscordError(429, decision.refused, violation=problem, headers=decision.headers)
        handler = fake.oauth.token if endpoint == oauth.TOKEN else fake.oauth.revoke
        try:
            response = handler(request.method, request.headers, request.body, record)
        except DiscordError as failure:
            failure.headers = {**decision.headers, **failure.headers}
            raise
        response.headers = {**decision.headers, **(response.headers or {})}
        return response

    def _bearer(self, request: Request, route, authorization: str, record: dict):
        """The user token of `Authorization: Bearer ...`, if this route takes one and the token may call it."""
        fake = self.fake
        credential = authorization.partition(" ")[2].strip()
        if credential == fake.bot_token:
            raise errors.unauthorized("[auth] Authorization uses 'Bearer'; a bot token goes as 'Bot <token>'")
        token = fake.oauth.access_token(credential) if credential else None
        record["user_id"] = token.user_id if token else None
        key = (request.method, route.template)
        if key not in oauth.USER_ROUTES:
            raise errors.unauthorized(
                f"[auth] a Bearer (user OAuth2) token was sent to {request.method} {route.template}, a bot route: "
                "it takes 'Bot <token>'"
            )
        fake.oauth.records.append(record)
        record["endpoint"] = route.template.lstrip("/")
        if token is None or not token.active():
            raise errors.unauthorized(None)  # unknown, expired or revoked: the world's doing
        scope = oauth.USER_ROUTES[key]
        if scope is not None and scope not in token.scopes:
            raise errors.unauthorized(
                f"[auth] {request.method} {route.template} needs the {scope} scope; the token lacks it"
            )
        record["auth"] = "bearer"
        return token

    def _handle(self, request: Request, record: dict) -> Response:
        fake = self.fake
        endpoint = oauth.ENDPOINTS.get(request.raw_path.split("?")[0])
        if endpoint is not None:
            return self._oauth(endpoint, request, record)
        if not request.raw_path.startswith(API_PREFIX):
            raise errors.not_found(f"[http] path is not under {API_PREFIX}")
        if any(ord(c) > 126 or c in " \t" for c in request.raw_path):
            self.violation("[http] the path is not percent-encoded", request)

        problem = checks.user_agent_problem(request.headers.get("user-agent"))
        if problem:
            raise DiscordError(
                400,
                {
                    "message": "400: Bad Request (bots must send 'User-Agent: DiscordBot ($url, $versionNumber)')",
                    "code": 0,
                },
                violation=f"[user-agent] {problem}",
            )

        # ---- route: the fake's handler, and the spec's operation ----
        segments = request.segments
        found = templates.best(((parts, r) for parts, r in self._routes if r.method == request.method), segments)
        spec = fake.spec
        spec_template = spec.match_path(segments) if spec else None
        operation = spec.operation(request.method, spec_template[0]) if spec and spec_template else None
        if found is None:
            if spec and spec_template is None:
                raise errors.not_found("[openapi] no such path in Discord's API")
            if spec and operation is None:
                raise DiscordError(
                    405,
                    {"message": "405: Method Not Allowed", "code": 0},
                    violation=f"[openapi] {request.method} is not an operation of {spec_template[0]}",
                )
            fake.unhandled.append(f"{request.method} {record['path']}")
            raise errors.not_found()
        route, params = found
        record["template"] = route.template
        record["operation_id"] = operation.operation_id if operation else None
        if spec and operation is None:
            # The fake serves something the spec doesn't have: a bug of the fake, reported all the same.
            self.violation(f"[openapi] {request.method} {route.template} is not in the spec", request)

        # ---- authorization: webhook-token routes need none, but a given one must be right ----
        authorization = request.headers.get("authorization")
        bot_request = False
        major = major_parameter(segments)
        if authorization is not None and authorization.partition(" ")[0].lower() == "bearer":
            request.user_token = self._bearer(request, route, authorization, record)
            # A user's token has its own rate limit state, apart from the bot's (and from other users').
            major = "bearer:" + hashlib.sha1(request.user_token.access_token.encode()).hexdigest()[:16]
        elif "{webhook_token}" not in route.template or authorization is not None:
            problem = checks.authorization_problem(authorization, fake.bot_token)
            if problem:
                raise errors.unauthorized(f"[auth] {problem}")
            bot_request = True
            record["auth"] = "bot"

        # ---- rate limits ----
        decision = fake.limiter.admit(
            request.method, route.template, major, time.monotonic(), time.time(), bot_request
        )
        record["rate_limit_scope"] = decision.scope
        if decision.past_limit:
            fake.past_limit_count += 1
        if decision.refused is not None:
            violation = f"[rate-limit] sent past the limit: {decision.reason}" if decision.past_limit else None
            raise DiscordError(429, decision.refused, violation=violation, headers=decision.headers)
        try:
            return self._answer(request, route, params, operation, record, decision.headers)
        except DiscordError as failure:
            failure.headers = {**decision.headers, **failure.headers}
            raise

    def _answer(self, request: Request, route, params: dict, operation, record: dict, headers: dict) -> Response:
        fake = self.fake
        operation_id = operation.operation_id if operation else route.handler.__name__

        raw_reason = request.headers.get("x-audit-log-reason")
        if raw_reason is not None:
            request.reason, problem = checks.decode_reason(raw_reason)
            if problem:
                raise DiscordError(
                    400,
                    {"message": "400: Bad Request (X-Audit-Log-Reason)", "code": 0},
                    violation=f"[audit-reason] {problem}",
                )

        if request.body_present:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise DiscordError(
                    400,
                    {"message": "400: Bad Request", "code": 0},
                    violation=f"[http] body sent with Content-Type {content_type or 'missing'!r}",
                )
            try:
                request.json = json.loads(request.body)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise DiscordError(
                    400,
                    {"message": "The request body contains invalid JSON.", "code": 50109},
                    violation="[http] the body is not valid JSON",
                ) from None
            record["json"] = request.json

        if operation is not None:
            problems, notes = fake.spec.check_request(
                operation, params, request.query, request.body_present, request.json
            )
            for note in notes:
                self.violation(f"[openapi] {note}", request)
            if problems:
                tree: dict = {}
                for problem in problems:
                    errors.errors_tree(problem.path, problem.code, problem.message, tree)
                raise errors.form_error(tree, violation="[openapi] " + "; ".join(p.text for p in problems[:3]))

        for name, value in params.items():
            if name.endswith("_id") and not SNOWFLAKE.match(value):
                raise errors.field_error(
                    [name],
                    "NUMBER_TYPE_COERCE",
                    f'Value "{value[:40]}" is not snowflake.',
                    violation=f"[limit] {operation_id}: path {name} {value[:40]!r} is not a snowflake",
                )

        context = Context(fake.world, request, params, operation_id, extra={"oauth": fake.oauth})
        response = route.handler(context)
        response.headers = {**headers, **(response.headers or {})}
        return response
