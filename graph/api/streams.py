"""A subscription's source: the service's stream, each event made an API type.

A class with slots rather than an async generator: a live subscription holds
its source for its whole life, and a generator costs several times as much
(its frame, and its entry in the event loop's set of async generators).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


class Mapped(Generic[T, U]):
    """`convert(event)` for each event of `source`; closing it closes `source`."""

    __slots__ = ("_convert", "_source")

    def __init__(self, source: AsyncIterator[T], convert: Callable[[T], U]) -> None:
        self._source = source
        self._convert = convert

    def __aiter__(self) -> Mapped[T, U]:
        return self

    async def __anext__(self) -> U:
        return self._convert(await anext(self._source))

    async def aclose(self) -> None:
        """Leave the source's channel now, not when it is collected."""
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()
