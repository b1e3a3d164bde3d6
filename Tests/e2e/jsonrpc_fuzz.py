"""Hostile inputs for `/mcp`: a seeded generator of request bodies and headers (malformed JSON, wrong
types, huge and odd ids, deep nesting, unicode, batches, bodies around the size cap), each with the
expectation every answer must meet."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from mcp_helpers import ACCEPT, LATEST_HANDSHAKE, MODERN, modern_meta

METHODS = ["server/discover", "tools/list", "tools/call", "prompts/list", "prompts/get", "resources/list",
           "resources/read", "resources/templates/list", "completion/complete", "ping", "initialize",
           "subscriptions/listen", "notifications/initialized", "notifications/cancelled", "logging/setLevel"]
ODD_STRINGS = ["", " ", "\u0000", "\u202e", "\u200b", "🦄" * 50, "é", "\\", "\"", "'; DROP TABLE audit_events;--",
               "../../etc/passwd", "%00", "\ud800", "A" * 5000, "tools/call\n", "TOOLS/LIST", "alpha__echo",
               "alpha__" + "x" * 300, "__", "null"]
ODD_IDS = [0, -1, 2**63, 2**64, -(2**63) - 1, 10**400, 1.5, -0.0, 1e308, True, False, None, "", "x" * 10_000,
           [], {}, [1], {"a": 1}, "🦄"]
BODY_CAP = 64 * 1024


@dataclass
class Case:
    body: bytes
    headers: dict[str, bytes]
    kind: str


class JSONRPCFuzzer:
    def __init__(self, seed: int, token: str) -> None:
        self.random = random.Random(seed)
        self.token = token

    def headers(self, method: object) -> dict[str, str]:
        r = self.random
        h = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Accept": ACCEPT}
        era = r.choice(["modern", "handshake", "none", "odd"])
        if era == "modern":
            h["MCP-Protocol-Version"] = MODERN
            h["Mcp-Method"] = method if isinstance(method, str) and method.isascii() and method.isprintable() else "x"
        elif era == "handshake":
            h["MCP-Protocol-Version"] = LATEST_HANDSHAKE
        elif era == "odd":
            h["MCP-Protocol-Version"] = r.choice(["1999-01-01", "", "2026-07-28, 2025-11-25", "x" * 200])
            h["Mcp-Method"] = r.choice(["tools/list", "", "tools/call"])
            h["Mcp-Name"] = r.choice(["alpha__echo", "", "x" * 500])
        if r.random() < 0.1:
            h["Content-Type"] = r.choice(["text/plain", "application/json; charset=latin1", "multipart/form-data"])
        if r.random() < 0.1:
            h["Accept"] = r.choice(["text/event-stream", "application/json", "*/*", "text/html"])
        if r.random() < 0.1:
            h["Mcp-Session-Id"] = r.choice(["nope", "", "🦄", "x" * 300])
        return h

    def value(self, depth: int = 0) -> object:
        r = self.random
        kind = r.randrange(9 if depth < 3 else 6)
        if kind == 0:
            return r.choice(ODD_STRINGS)
        if kind == 1:
            return r.choice(ODD_IDS)
        if kind == 2:
            return r.randint(-(10**30), 10**30)
        if kind == 3:
            return r.random() * 10 ** r.randint(-20, 20)
        if kind == 4:
            return r.choice([True, False, None])
        if kind == 5:
            return "".join(chr(r.randrange(0x20, 0x2FFF)) for _ in range(r.randrange(1, 40)))
        if kind == 6:
            return [self.value(depth + 1) for _ in range(r.randrange(4))]
        return {r.choice(ODD_STRINGS + ["name", "arguments", "cursor", "uri", "_meta"]): self.value(depth + 1)
                for _ in range(r.randrange(4))}

    def message(self) -> tuple[object, object]:
        """A request-like object with some fields right and some wrong; returns (message, method)."""
        r = self.random
        method: object = r.choice(METHODS) if r.random() < 0.7 else self.value()
        params: dict = {"_meta": modern_meta()} if r.random() < 0.6 else {}
        if method == "tools/call" and r.random() < 0.7:
            params.update(name=r.choice(["alpha__echo", "alpha__add", "alpha__nope", "", "🦄"]),
                          arguments=self.value() if r.random() < 0.5 else {"text": r.choice(ODD_STRINGS)})
        for _ in range(r.randrange(3)):
            params[r.choice(["cursor", "name", "uri", "arguments", "_meta", "protocolVersion", "capabilities"])] = self.value()
        message: dict = {"jsonrpc": "2.0", "id": r.randrange(1, 10**6), "method": method, "params": params}
        for _ in range(r.randrange(3)):
            field = r.choice(["jsonrpc", "id", "method", "params", "result", "error", "extra"])
            if r.random() < 0.3:
                message.pop(field, None)
            else:
                message[field] = r.choice(ODD_IDS) if field == "id" else self.value()
        return message, method

    def case(self) -> Case:
        r = self.random
        shape = r.randrange(10)
        message, method = self.message()
        headers = self.headers(method)
        if shape <= 4:
            body, kind = json.dumps(message, ensure_ascii=r.random() < 0.5).encode("utf-8", "surrogatepass"), "wrong fields"
        elif shape == 5:
            text = json.dumps(message).encode()
            body, kind = text[: r.randrange(len(text))], "truncated JSON"
        elif shape == 6:
            body, kind = bytes(r.randrange(256) for _ in range(r.randrange(1, 400))), "random bytes"
        elif shape == 7:
            depth = r.choice([100, 1000, 10_000, 30_000])
            opener, closer = r.choice([("[", "]"), ('{"a":', "}")])
            inner = opener * depth + "1" + closer * depth
            body, kind = f'{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"x":{inner}}}}}'.encode(), "deep nesting"
        elif shape == 8:
            body, kind = json.dumps([message] * r.randrange(0, 5)).encode(), "batch"
        else:
            size = r.choice([BODY_CAP - 200, BODY_CAP + 1, BODY_CAP * 4])
            filler = "x" * max(0, size)
            body, kind = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                                     "params": {"_meta": modern_meta(), "cursor": filler}}).encode()[:size + 100], "size cap"
        if r.random() < 0.05:
            body = b"\xef\xbb\xbf" + body  # a byte order mark
        # Header values as raw bytes: the odd ones are not ASCII, and a server must cope with that too.
        return Case(body, {name: value.encode("utf-8") for name, value in headers.items()}, kind)


def check_answer(status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with an answer to hostile input, or None: no 5xx, and what JSON comes back is JSON-RPC."""
    if status >= 500:
        return f"status {status}"
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json" and body:
        try:
            message = json.loads(body)
        except ValueError:
            return "unparsable JSON answer"
        if isinstance(message, dict) and "jsonrpc" in message:
            if "error" in message:
                error = message["error"]
                if not (isinstance(error, dict) and isinstance(error.get("code"), int)
                        and isinstance(error.get("message"), str)):
                    return f"malformed JSON-RPC error {error!r:.200}"
            elif "result" not in message:
                return "a JSON-RPC answer with neither result nor error"
    if ctype == "text/event-stream":
        for line in body.decode("utf-8", "replace").splitlines():
            if line.startswith("data:"):
                try:
                    json.loads(line[5:])
                except ValueError:
                    return f"an event that is not JSON: {line[:200]}"
    return None
