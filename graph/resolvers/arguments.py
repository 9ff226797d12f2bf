"""Argument unpacking shared by resolvers."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types.unset import UnsetType

from graph.errors import BadUserInput

T = TypeVar("T")
MAX_ID = 2**63 - 1


def parse_id(value: strawberry.ID, field: str) -> int:
    """A decimal id sent as a string, within a 64-bit id."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        raise BadUserInput(f"`{field}` is a decimal id.", field=field)
    number = int(text)
    if not 0 < number <= MAX_ID:
        raise BadUserInput(f"`{field}` is a decimal id.", field=field)
    return number


def optional(value: T | UnsetType | None) -> T | None:
    """An argument the client may omit or send as null."""
    return None if isinstance(value, UnsetType) else value
