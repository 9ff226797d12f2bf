"""Logging for `uvicorn graph.app:app`: Sentichat's records, readable or JSON.

Uvicorn configures only its own loggers, so without this the application's
INFO records (refusals, retries, start-up lines) are lost and its warnings
print bare. When something else has configured the root logger already (a
test runner, a host application) it is left alone.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from graph.platform.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's websockets-sansio logs a client's invalid UTF-8 text frame as an
# exception, with a traceback, although it only closes that socket with 1007.
CLIENT_FAULTS = ("Invalid UTF-8 sequence received from client.",)


def describe(exc: BaseException | None) -> str:
    """`Type: first line of the message`, for one-line log records.

    A database error is described by the driver's error it wraps (`orig`).
    """
    if exc is None:
        return "unknown"
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


class ClientFaultsAreWarnings(logging.Filter):
    """A malformed frame is the client's fault: one warning line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in CLIENT_FAULTS:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ClientFaultsAreWarnings) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(ClientFaultsAreWarnings())
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    formatter = (
        JsonFormatter() if settings.json_logs else logging.Formatter(TEXT_FORMAT)
    )
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
