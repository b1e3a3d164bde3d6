"""A command backend that tries what a hostile one would, and reports what it managed; Python's standard library
only, so that it runs inside a sandbox that sees nothing but /usr.

    /usr/bin/python3 sandbox_probe.py

Speaks MCP over stdin/stdout (newline-delimited JSON-RPC, the handshake era: `initialize`). Tools:
- `echo` {text}: returns its text (the well-behaved part);
- `probe` {read: [paths], list: [dirs], write: [paths], connect: [[host, port]], proxy_get: url}: what could be
  read, listed, written and connected to, its uid, home and environment, as JSON text;
- `sleep` {seconds, label}: says "started <label>" on stderr, then answers after that long;
- `freeze`: stops answering anything, pings included;
- `fork_bomb`, `hog_memory`, `spin`, `flood`, `endless_line`, `exit`: each does what it says, until stopped.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.request

VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
TOOL_NAMES = ["echo", "probe", "sleep", "freeze", "fork_bomb", "hog_memory", "spin", "flood", "endless_line", "exit"]


def attempt(action) -> str:
    try:
        return "ok:" + str(action())[:200]
    except BaseException as failure:  # noqa: BLE001 - whatever stopped it is the answer
        return f"error:{type(failure).__name__}:{failure}"[:300]


def probe(arguments: dict) -> dict:
    report: dict = {"uid": os.getuid(), "gid": os.getgid(), "home": os.environ.get("HOME"), "cwd": os.getcwd(),
                    "env": dict(os.environ), "pid": os.getpid()}
    report["read"] = {p: attempt(lambda p=p: open(p, "rb").read(100).decode(errors="replace")) for p in arguments.get("read", [])}
    report["list"] = {p: attempt(lambda p=p: sorted(os.listdir(p))) for p in arguments.get("list", [])}

    def write(path: str) -> str:
        with open(path, "w") as f:
            f.write("written by the sandbox")
        return "written"

    report["write"] = {p: attempt(lambda p=p: write(p)) for p in arguments.get("write", [])}

    def connect(host: str, port: int) -> str:
        with socket.create_connection((host, port), timeout=3):
            return "connected"

    report["connect"] = {f"{h}:{p}": attempt(lambda h=h, p=p: connect(h, p)) for h, p in arguments.get("connect", [])}
    if arguments.get("proxy_get"):
        # Through the proxy the environment names, whatever NO_PROXY says (a hostile program ignores it too).
        proxy = os.environ.get("HTTP_PROXY")
        for name in ("NO_PROXY", "no_proxy"):
            os.environ.pop(name, None)
        handlers = [urllib.request.ProxyHandler({"http": proxy, "https": proxy})] if proxy else []
        opener = urllib.request.build_opener(*handlers)
        report["proxy_get"] = attempt(lambda: opener.open(arguments["proxy_get"], timeout=5).read(200).decode())
    return report


def fork_bomb() -> str:
    children, failure = [], ""
    for _ in range(10_000):
        try:
            pid = os.fork()
        except OSError as error:
            failure = str(error)
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return f"forked {len(children)} then: {failure or 'no limit'}"


def hog_memory() -> str:
    hoard, mb = [], 0
    try:
        while mb < 64_000:
            hoard.append(bytearray(64 << 20))
            mb += 64
    except MemoryError:
        return f"MemoryError after {mb} MB"
    return f"allocated {mb} MB"


def spin() -> str:
    while True:
        pass


def flood() -> str:
    line = (json.dumps({"jsonrpc": "2.0", "method": "notifications/message",
                        "params": {"level": "info", "data": "x" * 60_000}}) + "\n").encode()
    while True:
        sys.stdout.buffer.write(line)


def endless_line() -> str:
    chunk = b"x" * 65_536
    while True:
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()


def text(value: str) -> dict:
    return {"content": [{"type": "text", "text": value}]}


def answer(message: dict) -> dict | None:
    method, params = message.get("method"), message.get("params") or {}
    if "id" not in message:
        return None
    if method == "initialize":
        asked = params.get("protocolVersion")
        result = {"protocolVersion": asked if asked in VERSIONS else VERSIONS[-1], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "sandbox-probe", "version": "1.0.0"}}
    elif method == "ping":
        result = {}
    elif method == "tools/list":
        result = {"tools": [{"name": n, "inputSchema": {"type": "object"}} for n in TOOL_NAMES]}
    elif method == "tools/call":
        name, arguments = params.get("name"), params.get("arguments") or {}
        if name == "echo":
            result = text(str(arguments.get("text", "")))
        elif name == "probe":
            result = text(json.dumps(probe(arguments)))
        elif name == "sleep":
            print(f"started {arguments.get('label', '')}", file=sys.stderr, flush=True)
            time.sleep(float(arguments.get("seconds", 1)))
            result = text(f"slept {arguments.get('label', '')}")
        elif name == "freeze":
            time.sleep(3600)
            result = text("thawed")
        elif name == "exit":
            os._exit(3)
        elif name in ("fork_bomb", "hog_memory", "spin", "flood", "endless_line"):
            result = text(globals()[name]())
        else:
            return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32602, "message": f"Unknown tool: {name}"}}
    else:
        return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": f"Method not found: {method}"}}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


def main() -> None:
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        reply = answer(message) if isinstance(message, dict) else None
        if reply is not None:
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
