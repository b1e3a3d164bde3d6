"""A gateway whose built-in Discord backend talks to the Discord fake, and an SDK client to drive it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx2
from mcp import Client

from discord_fake import DiscordFake
from gateway import Gateway
from mcp_helpers import MODERN, run_sdk_client
from oauth_helpers import obtain_tokens

CALL_TIMEOUT = 60
PREFIX = "discord__"


@dataclass
class Answer:
    """A tool's answer: its text, structuredContent and error flag."""

    text: str
    structured: dict
    is_error: bool

    def __str__(self) -> str:
        return f"{'ERROR ' if self.is_error else ''}{self.text}"


def discord_settings(fake: DiscordFake, **settings: str) -> dict[str, str]:
    """Gateway settings that point the default Discord backend at the fake."""
    env = {"DISCORD_BOT_TOKEN": fake.bot_token, "DISCORD_API_BASE_URL": fake.base_url}
    env.update({f"DISCORD_{key.upper()}": value for key, value in settings.items()})
    return env


@contextmanager
def discord_gateway(work: Path, fake: DiscordFake, name: str = "discord gateway", extra: dict | None = None,
                    **settings: str) -> Iterator["DiscordSetup"]:
    gw = Gateway(work, {**discord_settings(fake, **settings), **(extra or {})}, name=name)
    try:
        gw.start()
        with httpx2.Client(timeout=30, trust_env=False) as http:
            client, tokens = obtain_tokens(http, gw)
        yield DiscordSetup(gw, tokens["access_token"], client["client_id"], fake)
    finally:
        gw.stop()


@dataclass
class DiscordSetup:
    gw: Gateway
    token: str
    client_id: str
    fake: DiscordFake

    def run(self, body, mode: str = MODERN, **client_kw):
        """Runs `await body(session)` in one SDK client session; returns what it returns."""

        async def with_session(client: Client):
            return await body(Session(client))

        return run_sdk_client(self.gw, self.token, with_session, mode, CALL_TIMEOUT, **client_kw)

    def call(self, tool: str, mode: str = MODERN, **arguments) -> Answer:
        async def body(session):
            return await session.call(tool, **arguments)

        return self.run(body, mode)


class Session:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments) -> Answer:
        result = await self.client.call_tool(PREFIX + tool, arguments)
        text = "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")
        return Answer(text, result.structured_content or {}, bool(result.is_error))

    async def confirmed(self, tool: str, **arguments) -> Answer:
        """A destructive call the way a model makes it: the plan first, then again with its confirmation."""
        plan = await self.call(tool, **arguments)
        assert not plan.is_error, plan
        assert plan.structured.get("executed") is False and plan.structured.get("confirmation"), plan
        done = await self.call(tool, **arguments, confirmation=plan.structured["confirmation"])
        assert not done.is_error, done
        assert done.structured.get("executed") is True, done
        return done

    async def tools(self) -> list:
        tools, cursor = [], None
        while True:
            page = await self.client.list_tools(cursor=cursor) if cursor else await self.client.list_tools()
            tools += page.tools
            cursor = page.next_cursor
            if not cursor:
                return tools
