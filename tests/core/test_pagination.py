"""Pagers: every item of every page, and never a request for a page that must be empty."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest

from humanloop_core.core import AsyncPager, SyncPager
from humanloop_core.core._operation import Operation
from humanloop_core.core._pagination import next_page_number
from tests.core.harness import Harness
from tests.core.models import Page


def page_server(
    total: int, fail_on_page: int | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """Serves ``total`` items, paged by the request's ``page`` and ``size``."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["size"])
        if page == fail_on_page:
            return httpx.Response(404, json={"detail": "no such page"})
        start = (page - 1) * size
        records = [{"id": f"it_{i}"} for i in range(start, min(start + size, total))]
        return httpx.Response(
            200, json={"records": records, "page": page, "size": size, "total": total}
        )

    return handler


def list_op(size: int) -> Callable[[int], Operation[Page]]:
    def make_op(page: int) -> Operation[Page]:
        return Operation(
            name="items.list",
            method="GET",
            path="/items",
            cast_to=Page,
            params={"page": page, "size": size},
        )

    return make_op


@pytest.mark.parametrize(
    ("total", "size", "requests", "pages"),
    [
        (5, 2, 3, [2, 2, 1]),
        (4, 2, 2, [2, 2]),  # exactly full: the empty third page is never fetched
        (0, 10, 1, [0]),
        (3, 10, 1, [3]),
        (10, 1, 10, [1] * 10),
    ],
)
async def test_iterates_every_item_with_minimal_requests(
    make: Callable[..., Harness], total: int, size: int, requests: int, pages: list[int]
) -> None:
    h = make(page_server(total))
    pager = await h.paginate(list_op(size))
    assert isinstance(pager, SyncPager if h.kind == "sync" else AsyncPager)
    assert len(h.requests) == 1  # the first page is fetched at once
    items = await h.all_items(pager)
    assert [i.id for i in items] == [f"it_{i}" for i in range(total)]
    assert len(h.requests) == requests

    h.requests.clear()
    assert await h.page_sizes(pager) == pages
    assert len(h.requests) == requests - 1  # the first page is not fetched again


async def test_items_has_next_and_next_page(make: Callable[..., Harness]) -> None:
    h = make(page_server(3))
    first = await h.paginate(list_op(2))
    assert [i.id for i in first.items] == ["it_0", "it_1"]
    assert first.has_next
    second = await h.next_page(first)
    assert [i.id for i in second.items] == ["it_2"]
    assert not second.has_next
    assert await h.next_page(second) is None
    assert len(h.requests) == 2
    assert [r.url.params["page"] for r in h.requests] == ["1", "2"]


async def test_starting_page(make: Callable[..., Harness]) -> None:
    h = make(page_server(7))
    pager = await h.paginate(list_op(3), page=2)
    assert [i.id for i in await h.all_items(pager)] == ["it_3", "it_4", "it_5", "it_6"]
    assert [r.url.params["page"] for r in h.requests] == ["2", "3"]


async def test_error_on_a_later_page_propagates(make: Callable[..., Harness]) -> None:
    h = make(page_server(6, fail_on_page=2), max_retries=0)
    pager = await h.paginate(list_op(2))
    with pytest.raises(Exception, match="no such page"):
        await h.all_items(pager)


@pytest.mark.parametrize(
    ("requested", "page", "size", "total", "count", "expected"),
    [
        (1, 1, 10, 25, 10, 2),
        (2, 2, 10, 25, 10, 3),
        (3, 3, 10, 25, 5, None),  # short page: the last
        (2, 2, 10, 20, 10, None),  # full page that reaches the total
        (1, 1, 10, 100, 0, None),  # an empty page ends it whatever total says
        (1, 1, 0, 100, 0, None),
        (4, 0, 5, 100, 5, 5),  # server did not echo the page: use the requested one
    ],
)
def test_next_page_number(
    requested: int, page: int, size: int, total: int, count: int, expected: int | None
) -> None:
    model = SimpleNamespace(records=[object()] * count, page=page, size=size, total=total)
    assert next_page_number(requested, model) == expected


def test_repr() -> None:
    model = SimpleNamespace(records=[1, 2], page=1, size=2, total=9)
    assert repr(SyncPager(model, 1, lambda n: None)) == "SyncPager(page=1, items=2, total=9)"
