"""The README's examples of calling /mcp from a script run as written: the curl command and the MCP Python SDK
program of "Scripts and CI runners", with a personal `mcp` token, against a real gateway (only the gateway's URL,
the backend and the tool are swapped for the test's)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from backend_fixtures import BackendProcess, gateway_in_front
from cli_helpers import cli
from gateway import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
SECTION = README[README.index("**Scripts and CI runners**"):README.index("**Status and metrics.**")]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The gateway (backends `docs`, which the README's token names, and `other`) and the README's token."""
    work = tmp_path_factory.mktemp("readme")
    processes = {"docs": BackendProcess(work, "docs"), "other": BackendProcess(work, "other")}
    with gateway_in_front(work, processes, name="readme gateway") as (gw, _):
        yield gw, token_from_readme(gw)


def block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", SECTION, re.S)
    assert found, f"no {language} block in the README's scripts section"
    return found.group(1)


def local(text: str, gw) -> str:
    return text.replace("https://gateway.example.com", gw.base_url)


def token_from_readme(gw) -> str:
    """Runs the README's `tokens create` line (its arguments) on the test gateway."""
    line = next(l for l in block("sh").splitlines() if "tokens create" in l)
    arguments = line.split("mcp-gateway ", 1)[1].rstrip(")").split()
    return cli(gw, *arguments, settings=True).stdout.strip()


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on this machine")
def test_the_curl_example_lists_the_tokens_tools(setup):
    gw, token = setup
    command = local(block("sh").split("\n", 1)[1], gw)  # the lines after the token's
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30,
                          env={"MCP_TOKEN": token, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done
    body = done.stdout
    # The answer is JSON or one SSE event with the JSON in it.
    payload = json.loads(body.split("data: ", 1)[1] if body.startswith("event") or "data: " in body else body)
    names = {tool["name"] for tool in payload["result"]["tools"]}
    assert "docs__search" in names and not any(n.startswith("other__") for n in names), names


def test_the_sdk_example_lists_and_calls(setup):
    gw, token = setup
    program = local(block("python"), gw)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          env={"MCP_TOKEN": token, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done
    assert "docs__search" in done.stdout and "other__" not in done.stdout, done.stdout
    assert "release notes" in done.stdout, "the tool's answer is printed"
