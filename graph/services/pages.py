"""The one check every page size gets."""

from __future__ import annotations

from graph.domain.errors import BadUserInput


def check_page_size(field: str, size: int, largest: int) -> None:
    """BadUserInput on `field` unless 1 <= size <= largest."""
    if not 1 <= size <= largest:
        raise BadUserInput(f"`{field}` is 1 to {largest}.", field=field)
