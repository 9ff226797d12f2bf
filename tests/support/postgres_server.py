"""A private PostgreSQL cluster on its own port, so a test may restart it.

Built with the machine's `initdb` and `pg_ctl` (Debian keeps them under
/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root, so as
root the cluster is created and run as the `postgres` user.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from db.migrations import upgrade_to_head
from tests.support.server import free_port
from tests.support.services import unavailable

SEARCH = ("/usr/lib/postgresql/*/bin",)


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in SEARCH:
        for directory in sorted(glob.glob(pattern), reverse=True):
            candidate = Path(directory) / name
            if candidate.exists():
                return str(candidate)
    unavailable(f"PostgreSQL's {name}", FileNotFoundError(name))


class PostgresServer:
    def __init__(self) -> None:
        self.initdb = _binary("initdb")
        self.pg_ctl = _binary("pg_ctl")
        self.port = free_port()
        # Not under pytest's tmp_path: as root, that is closed to `postgres`.
        self.workdir = Path(tempfile.mkdtemp(prefix="sentichat-pg-"))
        self.data = self.workdir / "data"
        self.socket_dir = self.workdir / "socket"
        self.log = self.workdir / "postgres.log"
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        if self._as_root:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.workdir, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run(
            self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "--encoding=UTF8", "--locale=C",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            self.pg_ctl, "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop it; `fast` ends sessions at once, `immediate` is a crash."""
        if (self.data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    async def migrate(self) -> None:
        await asyncio.to_thread(upgrade_to_head, self.url)
