"""Real server processes, configured only by environment: `python -m graph`,
or `uvicorn` when a test needs other uvicorn options."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from graph.services.throttle import Limit

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
DEFAULT_APP = "graph.app:app"
RATE_LIMITS = tuple(limit.value for limit in Limit)
# Tests register, log in and send far faster than people do, all from one
# address; the rate-limit tests set the limits they exercise themselves.
UNLIMITED = "1000000/1s"
UNLIMITED_RATES = {f"RATE_{name.upper()}": UNLIMITED for name in RATE_LIMITS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server process; its log is kept for assertions and failures."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        uvicorn_args: tuple[str, ...] = (),
        *,
        app: str = DEFAULT_APP,
    ) -> None:
        self.port = free_port()
        self.env = env
        self.log_path = log_path
        self.uvicorn_args = uvicorn_args
        self.app = app
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> Server:
        if self.app == DEFAULT_APP and not self.uvicorn_args:
            # As it is run: the project's entry point, with its uvicorn settings.
            command = [sys.executable, "-m", "graph"]
        else:
            command = [sys.executable, "-m", "uvicorn", self.app, *self.uvicorn_args]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(ROOT),
            **UNLIMITED_RATES,
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start:\n{self.log()}")
            try:
                if httpx.get(f"{self.http_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start in {START_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the process dies with no chance to close anything."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
