"""Check httpx requests and responses against the wire contract with openapi-core.

Used by the client's end-to-end tests (every request they send is checked) and free for any
other suite: ``validate_request(request)`` / ``validate_response(request, response)`` raise
openapi-core's errors on a mismatch. ``SpecRecorder`` is an httpx event hook that collects the
requests a client sends, to check them all at the end of a test.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from scripts.gen_types import load_contract

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "humanloop-openapi-v5.json"
# The spec names only the hosted server; requests to a local server are checked as if sent
# there, keeping the path below /v5.
_SPEC_HOST = "https://api.humanloop.com"


@cache
def _contract() -> str:
    return json.dumps(load_contract())


def contract() -> dict[str, Any]:
    """A fresh copy of the whole contract: the v5 description with the overlay derived from the
    official SDK 0.8.38 laid over it (scripts/gen_types.py), so operations newer than v5
    (version PATCH/DELETE, retrieve-by-path, agents, runs, ...) are checked too."""
    return json.loads(_contract())


load_spec = contract  # the name earlier tests use


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(contract())


def _spec_path(url: httpx.URL) -> str:
    path = url.path
    index = path.find("/v5/")
    return path[index:] if index >= 0 else path


class _Request:
    """httpx.Request as openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        query = parse_qs(request.url.query.decode(), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict({}),
        )

    @property
    def host_url(self) -> str:
        return _SPEC_HOST

    @property
    def path(self) -> str:
        return _spec_path(self._request.url)

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        content = self._request.content
        return content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "").lower()


class _Response:
    """httpx.Response (already read) as openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.headers = Headers(dict(response.headers))

    @property
    def data(self) -> bytes:
        return self._response.content

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "").split(";")[0].lower()


@cache
def _query_names() -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    """(path regex, method, query parameter names) of every operation in the spec."""
    spec = contract()
    table = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^/v5" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, operation in item.items():
            params = operation.get("parameters", []) if isinstance(operation, dict) else []
            names = frozenset(p["name"] for p in params if p.get("in") == "query")
            table.append((pattern, method.upper(), names))
    return table


def unknown_query_params(request: httpx.Request) -> set[str]:
    """Query parameters the spec does not define for this operation (openapi-core lets
    them through; a client should never send them)."""
    path = _spec_path(request.url)
    sent = {key for key, _ in request.url.params.multi_items()}
    for pattern, method, names in _query_names():
        if method == request.method and pattern.match(path):
            return sent - names
    return sent


def validate_request(request: httpx.Request) -> None:
    """Raise unless ``request`` is one the spec allows (path, method, params, body), with
    no query parameter the spec does not define."""
    openapi().validate_request(_Request(request))
    unknown = unknown_query_params(request)
    if unknown:
        raise ValueError(f"query parameters not in the spec: {sorted(unknown)}")


def validate_response(request: httpx.Request, response: httpx.Response) -> None:
    """Raise unless ``response`` (read) is one the spec allows for ``request``."""
    openapi().validate_response(_Request(request), _Response(response))


class SpecRecorder:
    """Collects every request a client sends; install with ``event_hooks=recorder.hooks()``
    on an ``httpx.Client`` (or ``async_hooks()`` on an ``httpx.AsyncClient``)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def _record(self, request: httpx.Request) -> None:
        request.read()  # so the body can be checked after the call
        self.requests.append(request)

    async def _arecord(self, request: httpx.Request) -> None:
        await request.aread()
        self.requests.append(request)

    def hooks(self) -> dict[str, Any]:
        return {"request": [self._record]}

    def async_hooks(self) -> dict[str, Any]:
        return {"request": [self._arecord]}

    def check_all(self) -> None:
        """Raise naming the first request the spec rejects."""
        for request in self.requests:
            try:
                validate_request(request)
            except Exception as exc:
                raise AssertionError(
                    f"{request.method} {request.url} does not match the spec: {exc!r}"
                    f"\nbody: {request.content[:2000]!r}"
                ) from exc
