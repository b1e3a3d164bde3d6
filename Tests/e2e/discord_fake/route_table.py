"""Every route module, imported so that its `@route` handlers register themselves in routing.ROUTES."""

from __future__ import annotations

from . import (  # noqa: F401 (imported for the routes they register)
    routes_channels,
    routes_events,
    routes_guilds,
    routes_invites,
    routes_members,
    routes_messages,
    routes_pins,
    routes_reactions,
    routes_roles,
    routes_search,
    routes_threads,
    routes_users,
    routes_webhooks,
)
from .routing import ROUTES, Route


def all_routes() -> list[Route]:
    return list(ROUTES)
