"""What a client is limited by: its address (an IPv6 client by its /64)."""

from __future__ import annotations

import pytest

from graph.services.throttle import address_key, username_key


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("", "unknown"),
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_a_client_is_limited_by_its_address_key(host: str | None, key: str) -> None:
    assert address_key(host) == key


def test_usernames_are_limited_in_any_letter_case() -> None:
    assert username_key("Alice") == username_key("ALICE") == "alice"
