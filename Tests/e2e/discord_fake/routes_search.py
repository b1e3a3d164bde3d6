"""Guild message search (GET /guilds/{guild_id}/messages/search); DiscordFake.disable_guild_search() turns it off."""

from __future__ import annotations

from . import errors
from .context import Context
from .routes_messages import render
from .routing import Response, ok, route
from .world import THREAD_TYPES


@route("GET", "/guilds/{guild_id}/messages/search")
def guild_search(ctx: Context) -> Response:
    guild = ctx.guild()
    gid = guild["id"]
    if not ctx.world.guild_search_enabled:
        raise errors.missing_access()
    ctx.require(gid, "READ_MESSAGE_HISTORY")
    limit = ctx.query_int("limit", 25, 1, 25)
    offset = ctx.query_int("offset", 0, 0, 9975)
    content = (ctx.query("content") or "").lower().split()
    authors = set(ctx.query_list("author_id"))
    channels = set(ctx.query_list("channel_id"))
    mentions = set(ctx.query_list("mentions"))
    author_types = set(ctx.query_list("author_type"))  # user, bot, webhook; "-bot" excludes
    wanted_types = {t for t in author_types if not t.startswith("-")}
    pinned = ctx.query_bool("pinned") if ctx.query("pinned") is not None else None
    min_id, max_id = ctx.query_snowflake("min_id"), ctx.query_snowflake("max_id")
    world = ctx.world
    found = []
    for channel in world.guild_channels(gid, threads=True):
        if channels and channel["id"] not in channels:
            continue
        for message in world.messages.get(channel["id"], []):
            text = message["content"].lower()
            kind = "webhook" if message.get("webhook_id") else "bot" if message["author"].get("bot") else "user"
            if (
                all(word in text for word in content)
                and (not authors or message["author"]["id"] in authors)
                and (not mentions or mentions & {u["id"] for u in message["mentions"]})
                and (not wanted_types or kind in wanted_types)
                and f"-{kind}" not in author_types
                and (pinned is None or message["pinned"] == pinned)
                and (min_id is None or int(message["id"]) > int(min_id))
                and (max_id is None or int(message["id"]) < int(max_id))
            ):
                found.append(message)
    descending = ctx.query("sort_order") != "asc"
    found.sort(key=lambda m: int(m["id"]), reverse=descending)
    page = found[offset : offset + limit]
    thread_ids = {m["channel_id"] for m in page if world.channels[m["channel_id"]]["type"] in THREAD_TYPES}
    return ok(
        {
            "messages": [[{**render(ctx, m), "hit": True}] for m in page],
            "total_results": len(found),
            "doing_deep_historical_index": False,
            "threads": [world.channels[t] for t in thread_ids],
            "members": [],
        }
    )
