"""A small HTTP server on a free loopback port, serving from a background thread (stand-ins for the
outside world: a client's redirect target, a metadata document host)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_in_background(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """Starts serving; stop it with `stop(server)`. Its port is `server.server_address[1]`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return httpd


def stop(httpd: ThreadingHTTPServer) -> None:
    httpd.shutdown()
    httpd.server_close()
