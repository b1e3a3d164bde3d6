"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 speaking HTTP/1.1 with keep-alive (the gateway's
AsyncHTTPClient pools connections), every answer with an exact Content-Length (none on 204)."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

from .context import Request
from .routing import Response

IDLE_TIMEOUT = 300.0  # longer than clients keep idle pooled connections, so the fake never closes first
MAX_BODY = 16 * 1024 * 1024


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handle: Callable[[Request], Response]) -> None:
        self.handle_request_object = handle
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request, client_address) -> None:
        """A client dropping its connection (or stop() shutting it) is normal; anything else is printed."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Ends kept-alive connections so their threads finish and clients see the server go."""
        with self.connections_lock:
            for connection in list(self.connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeHTTPServer
    timeout = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (quiet)
        pass

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        raw_path = self.path
        path_part, _, query_string = raw_path.partition("?")
        relative = path_part[len("/api/v10") :] if path_part.startswith("/api/v10/") else path_part
        request = Request(
            method=self.command,
            raw_path=raw_path,
            path=relative + (f"?{query_string}" if query_string else ""),
            segments=[unquote(s) for s in relative.strip("/").split("/")],
            query=parse_qs(query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            body_present=len(body) > 0,
        )
        try:
            response = self.server.handle_request_object(request)
        except Exception as failure:  # a bug in the fake: answer 500 rather than hang the client
            response = Response(500, {"message": f"fake Discord error: {failure!r}", "code": 0})
        self._write(response)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(Response(413, {"message": "413: Request Entity Too Large", "code": 40005}))
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in (response.headers or {}).items():
            self.send_header(name, value)
        if response.status == 204:
            self.end_headers()
            return
        if response.raw is not None:
            payload = response.raw
        else:
            payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve
