"""Connection pools the adapters build for themselves: one sync pool shared by every
instance, and one async client per running event loop, closed when that loop shuts down.

Chains and pipelines create many model instances; each owning a pool would leave sockets
open with nothing to close them, so instances built without a client share
:func:`shared_http_client` (timeouts are set per request by the Humanloop client).

An ``httpx.AsyncClient``'s pooled connections belong to the loop that opened them, and
LangChain and LlamaIndex run many coroutines each in a fresh loop (``asyncio.run``), so
an adapter that builds its own ``AsyncHumanloop`` needs one per loop. Replacing it when
the loop changes is not enough: by then the old loop is closed and the old client's
sockets can only leak (``ResourceWarning: unclosed transport``).

The close rides on the loop's own shutdown: ``asyncio.run`` (and ``asyncio.Runner``)
finalise every async generator still open in the loop before closing it
(``loop.shutdown_asyncgens()``), so each resource is held by a small async generator
whose ``finally`` closes it, inside the loop that owns it. A loop that is closed without
that step, or a holder dropped while its loop runs, still closes through the loop's
async-generator finaliser.

Example:
    >>> clients = PerLoop(lambda: AsyncHumanloop(), lambda c: c.close())
    >>> client = await clients.get()   # the same client for every call in this loop
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

import httpx

__all__ = ["PerLoop", "shared_http_client"]

T = TypeVar("T")


async def _hold(value: T, close: Callable[[T], Awaitable[object]]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await close(value)


class PerLoop(Generic[T]):
    """A value built once per running event loop and closed when that loop shuts down.

    Args:
        factory: Builds the value for the running loop (called inside it).
        close: Closes a value; awaited in the loop that built it, at that loop's shutdown.
    """

    __slots__ = ("_factory", "_close", "_held")

    def __init__(self, factory: Callable[[], T], close: Callable[[T], Awaitable[object]]) -> None:
        self._factory = factory
        self._close = close
        self._held: tuple[weakref.ref[asyncio.AbstractEventLoop], T, AsyncGenerator[None, None]] | None = None

    async def get(self) -> T:
        """The running loop's value, built on first use in that loop."""
        loop = asyncio.get_running_loop()
        held = self._held
        if held is not None and held[0]() is loop:
            return held[1]
        value = self._factory()
        keeper = _hold(value, self._close)
        # The first step registers the generator with this loop (its firstiter hook), so
        # shutdown_asyncgens() will run its finally; a strong reference keeps it alive.
        await keeper.asend(None)
        self._held = (weakref.ref(loop), value, keeper)
        return value

    def current(self) -> T | None:
        """The value of the running loop if one was built, without building one."""
        held = self._held
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return held[1] if held is not None and held[0]() is loop else None


@functools.cache
def shared_http_client() -> httpx.Client:
    """The one ``httpx.Client`` pool of every adapter instance built without a client."""
    return httpx.Client()
