"""The telemetry hook the transport calls, as protocols, with a no-op stand-in.

``humanloop_core.tracing.Telemetry`` implements these; the transport only knows the shape.
The contract: ``start()`` once per call; ``inject()`` on every attempt, and each attempt
is sent inside ``sending()`` (the call's span is current there, so instrumentation of
the HTTP layer nests under it); then
``succeed()`` or ``fail()`` for a plain call, ``chunk()`` per item and ``end()`` or
``fail()`` for a stream. Implementations never raise.
"""

from __future__ import annotations

import contextlib
import importlib
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from ._operation import Operation


class Invocation(Protocol):
    def inject(self, headers: dict[str, str]) -> None: ...
    def sending(self) -> AbstractContextManager[object]: ...
    def succeed(self, result: Any, status_code: int | None = None) -> None: ...
    def chunk(self, item: Any) -> None: ...
    def fail(self, exc: BaseException) -> None: ...
    def end(self) -> None: ...


class TelemetryHook(Protocol):
    def start(self, op: Operation[Any], url: httpx.URL) -> Invocation: ...


_NOTHING_CURRENT: AbstractContextManager[object] = contextlib.nullcontext()  # reusable


class NoopInvocation:
    __slots__ = ()

    def inject(self, headers: dict[str, str]) -> None:
        pass

    def sending(self) -> AbstractContextManager[object]:
        return _NOTHING_CURRENT

    def succeed(self, result: Any, status_code: int | None = None) -> None:
        pass

    def chunk(self, item: Any) -> None:
        pass

    def fail(self, exc: BaseException) -> None:
        pass

    def end(self) -> None:
        pass


_NOOP_INVOCATION = NoopInvocation()


class NoopTelemetry:
    """Used when the tracing module is not available: every call does nothing."""

    __slots__ = ()

    def start(self, op: Operation[Any], url: httpx.URL) -> Invocation:
        return _NOOP_INVOCATION


def default_telemetry() -> TelemetryHook:
    """The project's tracing hook (global OpenTelemetry providers), else the no-op.

    Imported here, when a transport is built, so ``import humanloop_core.core`` stays light.
    """
    try:
        tracing = importlib.import_module("humanloop_core.tracing")
    except ModuleNotFoundError as exc:
        if exc.name != "humanloop_core.tracing":
            raise  # tracing exists but is broken: say so rather than trace nothing
        return NoopTelemetry()
    hook: TelemetryHook = tracing.Telemetry()
    return hook
