"""Checks requests (and, for the fake's own self-tests, responses) against Discord's OpenAPI 3.1 spec.

The spec is read once; one validator per parameter, body and response is prepared up front. Schemas stay
inside the spec document: each validator is a `$ref` (JSON pointer) into it, so the spec's own
`#/components/...` references resolve. OpenAPI 3.1 schemas are JSON Schema 2020-12.

Where Discord's documentation and the spec disagree, the docs win: see `apply_overrides`, which patches the
loaded copy (never the file) and lists what it changed in `OpenAPISpec.overrides`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import templates
from .templates import split_template

SPEC_URI = "urn:discord-openapi"
METHODS = ("get", "put", "post", "patch", "delete")
JSON = "application/json"
# Schemas whose message `content` the spec caps at 4000 (a Nitro user's limit); bots get 2000.
MESSAGE_CONTENT_SCHEMAS = ("MessageCreateRequest", "MessageEditRequestPartial", "BaseCreateMessageCreateRequest")
PERMISSION_FIELDS = ("permissions", "allow", "deny")


def apply_overrides(spec: dict) -> list[str]:
    """Patches the spec where Discord's docs say otherwise; returns one line per change."""
    changes: list[str] = []
    schemas = spec["components"]["schemas"]
    for name in MESSAGE_CONTENT_SCHEMAS:
        content = schemas[name]["properties"]["content"]
        if content.get("maxLength") != 2000:
            changes.append(f"{name}.content maxLength {content.get('maxLength')} -> 2000 (docs: bots send up to 2000)")
            content["maxLength"] = 2000

    # Permission bit sets are "serialized into a string" in requests too (docs, Permissions); the spec types
    # them as integers. Accept a string of digits as well as an integer.
    def patch(node: Any, where: str) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for key in PERMISSION_FIELDS:
                    prop = props.get(key)
                    types = prop.get("type") if isinstance(prop, dict) else None
                    if types == "integer" or (isinstance(types, list) and "integer" in types):
                        props[key] = {"anyOf": [{"type": "string", "pattern": "^[0-9]+$"}, prop]}
                        changes.append(
                            f"{where}.{key}: integer -> integer or string of digits (docs: permissions are strings)"
                        )
            for key, value in node.items():
                patch(value, f"{where}/{key}" if key not in ("properties",) else where)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                patch(value, f"{where}/{index}")

    patch(spec["paths"], "paths")
    patch(schemas, "schemas")
    changes.append(
        "a required request body that is absent is checked as {} (Discord accepts e.g. PUT/DELETE bans without a body)"
    )
    return changes


def _pointer(*parts: str | int) -> str:
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return SPEC_URI + "#" + quote("/" + "/".join(escaped), safe="/~")


@dataclass
class Param:
    name: str
    location: str
    required: bool
    kind: str  # "string", "integer", "number", "boolean"
    array: bool
    validator: Draft202012Validator


@dataclass
class Operation:
    operation_id: str
    method: str
    template: str
    params: dict[tuple[str, str], Param] = field(default_factory=dict)  # (location, name) -> param
    body: Draft202012Validator | None = None
    body_required: bool = False
    responses: dict[str, Draft202012Validator | None] = field(default_factory=dict)


@dataclass
class Problem:
    """One mismatch: where (Discord's error path), Discord's inner code and message, and a readable text."""

    path: list[str | int]
    code: str
    message: str
    text: str


class OpenAPISpec:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        spec = json.loads(self.path.read_text())
        self.overrides = apply_overrides(spec)
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.operations: dict[tuple[str, str], Operation] = {}
        self._templates: list[str] = list(spec["paths"])
        for template, item in spec["paths"].items():
            for method in METHODS:
                if method in item:
                    self.operations[(method.upper(), template)] = self._operation(template, method, item)

    # ---- preparation ---------------------------------------------------------------------------

    def _validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": pointer}, registry=self.registry)

    def _resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
        return schema

    def _kind(self, schema: dict) -> tuple[str, bool]:
        schema = self._resolve(schema)
        types = schema.get("type", "string")
        types = [t for t in ([types] if isinstance(types, str) else types) if t != "null"] or ["string"]
        if "array" in types:
            return self._kind(schema.get("items", {}))[0], True
        return types[0], False

    def _operation(self, template: str, method: str, item: dict) -> Operation:
        op_json = item[method]
        op = Operation(op_json.get("operationId", f"{method} {template}"), method.upper(), template)
        for owner, params in (
            ((template, "parameters"), item.get("parameters", [])),
            ((template, method, "parameters"), op_json.get("parameters", [])),
        ):
            for index, param in enumerate(params):
                kind, array = self._kind(param["schema"])
                op.params[(param["in"], param["name"])] = Param(
                    param["name"],
                    param["in"],
                    bool(param.get("required")),
                    kind,
                    array,
                    self._validator(_pointer("paths", *owner, index, "schema")),
                )
        body = op_json.get("requestBody")
        if body and JSON in body.get("content", {}):
            op.body = self._validator(_pointer("paths", template, method, "requestBody", "content", JSON, "schema"))
            op.body_required = bool(body.get("required"))
        for status, response in op_json.get("responses", {}).items():
            if "$ref" in response:
                ref = response["$ref"].lstrip("#/").split("/")
                response = self.spec[ref[0]][ref[1]][ref[2]]
                if JSON in response.get("content", {}):
                    op.responses[status] = self._validator(_pointer(*ref, "content", JSON, "schema"))
                continue
            has_json = JSON in response.get("content", {})
            op.responses[status] = (
                self._validator(_pointer("paths", template, method, "responses", status, "content", JSON, "schema"))
                if has_json
                else None
            )
        return op

    # ---- matching -------------------------------------------------------------------------------

    def match_path(self, segments: list[str]) -> tuple[str, dict[str, str]] | None:
        """The spec template for these (decoded) path segments, and its parameters."""
        return templates.best(((split_template(t), t) for t in self._templates), segments)

    def operation(self, method: str, template: str) -> Operation | None:
        return self.operations.get((method.upper(), template))

    # ---- validation ------------------------------------------------------------------------------

    def check_request(
        self, op: Operation, path_params: dict[str, str], query: dict[str, list[str]], body_present: bool, body: Any
    ) -> tuple[list[Problem], list[str]]:
        """Problems that make Discord answer 400, and notes (e.g. unknown query parameters) that don't."""
        problems: list[Problem] = []
        notes: list[str] = []
        for name, value in path_params.items():
            param = op.params.get(("path", name))
            if param:
                problems += self._check_value(op, param, _coerce(value, param.kind), [name])
        for name, values in query.items():
            param = op.params.get(("query", name))
            if param is None:
                notes.append(f"{op.operation_id}: query parameter '{name}' is not in the spec (Discord ignores it)")
                continue
            if param.array:
                value: Any = [_coerce(v, param.kind) for v in values]
            else:
                if len(values) > 1:
                    notes.append(f"{op.operation_id}: query parameter '{name}' given {len(values)} times")
                value = _coerce(values[-1], param.kind)
            problems += self._check_value(op, param, value, [name])
        for (location, name), param in op.params.items():
            if location == "query" and param.required and name not in query:
                problems.append(
                    Problem(
                        [name],
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                        f"{op.operation_id}: query.{name}: required parameter missing",
                    )
                )
        if op.body is not None:
            if not body_present:
                body = {}  # see apply_overrides: an absent body is checked as an empty object
            for error in op.body.iter_errors(body):
                problems += _problems(op, "body", [], _specific(error))
        elif body_present and body != {}:  # an empty object is harmless; anything else is a mistake
            notes.append(f"{op.operation_id}: the spec defines no request body, yet one was sent")
        return problems, notes

    def _check_value(self, op: Operation, param: Param, value: Any, path: list[str | int]) -> list[Problem]:
        found = []
        for error in param.validator.iter_errors(value):
            found += _problems(op, param.location, path, _specific(error))
        return found

    def check_response(self, op: Operation, status: int, body: Any) -> list[str]:
        """Mismatches of a response with the spec (used by the fake's self-tests on its own answers)."""
        key = str(status) if str(status) in op.responses else f"{str(status)[0]}XX"
        if key not in op.responses:
            return [f"{op.operation_id}: status {status} is not among the documented responses"]
        validator = op.responses[key]
        if validator is None:
            return [] if body is None else [f"{op.operation_id}: {status} has a body, the spec says none"]
        return [
            f"{op.operation_id} {status}: {_where(e)}: {_describe(e)}"
            for e in (_specific(error) for error in validator.iter_errors(body))
        ]


def _coerce(text: str, kind: str) -> Any:
    """Query and path values arrive as strings; turn them into the schema's type where they are one."""
    if kind == "integer" and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean" and text.lower() in ("true", "false", "1", "0"):
        return text.lower() in ("true", "1")
    return text


def _specific(error: ValidationError) -> ValidationError:
    """The most specific failure under an anyOf/oneOf: deepest first, then the first branch's.
    (jsonschema's best_match stops at the union when its branches fail equally.)"""
    while error.context:
        error = min(error.context, key=relevance)
    return error


def _describe(error: ValidationError) -> str:
    """A short text of a failure, without echoing long values."""
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword in ("maxLength", "minLength") and isinstance(value, str):
        return f"{len(value)} characters, {keyword} is {expected}"
    if keyword in ("maxItems", "minItems") and isinstance(value, list):
        return f"{len(value)} items, {keyword} is {expected}"
    return _short(error.message)


def _where(error: ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(root)"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _problems(op: Operation, location: str, prefix: list[str | int], error: ValidationError) -> list[Problem]:
    path = prefix + list(error.absolute_path)
    where = ".".join([location] + [str(p) for p in path])
    if error.validator == "required":
        missing = [
            name for name in error.validator_value if isinstance(error.instance, dict) and name not in error.instance
        ]
        return [
            Problem(
                path + [name],
                "BASE_TYPE_REQUIRED",
                "This field is required",
                f"{op.operation_id}: {where}.{name}: required property missing",
            )
            for name in missing
        ]
    code, message = _discord_error(error)
    return [Problem(path, code, message, f"{op.operation_id}: {where}: {_describe(error)}")]


def _discord_error(error: ValidationError) -> tuple[str, str]:
    """Discord's inner error code and message for a schema failure (codes as Discord's form errors use them)."""
    keyword, expected, value = error.validator, error.validator_value, error.instance
    shown = str(value)[:40]
    if keyword in ("maxLength", "maxItems"):
        return "BASE_TYPE_MAX_LENGTH", f"Must be {expected} or fewer in length."
    if keyword in ("minLength", "minItems"):
        return "BASE_TYPE_MIN_LENGTH", f"Must be {expected} or more in length."
    if keyword == "maximum":
        return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {expected}."
    if keyword == "minimum":
        return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {expected}."
    if keyword == "pattern" and expected == "^(0|[1-9][0-9]*)$":
        return "NUMBER_TYPE_COERCE", f'Value "{shown}" is not snowflake.'
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        if "integer" in types or "number" in types:
            return "NUMBER_TYPE_COERCE", f'Value "{shown}" is not int.'
        if "boolean" in types:
            return "BASE_TYPE_BOOLEAN", "Must be either true or false."
        if "array" in types:
            return "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType."
        if "object" in types:
            return "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType."
        return "BASE_TYPE_STRING", f'Could not interpret "{shown}" as string.'
    if keyword in ("enum", "const", "oneOf", "anyOf"):
        return "BASE_TYPE_CHOICES", f"Value must be one of the allowed choices, not {shown!r}."
    if keyword == "uniqueItems":
        return "BASE_TYPE_DUPLICATES", "The list contains duplicates."
    return "BASE_TYPE_INVALID", _short(error.message, 100)
