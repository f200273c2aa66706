"""Errors the server's services raise; app.py turns them into JSON responses."""

from __future__ import annotations

from typing import Any


class ApiProblem(Exception):
    """A request the server refuses, with a status and a detail saying what to fix."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        # Passed on to the response, e.g. a provider's Retry-After on a 429.
        self.headers = headers


def not_found(what: str, key: str) -> ApiProblem:
    return ApiProblem(404, f"{what} not found: {key!r}")


def invalid(loc: list[str | int], msg: str, type_: str = "value_error") -> ApiProblem:
    """A 422 shaped like FastAPI's ``HTTPValidationError``, so clients parse one format."""
    return ApiProblem(422, [{"loc": loc, "msg": msg, "type": type_}])
