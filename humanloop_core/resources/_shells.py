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
    from ._files import FileKind

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F")  # a file kind's response model, e.g. PromptResponse
V = TypeVar("V")  # its versions list, e.g. ListPrompts
C = TypeVar("C", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Pages(Generic[T]):
    """What a list builder returns: how to build page ``n``, and where to start."""

    make_op: Callable[[int], Operation[Any]]
    page: int | None
    size: int | None


def _as_method(
    method: Callable[..., Any], build: Callable[..., Any], returns: str, bound: bool = False
) -> None:
    """Name, document and sign ``method`` after ``build``: ``self`` first, and the result
    type the caller gets (``returns`` wraps the builder's ``Operation[X]``/``Pages[X]``).
    A ``bound`` builder's first parameter (the file kind) comes from the resource."""
    functools.update_wrapper(method, build)
    name = build.__name__.lstrip("_")
    method.__name__ = method.__qualname__ = name
    signature = inspect.signature(build)
    annotation = str(signature.return_annotation)
    item = re.sub(r"^\w+\[(.*)\]$", r"\1", annotation)
    params = [*signature.parameters.values()][1 if bound else 0 :]
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *_expand_kwargs(build, params)],
        return_annotation=returns.format(item),
    )
    del method.__wrapped__  # type: ignore[attr-defined]  # inspect must use __signature__


def _expand_kwargs(
    build: Callable[..., Any], params: list[inspect.Parameter]
) -> list[inspect.Parameter]:
    """``**kwargs: Unpack[Args]`` shown as Args' keyword-only parameters, so ``help()`` and
    ``inspect`` list each keyword (the argument list is written once, as the TypedDict)."""
    out: list[inspect.Parameter] = []
    for param in params:
        match = re.fullmatch(r"Unpack\[(\w+)\]", str(param.annotation))
        if param.kind is not inspect.Parameter.VAR_KEYWORD or match is None:
            out.append(param)
            continue
        args = build.__globals__[match.group(1)]
        out += [
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=getattr(ann, "__forward_arg__", ann))
            for key, ann in args.__annotations__.items()
        ]
    return out


def listed_keywords(method: C) -> C:
    """Show a hand-written method's ``**kwargs: Unpack[Args]`` as Args' keywords (as the
    generated methods do), for ``help()``, ``inspect`` and the signature tests."""
    signature = inspect.signature(method)
    params = _expand_kwargs(method, [*signature.parameters.values()])
    method.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return method


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


# File operations written once for every kind (see ``_files``): the builder's first
# parameter is the ``FileKind``, taken from the resource; the result type follows the
# resource's file model ``F`` or versions list ``V``.


def _kind_of(resource: Any) -> FileKind[Any, Any]:
    kind: FileKind[Any, Any] = resource._kind
    return kind


def sync_file(
    build: Callable[Concatenate[FileKind[Any, Any], P], Operation[Any]],
) -> Callable[Concatenate[_FileShell[F, V], P], F]:
    def method(self: _FileShell[F, V], /, *args: P.args, **kwargs: P.kwargs) -> F:
        result: F = self._transport.execute(build(_kind_of(self), *args, **kwargs))
        return result

    _as_method(method, build, "{}", bound=True)
    return method


def async_file(
    build: Callable[Concatenate[FileKind[Any, Any], P], Operation[Any]],
) -> Callable[Concatenate[_AsyncFileShell[F, V], P], Coroutine[Any, Any, F]]:
    async def method(self: _AsyncFileShell[F, V], /, *args: P.args, **kwargs: P.kwargs) -> F:
        result: F = await self._transport.execute(build(_kind_of(self), *args, **kwargs))
        return result

    _as_method(method, build, "{}", bound=True)
    return method


def sync_versions(
    build: Callable[Concatenate[FileKind[Any, Any], P], Operation[Any]],
) -> Callable[Concatenate[_FileShell[F, V], P], V]:
    def method(self: _FileShell[F, V], /, *args: P.args, **kwargs: P.kwargs) -> V:
        result: V = self._transport.execute(build(_kind_of(self), *args, **kwargs))
        return result

    _as_method(method, build, "{}", bound=True)
    return method


def async_versions(
    build: Callable[Concatenate[FileKind[Any, Any], P], Operation[Any]],
) -> Callable[Concatenate[_AsyncFileShell[F, V], P], Coroutine[Any, Any, V]]:
    async def method(self: _AsyncFileShell[F, V], /, *args: P.args, **kwargs: P.kwargs) -> V:
        result: V = await self._transport.execute(build(_kind_of(self), *args, **kwargs))
        return result

    _as_method(method, build, "{}", bound=True)
    return method


def sync_kind(
    build: Callable[Concatenate[FileKind[Any, Any], P], Operation[T]],
) -> Callable[Concatenate[SyncResource, P], T]:
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._transport.execute(build(_kind_of(self), *args, **kwargs))

    _as_method(method, build, "{}", bound=True)
    return method


def async_kind(
    build: Callable[Concatenate[FileKind[Any, Any], P], Operation[T]],
) -> Callable[Concatenate[AsyncResource, P], Coroutine[Any, Any, T]]:
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._transport.execute(build(_kind_of(self), *args, **kwargs))

    _as_method(method, build, "{}", bound=True)
    return method


def sync_file_pages(
    build: Callable[Concatenate[FileKind[Any, Any], P], Pages[Any]],
) -> Callable[Concatenate[_FileShell[F, V], P], SyncPager[F]]:
    def method(self: _FileShell[F, V], /, *args: P.args, **kwargs: P.kwargs) -> SyncPager[F]:
        pages = build(_kind_of(self), *args, **kwargs)
        pager: SyncPager[F] = self._transport.paginate(pages.make_op, pages.page, pages.size)
        return pager

    _as_method(method, build, "SyncPager[{}]", bound=True)
    return method


def async_file_pages(
    build: Callable[Concatenate[FileKind[Any, Any], P], Pages[Any]],
) -> Callable[Concatenate[_AsyncFileShell[F, V], P], Coroutine[Any, Any, AsyncPager[F]]]:
    async def method(
        self: _AsyncFileShell[F, V], /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncPager[F]:
        pages = build(_kind_of(self), *args, **kwargs)
        pager: AsyncPager[F] = await self._transport.paginate(
            pages.make_op, pages.page, pages.size
        )
        return pager

    _as_method(method, build, "AsyncPager[{}]", bound=True)
    return method


class _FileShell(SyncResource, Generic[F, V]):
    """The self type of a file operation: a sync resource of file model F, versions V."""

    _kind: FileKind[F, V]


class _AsyncFileShell(AsyncResource, Generic[F, V]):
    _kind: FileKind[F, V]


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
