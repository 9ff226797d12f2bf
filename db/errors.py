"""Telling an unreachable database from a bug."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa

_DRIVER_OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # includes "the database system is starting up"
    asyncpg.InterfaceError,  # connection closed mid-operation
    asyncpg.exceptions.OperatorInterventionError,  # shutdown, crash recovery
)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether `error` means the database could not be reached or answer in time.

    Such a failure is temporary and the request may be retried; anything
    else from the database is a bug or a constraint, not an outage.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (OSError, TimeoutError, sa.TimeoutError)):
            return True  # refused, reset, timed out, or no pooled connection
        # connection_invalidated: the asyncpg dialect counts any error on a
        # connection asyncpg has closed as a disconnect, whatever asyncpg
        # called it (an InternalClientError "cannot switch to state ..."
        # too), and SQLAlchemy then drops that connection from the pool.
        if isinstance(error, sa.DBAPIError) and (
            error.connection_invalidated
            or isinstance(error, (sa.OperationalError, sa.InterfaceError))
        ):
            return True
        if isinstance(error, _DRIVER_OUTAGES):
            return True
        error = getattr(error, "orig", None) or error.__cause__
    return False
