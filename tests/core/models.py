"""Small wire models for the transport tests (the transport is generic over them)."""

from __future__ import annotations

from pydantic import BaseModel

from humanloop_core.core._operation import Operation


class Item(BaseModel):
    id: str
    n: int = 0


class Page(BaseModel):
    records: list[Item]
    page: int
    size: int
    total: int


def get_op(**kw: object) -> Operation[Item]:
    base: dict[str, object] = {
        "name": "items.get",
        "method": "GET",
        "path": "/items/it_1",
        "cast_to": Item,
    }
    base.update(kw)
    return Operation(**base)  # type: ignore[arg-type]


def post_op(**kw: object) -> Operation[Item]:
    base: dict[str, object] = {
        "name": "items.create",
        "method": "POST",
        "path": "/items",
        "cast_to": Item,
        "json": {"id": "it_1"},
    }
    base.update(kw)
    return Operation(**base)  # type: ignore[arg-type]


def stream_op(**kw: object) -> Operation[Item]:
    base: dict[str, object] = {
        "name": "items.stream",
        "method": "POST",
        "path": "/items/stream",
        "json": {"stream": True},
        "stream_item": Item,
    }
    base.update(kw)
    return Operation(**base)  # type: ignore[arg-type]


def ok(item_id: str = "it_1", n: int = 0) -> dict[str, object]:
    return {"id": item_id, "n": n}
