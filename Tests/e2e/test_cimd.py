"""Client ID Metadata Documents: the client_id is the URL of a JSON document, served here on loopback."""

import json
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

import pytest

from gateway import Gateway, run_until_exit
from loopback_server import serve_in_background, stop
from mcp_helpers import token_status
from oauth_helpers import (
    approve,
    authorization,
    check_tokens,
    exchange,
    refresh,
)

REDIRECT = "http://127.0.0.1:53682/callback"


class DocumentServer:
    """A loopback HTTP server answering each path with a configured (status, headers, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: Counter[str] = Counter()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                owner.hits[self.path] += 1
                status, headers, body = owner.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = serve_in_background(Handler)
        self.port = self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> str:
        self.routes[path] = (status, {"Content-Type": "application/json", **(headers or {})}, body)
        return self.url(path)

    def serve_document(self, path: str, headers: dict[str, str] | None = None, **fields) -> str:
        url = self.url(path)
        doc = {
            "client_id": url,
            "client_name": "CIMD e2e client",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        doc.update(fields)
        doc = {k: v for k, v in doc.items() if v is not None}
        return self.serve(path, json.dumps(doc).encode(), headers=headers)

    def close(self) -> None:
        stop(self.httpd)


@pytest.fixture
def docs():
    server = DocumentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def shared_gateway(tmp_path_factory):
    """This module's gateway may fetch metadata documents from loopback."""
    gw = Gateway(tmp_path_factory.mktemp("cimd"), {"OAUTH_CIMD_ALLOW_LOOPBACK_FOR_TESTS": "true"},
                 name="cimd gateway")
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


def _refused(r):
    assert r.status_code == 400, f"{r.status_code} {r.headers.get('location')} {r.text[:300]}"
    assert "location" not in r.headers


def test_full_flow(http, gw, docs):
    client_id = docs.serve_document("/oauth/client.json")
    auth = authorization(gw, client_id, REDIRECT)
    page = http.get(auth.url(gw))
    assert page.status_code == 200, page.text[:500]
    assert "CIMD e2e client" in page.text
    assert "127.0.0.1" in page.text  # the redirect host, in plain sight
    params = approve(http, gw, auth)
    t = check_tokens(exchange(http, gw, params["code"], auth))
    assert token_status(http, gw, t["access_token"]) == 200
    check_tokens(refresh(http, gw, client_id, t["refresh_token"]))
    assert docs.hits["/oauth/client.json"] >= 1


def test_document_is_cached(http, gw, docs):
    client_id = docs.serve_document("/cached.json", headers={"Cache-Control": "public, max-age=300"})
    assert http.get(authorization(gw, client_id, REDIRECT).url(gw)).status_code == 200
    assert http.get(authorization(gw, client_id, REDIRECT).url(gw)).status_code == 200
    assert docs.hits["/cached.json"] == 1


def test_client_id_differs_from_url(http, gw, docs):
    url = docs.serve_document("/mismatch.json", client_id=docs.url("/other.json"))
    _refused(http.get(authorization(gw, url, REDIRECT).url(gw)))
    assert docs.hits["/mismatch.json"] >= 1  # fetched, then refused


def test_document_too_large(http, gw, docs):
    url = docs.serve_document("/big.json", padding="x" * (200 * 1024))
    started = time.monotonic()
    _refused(http.get(authorization(gw, url, REDIRECT).url(gw)))
    assert time.monotonic() - started < 10


def test_redirect_not_in_document(http, gw, docs):
    url = docs.serve_document("/client.json")
    _refused(http.get(authorization(gw, url, "http://127.0.0.1:53682/elsewhere").url(gw)))
    _refused(http.get(authorization(gw, url, "https://evil.example/callback").url(gw)))


@pytest.mark.parametrize("missing", ["client_name", "redirect_uris"])
def test_document_missing_a_field(http, gw, docs, missing):
    url = docs.serve_document(f"/no-{missing}.json", **{missing: None})
    _refused(http.get(authorization(gw, url, REDIRECT).url(gw)))


@pytest.mark.parametrize("status,body", [(404, b"{}"), (500, b"{}"), (200, b"{not json")])
def test_document_not_served(http, gw, docs, status, body):
    url = docs.serve("/broken.json", body, status=status)
    _refused(http.get(authorization(gw, url, REDIRECT).url(gw)))


def test_document_redirecting_to_an_internal_host(http, gw, docs):
    url = docs.serve("/moved.json", b"", status=302, headers={"Location": "https://10.1.2.3/c.json"})
    started = time.monotonic()
    _refused(http.get(authorization(gw, url, REDIRECT).url(gw)))
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("client_id", [
    "https://10.1.2.3/c.json",
    "http://10.1.2.3:8080/c.json",
    "https://172.16.0.1/c.json",
    "https://192.168.1.1/c.json",
    "https://169.254.169.254/latest/meta-data/c.json",
    "https://[fd00::1]/c.json",
    "https://[fe80::1]/c.json",
])
def test_private_address_refused_before_any_connection(http, gw, client_id):
    started = time.monotonic()
    _refused(http.get(authorization(gw, client_id, REDIRECT).url(gw)))
    # Refused by address, not after a connection attempt timed out.
    assert time.monotonic() - started < 3


def test_root_url_is_not_a_document(http, gw, docs):
    docs.serve_document("/")
    _refused(http.get(authorization(gw, docs.url("/"), REDIRECT).url(gw)))


def test_loopback_documents_need_the_test_setting(http, start_gateway, docs):
    gw = start_gateway()  # OAUTH_CIMD_ALLOW_LOOPBACK_FOR_TESTS not set
    url = docs.serve_document("/client.json")
    _refused(http.get(authorization(gw, url, REDIRECT).url(gw)))
    assert docs.hits["/client.json"] == 0


def test_setting_refused_with_a_non_loopback_bind(tmp_path):
    code, out, err = run_until_exit(tmp_path, {
        "OAUTH_CIMD_ALLOW_LOOPBACK_FOR_TESTS": "true",
        "GATEWAY_BIND_ADDR": "0.0.0.0",
        "OAUTH_ISSUER_URL": "https://gateway.example",
    })
    assert code is not None and code != 0, f"not refused (exit {code})\nstdout:\n{out}\nstderr:\n{err}"
    assert "OAUTH_CIMD_ALLOW_LOOPBACK_FOR_TESTS" in err, err


def test_same_bind_without_the_setting_starts(start_gateway):
    """Control for the test above: 0.0.0.0 with an https issuer is a valid configuration."""
    gw = start_gateway({"GATEWAY_BIND_ADDR": "0.0.0.0", "OAUTH_ISSUER_URL": "https://gateway.example"})
    assert gw.running
