"""A FastMCP backend for the end-to-end suite.

python fixture_server.py --name NAME [--transport http|sse|stdio] [--port N] [--handshake-only]
                         [--many-tools N] [--marker-dir DIR]

Tools: echo, add, search (every fixture has it: a name collision), slow (progress; writes a marker when it
completes or is cancelled), ask_name (elicitation in both eras), headers (what the HTTP request carried), and one
tool whose name is 70 characters long. A resource res://<name>/greeting, a template res://<name>/items/{item} and a
prompt greet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import mcp_types
from fastmcp import Context, FastMCP
from fastmcp.server.dependencies import get_http_headers
from fastmcp.tools import Tool
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import Field

LONG_TOOL_NAME = "a_deliberately_long_tool_name_that_takes_the_prefixed_name_past_64_chr"
assert len(LONG_TOOL_NAME) == 70

args_parser = argparse.ArgumentParser()
args_parser.add_argument("--name", required=True)
args_parser.add_argument("--transport", default="http", choices=["http", "sse", "stdio"])
args_parser.add_argument("--port", type=int, default=0)
args_parser.add_argument("--handshake-only", action="store_true")
args_parser.add_argument("--many-tools", type=int, default=0)
args_parser.add_argument("--marker-dir", default="")
args = args_parser.parse_args()

mcp = FastMCP(args.name, version="1.0.0", instructions=f"fixture backend {args.name}",
              list_page_size=50 if args.many_tools else None)


def is_modern(ctx: Context) -> bool:
    rc = ctx.request_context
    return rc is not None and rc.protocol_version in MODERN_PROTOCOL_VERSIONS


@mcp.tool(annotations={"readOnlyHint": True})
def echo(text: str) -> str:
    """Echo the text back, with the backend's name."""
    return f"{args.name}: {text}"


@mcp.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@mcp.tool
def search(query: str) -> str:
    """Every fixture has this tool, so two backends expose the same name."""
    return f"{args.name} searched {query}"


@mcp.tool
def region_echo(
    city: str,
    region: Annotated[str, Field(description="Routing region", json_schema_extra={"x-mcp-header": "Region"})],
) -> str:
    """A tool with an x-mcp-header argument."""
    return f"{city}@{region}"


@mcp.tool
async def slow(seconds: float, ctx: Context, tag: str = "") -> str:
    """Reports progress in steps, then finishes. Writes <marker-dir>/<tag>.marker: completed or cancelled."""
    marker = Path(args.marker_dir) / f"{tag or 'slow'}.marker" if args.marker_dir else None
    steps = 4
    try:
        for i in range(steps):
            await ctx.report_progress(progress=i + 1, total=steps, message=f"step {i + 1}/{steps}")
            await asyncio.sleep(seconds / steps)
        if marker:
            marker.write_text("completed")
        return "done"
    except asyncio.CancelledError:
        if marker:
            marker.write_text("cancelled")
        raise


@mcp.tool
async def ask_name(ctx: Context) -> str | mcp_types.InputRequiredResult:
    """Asks the user for a name: a server request in the handshake era, input_required in 2026-07-28."""
    if not is_modern(ctx):
        answer = await ctx.elicit("What is your name?", response_type=str)
        return f"{answer.action}:{getattr(answer, 'data', None)}"
    answers = ctx.input_responses
    if not answers or "name" not in answers:
        return mcp_types.InputRequiredResult(
            input_requests={"name": mcp_types.ElicitRequest(params=mcp_types.ElicitRequestFormParams(
                message="What is your name?",
                requested_schema={"type": "object", "properties": {"value": {"type": "string"}}, "required": ["value"]}))},
            request_state="round-1",
        )
    result = answers["name"]
    return f"{result.action}:{(result.content or {}).get('value')}"


@mcp.tool
async def grow(name: str, ctx: Context) -> str:
    """Adds a tool at run time and says that the tool list changed."""
    def added() -> str:
        return f"{name} ran"

    mcp.add_tool(Tool.from_function(added, name=name, description="added at run time"))
    await ctx.send_notification(mcp_types.ToolListChangedNotification())
    return f"added {name}"


@mcp.tool
def crash() -> str:
    """Ends the backend process at once, mid-call."""
    os._exit(3)


@mcp.tool
async def summarize(text: str, ctx: Context) -> str | mcp_types.InputRequiredResult:
    """Asks the client's model for a summary (sampling), in either era."""
    if not is_modern(ctx):
        message = mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text=f"Summarize: {text}"))
        reply = await ctx.session.create_message([message], max_tokens=50, related_request_id=ctx.request_id)
        return f"sampled: {reply.content.text}"
    answers = ctx.input_responses
    if not answers:
        return mcp_types.InputRequiredResult(input_requests={"s": mcp_types.CreateMessageRequest(
            params=mcp_types.CreateMessageRequestParams(
                messages=[mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text=f"Summarize: {text}"))],
                max_tokens=50))})
    return f"sampled: {answers['s'].content.text}"


@mcp.tool
def headers() -> str:
    """The HTTP headers this backend received with the call (JSON)."""
    return json.dumps(get_http_headers(include_all=True))


def long_tool() -> str:
    return "long tool ran"


mcp.add_tool(Tool.from_function(long_tool, name=LONG_TOOL_NAME, description="A tool with a 70-character name"))


def numbered(i: int):
    def tool(x: int = 0) -> int:
        return x + i
    return tool


for i in range(args.many_tools):
    mcp.add_tool(Tool.from_function(numbered(i), name=f"gen_{i:03d}", description=f"generated tool {i}"))


@mcp.resource(f"res://{args.name}/greeting")
def greeting() -> str:
    return f"hello from {args.name}"


@mcp.resource(f"res://{args.name}/items/{{item}}")
def item(item: str) -> str:
    return f"{args.name} item {item}"


@mcp.prompt
def greet(person: str) -> str:
    """Greets a person."""
    return f"Hello {person}, from {args.name}"


@mcp.completion
def complete(reference, argument, context):
    """Candidates that name the backend, so a test can tell which backend answered."""
    if isinstance(reference, mcp_types.PromptReference) and argument.name == "person":
        return [f"{args.name}-{n}" for n in ("Ada", "Alan") if n.startswith(argument.value)]
    if isinstance(reference, mcp_types.ResourceTemplateReference) and argument.name == "item":
        return [f"{args.name}-{i}" for i in range(3)]
    return None


if args.handshake_only:
    # FastMCP answers both eras; this backend must not: modern requests are refused as an older server would.
    from mcp.server.context import CallNext, ServerRequestContext
    from mcp.shared.exceptions import MCPError
    from mcp_types import UNSUPPORTED_PROTOCOL_VERSION

    async def reject_modern(ctx: ServerRequestContext, call_next: CallNext):
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS and ctx.request_id is not None:
            raise MCPError(code=UNSUPPORTED_PROTOCOL_VERSION, message="Unsupported protocol version",
                           data={"supported": list(HANDSHAKE_PROTOCOL_VERSIONS), "requested": ctx.protocol_version})
        return await call_next(ctx)

    mcp._mcp_server.middleware.insert(0, reject_modern)


class HandshakeOnlyHTTP:
    """For HTTP: requests that name a modern version in the header get what a handshake-only server answers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            version = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"mcp-protocol-version"), None)
            if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
                body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                    "code": -32022, "message": "Unsupported protocol version",
                    "data": {"supported": list(HANDSHAKE_PROTOCOL_VERSIONS), "requested": version}}}).encode()
                await send({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


if __name__ == "__main__":
    os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
    if args.transport == "stdio":
        mcp.run(show_banner=False, log_level="warning")
    else:
        from starlette.middleware import Middleware

        middleware = [Middleware(HandshakeOnlyHTTP)] if args.handshake_only and args.transport == "http" else None
        mcp.run(transport=args.transport, host="127.0.0.1", port=args.port, show_banner=False, log_level="warning",
                middleware=middleware)
