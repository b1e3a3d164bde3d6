"""schemathesis on the OAuth endpoints, from the description in Tests/e2e/schemas/oauth-openapi.yaml: inputs
that fit it and inputs that break it (wrong types, missing fields, odd strings), for every operation. Nothing
may answer 5xx, and every JSON error must be an OAuth error (`error` a string). The count of inputs is printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode


SCHEMA = schemathesis.openapi.from_path(Path(__file__).resolve().parent / "schemas" / "oauth-openapi.yaml")
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "40"))


def problem_with(response) -> str | None:
    """What is wrong with schemathesis' response (its header values are lists), or None."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.startswith("application/json") and response.status_code >= 400:
        try:
            body = json.loads(response.content)
        except ValueError:
            return "an error that is not JSON"
        if not (isinstance(body, dict) and isinstance(body.get("error"), str)):
            return f"not an OAuth error: {json.dumps(body)[:200]}"
    return None


def has_inputs(operation) -> bool:
    return bool(list(operation.iter_parameters())) or bool(operation.body)


# Breaking inputs need something to break: the metadata documents take no input at all.
CASES = [(o, mode) for o in OPERATIONS for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode == GenerationMode.POSITIVE or has_inputs(o)]


@pytest.mark.parametrize(("operation", "mode"), CASES,
                         ids=[f"{o.method.upper()} {o.path} {m.value}" for o, m in CASES])
def test_no_input_gets_a_server_error(gw, operation, mode):
    session = requests.Session()
    session.trust_env = False
    tried, problems = [], []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def run(case):
        response = case.call(base_url=gw.url(""), session=session, allow_redirects=False, timeout=10)
        tried.append(1)
        problem = problem_with(response)
        if problem:
            problems.append(f"{problem}: {case.method} {case.formatted_path} query={case.query} body={case.body!r:.300}")

    run()
    print(f"\n{operation.method.upper()} {operation.path} ({mode.value}): {len(tried)} inputs")
    assert gw.running, gw.logs()
    assert not problems, "\n".join(problems[:10])


def test_the_check_flags_what_it_must():
    class Answer:
        def __init__(self, status: int, content_type: str, content: bytes) -> None:
            self.status_code, self.headers, self.content = status, {"content-type": [content_type]}, content

    assert problem_with(Answer(502, "text/plain", b"")) == "status 502"
    assert problem_with(Answer(400, "application/json", b"<html>")) == "an error that is not JSON"
    assert problem_with(Answer(400, "application/json", b'{"message": "no"}')).startswith("not an OAuth error")
    assert problem_with(Answer(400, "application/json", b'{"error": "invalid_request"}')) is None
