"""Argument unpacking shared by resolvers."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types.unset import UnsetType

from graph.domain import records

T = TypeVar("T")


def parse_id(value: strawberry.ID, field: str) -> int:
    """A decimal id sent as a string, within a 64-bit id."""
    return records.id_argument(str(value), field)


def optional(value: T | UnsetType | None) -> T | None:
    """An argument the client may omit or send as null."""
    return None if isinstance(value, UnsetType) else value


def or_default(value: T | None, default: T) -> T:
    """A nullable argument with a default: a null variable means the default."""
    return default if value is None else value
