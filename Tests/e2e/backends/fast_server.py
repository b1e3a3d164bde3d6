"""A backend that costs next to nothing, for load tests and benchmarks of whatever stands in front of it.

    python fast_server.py --port N [--handshake-only]      Streamable HTTP on 127.0.0.1:N/mcp
    python fast_server.py --stdio [--handshake-only]       newline-delimited JSON-RPC on stdin/stdout

Speaks both MCP eras (server/discover for 2026-07-28, initialize for 2024-11-05 … 2025-11-25; with
--handshake-only, server/discover is an unknown method) and has one tool, `echo`, which returns its `text`.
No framework: a hand-written HTTP/1.1 loop (keep-alive, JSON answers, stateless, no session id), so that what a
measurement shows is the thing in front of the backend, not the backend.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

MODERN_VERSIONS = ["2026-07-28"]
HANDSHAKE_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
SERVER_INFO = {"name": "fast", "version": "1.0.0"}
TOOLS = [{
    "name": "echo",
    "description": "Returns its text.",
    "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    "annotations": {"readOnlyHint": True},
}]


class Backend:
    def __init__(self, handshake_only: bool) -> None:
        self.handshake_only = handshake_only

    def answer(self, message: object) -> dict | None:
        """The JSON-RPC answer to one message; None for notifications and for answers to our (nonexistent) requests."""
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
        method = message.get("method")
        if "id" not in message or not isinstance(method, str):
            return None
        params = message.get("params") if isinstance(message.get("params"), dict) else {}
        try:
            result = self.result(method, params)
        except LookupError as failure:
            return {"jsonrpc": "2.0", "id": message["id"], "error": failure.args[0]}
        return {"jsonrpc": "2.0", "id": message["id"], "result": result}

    def result(self, method: str, params: dict) -> dict:
        modern = "io.modelcontextprotocol/protocolVersion" in (params.get("_meta") or {})
        if method == "initialize":
            asked = params.get("protocolVersion")
            version = asked if asked in HANDSHAKE_VERSIONS else HANDSHAKE_VERSIONS[-1]
            return {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": SERVER_INFO}
        if method == "server/discover" and not self.handshake_only:
            return {"resultType": "complete", "supportedVersions": MODERN_VERSIONS, "capabilities": {"tools": {}},
                    "serverInfo": SERVER_INFO}
        if method == "ping":
            return complete({}, modern)
        if method == "tools/list":
            return complete({"tools": TOOLS}, modern)
        if method == "tools/call":
            arguments = params.get("arguments") or {}
            if params.get("name") != "echo":
                raise LookupError({"code": -32602, "message": f"Unknown tool: {params.get('name')}"})
            if not isinstance(arguments, dict) or not isinstance(arguments.get("text"), str):
                return complete({"content": [{"type": "text", "text": "text must be a string"}], "isError": True}, modern)
            return complete({"content": [{"type": "text", "text": arguments["text"]}]}, modern)
        raise LookupError({"code": -32601, "message": f"Method not found: {method}"})


def complete(result: dict, modern: bool) -> dict:
    if modern:
        result["resultType"] = "complete"
    return result


def http_response(status: str, body: bytes = b"", extra: str = "") -> bytes:
    content_type = "Content-Type: application/json\r\n" if body else ""
    return (f"HTTP/1.1 {status}\r\n{content_type}{extra}Content-Length: {len(body)}\r\n\r\n").encode() + body


class HTTPConnection(asyncio.Protocol):
    """One keep-alive connection: requests are parsed from the buffer as they complete, pipelining included."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            lines = self.buffer[:head_end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4:head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length:]
            method, _, rest = lines[0].partition(" ")
            self.transport.write(self.respond(method, rest.split(" ")[0], body))
            if headers.get("connection", "").lower() == "close":
                self.transport.close()
                return

    def respond(self, method: str, path: str, body: bytes) -> bytes:
        if path.split("?")[0] != "/mcp":
            return http_response("404 Not Found")
        if method != "POST":
            return http_response("405 Method Not Allowed", extra="Allow: POST\r\n")
        try:
            message = json.loads(body)
        except ValueError:
            answer = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
            return http_response("400 Bad Request", json.dumps(answer).encode())
        answer = self.backend.answer(message)
        if answer is None:
            return http_response("202 Accepted")
        return http_response("200 OK", json.dumps(answer, separators=(",", ":")).encode())


async def serve_http(port: int, backend: Backend) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HTTPConnection(backend), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def serve_stdio(backend: Backend) -> None:
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            answer = backend.answer(json.loads(line))
        except ValueError:
            answer = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
        if answer is not None:
            out.write(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
            out.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int)
    where.add_argument("--stdio", action="store_true")
    parser.add_argument("--handshake-only", action="store_true")
    args = parser.parse_args()
    backend = Backend(args.handshake_only)
    if args.stdio:
        serve_stdio(backend)
        return
    run = asyncio.run
    try:
        import uvloop  # a faster event loop when the environment has it (the benchmark's does)
        run = uvloop.run
    except ImportError:
        pass
    try:
        run(serve_http(args.port, backend))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
