"""Sync and async methods made from one operation builder.

A resource method is written once, as a module-level builder whose signature is the
method's (``self`` aside) and whose body returns the ``Operation`` (or ``Pages``) to send.
``sync_call(build)`` / ``async_call(build)`` turn it into the blocking and the awaitable
method, so the two clients cannot drift apart; the builder's signature and docstring are
what ``help()``, ``inspect`` and type checkers see.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from ..core._operation import Operation
from ._base import AsyncResource, SyncResource

if TYPE_CHECKING:
    from ..core._pagination import AsyncPager, SyncPager
    from ..core._streaming import AsyncStream, Stream

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Pages(Generic[T]):
    """What a list builder returns: how to build page ``n``, and where to start."""

    make_op: Callable[[int], Operation[Any]]
    page: int | None
    size: int | None


def _as_method(method: Callable[..., Any], build: Callable[..., Any], returns: str) -> None:
    """Name, document and sign ``method`` after ``build``: ``self`` first, and the result
    type the caller gets (``returns`` wraps the builder's ``Operation[X]``/``Pages[X]``)."""
    functools.update_wrapper(method, build)
    name = build.__name__.lstrip("_")
    method.__name__ = method.__qualname__ = name
    signature = inspect.signature(build)
    annotation = str(signature.return_annotation)
    item = re.sub(r"^\w+\[(.*)\]$", r"\1", annotation)
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *signature.parameters.values()],
        return_annotation=returns.format(item),
    )
    del method.__wrapped__  # type: ignore[attr-defined]  # inspect must use __signature__


def sync_call(build: Callable[P, Operation[T]]) -> Callable[Concatenate[SyncResource, P], T]:
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._transport.execute(build(*args, **kwargs))

    _as_method(method, build, "{}")
    return method


def async_call(
    build: Callable[P, Operation[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, T]]:
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._transport.execute(build(*args, **kwargs))

    _as_method(method, build, "{}")
    return method


def sync_stream(
    build: Callable[P, Operation[T]],
) -> Callable[Concatenate[SyncResource, P], Stream[T]]:
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> Stream[T]:
        return self._transport.stream(build(*args, **kwargs))

    _as_method(method, build, "Stream[{}]")
    return method


def async_stream(
    build: Callable[P, Operation[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, AsyncStream[T]]]:
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncStream[T]:
        return await self._transport.stream(build(*args, **kwargs))

    _as_method(method, build, "AsyncStream[{}]")
    return method


def sync_pages(build: Callable[P, Pages[T]]) -> Callable[Concatenate[SyncResource, P], SyncPager[T]]:
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> SyncPager[T]:
        pages = build(*args, **kwargs)
        pager: SyncPager[T] = self._transport.paginate(pages.make_op, pages.page, pages.size)
        return pager

    _as_method(method, build, "SyncPager[{}]")
    return method


def async_pages(
    build: Callable[P, Pages[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, AsyncPager[T]]]:
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncPager[T]:
        pages = build(*args, **kwargs)
        pager: AsyncPager[T] = await self._transport.paginate(pages.make_op, pages.page,
                                                               pages.size)
        return pager

    _as_method(method, build, "AsyncPager[{}]")
    return method
