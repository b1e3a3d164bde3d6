"""The fake's route table: handlers register themselves with `@route(method, template)`.

Templates use the OpenAPI spec's parameter names, so a route is found in the spec by its exact template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .templates import split_template

if TYPE_CHECKING:
    from .context import Context


@dataclass
class Response:
    """An answer: `body` goes out as JSON, unless `raw` is set (then `raw` goes out as `content_type`)."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None
    raw: bytes | None = None
    content_type: str = "application/json"


Handler = Callable[["Context"], Response]


@dataclass
class Route:
    method: str
    template: str
    parts: list[str]
    handler: Handler


ROUTES: list[Route] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, template, split_template(template), handler))
        return handler

    return register


def ok(body: Any, status: int = 200) -> Response:
    return Response(status, body)


def no_content() -> Response:
    return Response(204)
