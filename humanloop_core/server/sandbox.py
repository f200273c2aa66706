"""Runs user Python (code evaluators, code tools) away from the server.

One zygote process (``_sandbox_zygote.py``) isolates itself once and forks a fresh child per
job, so a job costs a fork, not an interpreter start, and no job sees another's state.

What this achieves on Linux, as root or as a user allowed user namespaces (the zygote
reports each item; :attr:`Sandbox.isolation` has the report and the server logs it):

- no network: the zygote lives in its own network namespace (not even the server's
  loopback is reachable), and jobs may not import ``socket`` or raise socket events;
- no server files: the zygote ``chroot``s into an empty temporary directory, runs as
  ``nobody`` (when started as root), with ``no_new_privs``; jobs also may not open files
  or call ``os`` functions that touch the filesystem, processes or signals;
- no server environment: the zygote starts with an empty environment and no inherited
  descriptors but its two pipes;
- limits: per job an address-space limit (``memory_mb``), a CPU-seconds limit and a
  wall-clock limit (``timeout``; the child is killed past it), no file writes, no new
  processes, lowest CPU priority (user code never slows the server down).

What it does not achieve: a seccomp syscall filter (not available from the standard
library); the audit-hook rules are defence in depth, not a boundary (a determined job can
reach C functions it already holds), which is why the OS-level steps above carry the
weight. Where namespaces or chroot are refused (some containers), the report says so and
only the rlimits, the empty environment and the audit hook remain.

Nothing here blocks the event loop: the zygote is an asyncio subprocess, results come back
through one reader task that settles each job's future.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("humanloop_core.server.sandbox")

ZYGOTE = Path(__file__).with_name("_sandbox_zygote.py")
DEFAULT_TIMEOUT = 5.0  # seconds of wall clock per job
DEFAULT_MEMORY_MB = 512
DEFAULT_CONCURRENCY = 4  # jobs running at once; more wait their turn
_GRACE = 5.0  # seconds past a job's timeout before the zygote itself is presumed stuck


class SandboxError(Exception):
    """The sandbox could not run a job at all (as opposed to the job failing)."""


@dataclass(frozen=True)
class SandboxResult:
    """How one job ended. ``kind`` is ``ok``, ``error`` (the code raised), ``timeout``,
    ``memory``, ``crash`` or ``invalid`` (an unreadable or oversized result)."""

    ok: bool
    kind: str
    value: Any = None
    error: str | None = None
    stdout: str = ""
    duration: float = 0.0

    @classmethod
    def from_wire(cls, message: dict[str, Any]) -> SandboxResult:
        return cls(ok=bool(message.get("ok")), kind=str(message.get("kind", "crash")),
                   value=message.get("value"), error=message.get("error"),
                   stdout=str(message.get("stdout") or ""), duration=float(message.get("duration") or 0))


class Sandbox:
    """Runs functions defined by user code, isolated. Start is lazy (first :meth:`run`), on
    the running loop; :meth:`close` stops the zygote and its children.

    Args:
        timeout: Default wall-clock limit per job, in seconds.
        memory_mb: Address-space limit per job.
        concurrency: Jobs running at once.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                 concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count()
        self._starting: asyncio.Lock | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self.isolation: dict[str, Any] = {}

    async def run(self, code: str, args: list[Any], *, kwargs: dict[str, Any] | None = None,
                  entry: str | None = None, timeout: float | None = None,
                  env: dict[str, str] | None = None) -> SandboxResult:
        """Define ``code``, call its function ``entry`` (default: the last one it defines)
        with ``args`` and ``kwargs`` (JSON values) and return how that went. ``env`` is the
        job's whole environment (a tool's own variables; the zygote's is empty), handed over
        the pipe only, never logged. Raises :class:`SandboxError` only when the sandbox itself failed."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._concurrency)
        limit = self.timeout if timeout is None else timeout
        async with self._slots:
            process = await self._ensure_started()
            job_id = str(next(self._ids))
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._pending[job_id] = future
            frame = json.dumps({"id": job_id, "code": code, "entry": entry, "args": args,
                                "kwargs": kwargs or {}, "env": env or {},
                                "timeout": limit, "memory": self.memory_mb << 20},
                               separators=(",", ":"), default=str).encode()
            try:
                assert process.stdin is not None
                process.stdin.write(struct.pack(">I", len(frame)) + frame)
                await process.stdin.drain()
                message = await asyncio.wait_for(future, limit + _GRACE)
            except (asyncio.TimeoutError, ConnectionError) as exc:
                await self._restart(f"the sandbox stopped answering ({type(exc).__name__})")
                raise SandboxError("the sandbox stopped answering; it was restarted") from None
            finally:
                self._pending.pop(job_id, None)
        return SandboxResult.from_wire(message)

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._process is not None and self._reader is not None and not self._reader.done():
                return self._process
            if self._process is not None:  # died: its reader saw the end of its output
                await self.close()
            self._workdir = tempfile.TemporaryDirectory(prefix="humanloop-sandbox-")
            # Readable and enterable by nobody, the user the zygote drops to.
            Path(self._workdir.name).chmod(0o711)
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-S", str(ZYGOTE), cwd=self._workdir.name, env={},
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
            ready = await self._read_frame(self._process)
            if not ready or not ready.get("ready"):
                raise SandboxError("the sandbox failed to start")
            self.isolation = dict(ready.get("isolation") or {})
            logger.info("sandbox started, isolation: %s", self.isolation)
            self._reader = asyncio.create_task(self._read_results(self._process))
            return self._process

    @staticmethod
    async def _read_frame(process: asyncio.subprocess.Process) -> dict[str, Any] | None:
        assert process.stdout is not None
        try:
            header = await process.stdout.readexactly(4)
            message: dict[str, Any] = json.loads(
                await process.stdout.readexactly(struct.unpack(">I", header)[0]))
            return message
        except (asyncio.IncompleteReadError, ValueError):
            return None

    async def _read_results(self, process: asyncio.subprocess.Process) -> None:
        while True:
            message = await self._read_frame(process)
            if message is None:
                break
            future = self._pending.get(str(message.get("id")))
            if future is not None and not future.done():
                future.set_result(message)
        self._fail_pending("the sandbox process died while running the code")

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_result({"ok": False, "kind": "crash", "error": reason})

    async def _restart(self, reason: str) -> None:
        logger.warning("restarting the sandbox: %s", reason)
        await self.close()

    async def close(self) -> None:
        """Stop the zygote (its children die with it: they are killed when it sees EOF)."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            # The zygote leads its own process group: this takes any running job with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        self._fail_pending("the sandbox was stopped while running the code")
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
