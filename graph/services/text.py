"""What text Sentichat stores: exactly as sent, so only what can be stored."""

from __future__ import annotations

from graph.domain.errors import BadUserInput


def is_storable(text: str) -> bool:
    """No NUL (PostgreSQL text cannot hold it) and valid UTF-8 (no lone surrogates)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_message(text: str, limit: int, field: str = "message") -> None:
    """A message's text as `sendMessage` takes it, or BAD_USER_INPUT saying why."""
    if not is_storable(text):
        raise BadUserInput(
            "A message cannot contain NUL characters or invalid Unicode.",
            field=field,
        )
    if not text.strip():
        raise BadUserInput("A message cannot be empty.", field=field)
    if len(text) > limit:
        raise BadUserInput(f"A message is at most {limit} characters.", field=field)
