"""``SyncPager`` / ``AsyncPager`` over the v5 page envelope (``records``, ``page``, ``size``,
``total``). Whether there is a next page is decided once, by :func:`next_page_number`, from
the page itself: no request is ever spent on a page that must be empty."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def next_page_number(requested: int, page: Any) -> int | None:
    """The number of the page after ``page``, or ``None`` when it would be empty.

    Args:
        requested: The page number asked for (used when the server does not echo it).
        page: The page model received.
    """
    count = len(page.records)
    number = page.page or requested
    size, total = page.size, page.total
    if count == 0 or size <= 0 or count < size or number * size >= total:
        return None
    return int(number) + 1


class _PagerBase(Generic[T]):
    __slots__ = ("page", "items", "_number", "_next")

    def __init__(self, page: Any, number: int) -> None:
        self.page = page
        self.items: list[T] = page.records
        self._number = number
        self._next = next_page_number(number, page)

    @property
    def has_next(self) -> bool:
        """Whether another, non-empty page exists (from page, size and total)."""
        return self._next is not None

    def __repr__(self) -> str:
        total = getattr(self.page, "total", None)
        return f"{type(self).__name__}(page={self._number}, items={len(self.items)}, total={total})"


class SyncPager(_PagerBase[T]):
    """One page of a list, able to fetch the rest.

    Iterating yields every item of this page and the pages after it.

    Attributes:
        items: This page's items.
        page: This page's raw model (``records``, ``page``, ``size``, ``total``).
    """

    __slots__ = ("_fetch",)

    def __init__(self, page: Any, number: int, fetch: Callable[[int], Any]) -> None:
        super().__init__(page, number)
        self._fetch = fetch

    def next_page(self) -> SyncPager[T] | None:
        """Fetch the next page; ``None`` (and no request) when there is none."""
        if self._next is None:
            return None
        return SyncPager(self._fetch(self._next), self._next, self._fetch)

    def iter_pages(self) -> Iterator[SyncPager[T]]:
        """This page, then each following page, fetched as the loop reaches it."""
        pager: SyncPager[T] | None = self
        while pager is not None:
            yield pager
            pager = pager.next_page()

    def __iter__(self) -> Iterator[T]:
        for pager in self.iter_pages():
            yield from pager.items


class AsyncPager(_PagerBase[T]):
    """The async twin of :class:`SyncPager`: ``async for``, ``await next_page()``."""

    __slots__ = ("_fetch",)

    def __init__(self, page: Any, number: int, fetch: Callable[[int], Awaitable[Any]]) -> None:
        super().__init__(page, number)
        self._fetch = fetch

    async def next_page(self) -> AsyncPager[T] | None:
        """Fetch the next page; ``None`` (and no request) when there is none."""
        if self._next is None:
            return None
        return AsyncPager(await self._fetch(self._next), self._next, self._fetch)

    async def iter_pages(self) -> AsyncIterator[AsyncPager[T]]:
        """This page, then each following page, fetched as the loop reaches it."""
        pager: AsyncPager[T] | None = self
        while pager is not None:
            yield pager
            pager = await pager.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for pager in self.iter_pages():
            for item in pager.items:
                yield item
