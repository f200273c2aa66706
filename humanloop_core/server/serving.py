"""Requests whose cleanup must finish before the server process exits.

On SIGTERM uvicorn lets requests run for the graceful period, then cancels the rest and
runs the app's lifespan shutdown, and (from the CLI) re-raises the signal, ending the
process. A stream cancelled there still has to store the log of what it produced (its
cleanup, see calls.stream): run in the cancelled task, after the cancel. Nothing waited
for it, so the CLI stored none of them (``LocalServer``, whose thread outlives the loop,
happened to). The app registers such requests here and its lifespan shutdown waits,
boundedly, for them: every way of serving (CLI, ``--workers``, ``LocalServer``) drains.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

# How long cancelled requests get to finish their cleanup (one log write each).
CLEANUP_TIMEOUT = 5.0


class Draining:
    """The tasks of requests that write on their way out."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def add_current(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def track(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``events``, with the task that sends them registered (a streamed response runs
        in a task of its own)."""
        self.add_current()
        async for event in events:
            yield event

    async def wait(self, timeout: float = CLEANUP_TIMEOUT) -> None:
        pending = [task for task in self._tasks if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
