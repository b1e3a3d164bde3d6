"""Path templates ('/channels/{channel_id}/messages') and matching decoded path segments against them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def split_template(template: str) -> list[str]:
    return template.strip("/").split("/")


def match(parts: list[str], segments: list[str]) -> dict[str, str] | None:
    """The parameters when the segments fit the template's parts, else None."""
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        if part.startswith("{") and part.endswith("}"):
            if not segment:
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


def best(candidates: Iterable[tuple[list[str], T]], segments: list[str]) -> tuple[T, dict[str, str]] | None:
    """The best fitting candidate: literal segments win over parameters, earlier ones first
    (so '/channels/{c}/messages/pins' beats '/channels/{c}/messages/{message_id}')."""
    found: tuple[tuple[bool, ...], T, dict[str, str]] | None = None
    for parts, value in candidates:
        params = match(parts, segments)
        if params is None:
            continue
        score = tuple(not (p.startswith("{") and p.endswith("}")) for p in parts)
        if found is None or score > found[0]:
            found = (score, value, params)
    return (found[1], found[2]) if found else None
