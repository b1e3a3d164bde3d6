"""An MCP backend that misbehaves on purpose (Streamable HTTP, handshake era), one way per tool:
`garbage` answers with bytes that are not JSON, `enormous` with a 64 MiB body, `cut_stream` closes an event
stream in the middle of a message, `wrong_id` answers another request's id, `empty` answers nothing."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOLS = ["garbage", "enormous", "cut_stream", "wrong_id", "empty"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status: int, body: bytes, content_type: str = "application/json", extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self):  # noqa: N802
        self.answer(200, b"")

    def do_GET(self):  # noqa: N802
        self.answer(405, b"")

    def do_POST(self):  # noqa: N802
        message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        method, id_ = message.get("method"), message.get("id")
        if id_ is None:
            return self.answer(202, b"")
        if method == "initialize":
            result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                      "serverInfo": {"name": "hostile", "version": "1"}}
            return self.rpc(id_, result, {"Mcp-Session-Id": "hostile-session"})
        if method == "tools/list":
            return self.rpc(id_, {"tools": [{"name": n, "inputSchema": {"type": "object"}} for n in TOOLS]})
        if method == "ping":
            return self.rpc(id_, {})
        if method != "tools/call":
            body = {"jsonrpc": "2.0", "id": id_, "error": {"code": -32601, "message": "Method not found"}}
            return self.answer(200, json.dumps(body).encode())
        tool = message["params"]["name"]
        if tool == "garbage":
            return self.answer(200, b"\x00\xffnot json {{{")
        if tool == "enormous":
            size = 64 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * (1024 * 1024)
            try:
                for _ in range(64):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if tool == "cut_stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b'event: message\ndata: {"jsonrpc": "2.0", "id": ' + json.dumps(id_).encode() + b', "resu')
            self.wfile.flush()
            self.close_connection = True
            return None
        if tool == "wrong_id":
            return self.rpc("someone-else", {"content": [{"type": "text", "text": "not yours"}]})
        return self.answer(200, b"")

    def rpc(self, id_, result, headers=None):
        self.answer(200, json.dumps({"jsonrpc": "2.0", "id": id_, "result": result}).encode(), extra=headers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
