"""The product server as a child process, so it can be SIGKILLed and measured on its own.

The in-process ``LocalServer`` shares the test's memory and file descriptors; a crash
test must kill the server without killing the test, and a soak must see the server's
resident memory apart from the client's. Both need a separate process started exactly
as a user would start it: ``python -m humanloop_core.server --port P --db FILE --api-key K``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``with ServerProcess(db) as srv:``; ``srv.kill()`` is SIGKILL, ``srv.start()`` restarts."""

    def __init__(self, db: Path | str, api_key: str = "hl-reliability-key", port: int | None = None,
                 *, log: Path | None = None, extra_args: tuple[str, ...] = ()):
        """``db`` is a SQLite file or a ``postgresql://`` URL (then ``log`` names the log
        file, which otherwise sits next to the SQLite file); ``extra_args`` go to the CLI."""
        self.db = db
        self.log = log or Path(db).with_suffix(".log")
        self.api_key = api_key
        self.port = port or free_port()
        self.extra_args = extra_args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v5"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def start(self, ready_timeout: float = 30.0) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "humanloop_core.server",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            "--api-key",
            self.api_key,
            *self.extra_args,
        ]
        # stderr to a file, not a pipe: a full pipe would stall the server under load.
        self._log = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=self._log, cwd=_repo_root())
        self._wait_ready(ready_timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                httpx.get(
                    self.base_url + "/prompts", headers={"X-API-KEY": self.api_key}, timeout=1.0
                )
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        path = self.log
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush, exactly like a power cut to the process."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def _close_log(self) -> None:
        log = getattr(self, "_log", None)
        if log is not None and not log.closed:
            log.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _repo_root() -> str:
    return str(Path(__file__).resolve().parents[2])
