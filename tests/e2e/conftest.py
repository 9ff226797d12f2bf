"""Servers for end-to-end tests: the embedded default on a new SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.remote import embedded_env
from tests.support.server import Server


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The embedded default: a new SQLite file, migrated by the server at start."""
    tmp = tmp_path_factory.mktemp("embedded")
    with Server(embedded_env(tmp), tmp / "server.log") as server:
        yield server
