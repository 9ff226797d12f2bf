"""What text Sentichat stores: exactly as sent, so only what can be stored."""

from __future__ import annotations


def is_storable(text: str) -> bool:
    """No NUL (PostgreSQL text cannot hold it) and valid UTF-8 (no lone surrogates)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
