"""Check httpx requests and responses against the vendored v5 spec with openapi-core.

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

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "humanloop-openapi-v5.json"
# The spec names only the hosted server; requests to a local server are checked as if sent
# there, keeping the path below /v5.
_SPEC_HOST = "https://api.humanloop.com"


_KINDS = {"prompts": "Prompt", "tools": "Tool", "datasets": "Dataset", "evaluators": "Evaluator",
          "flows": "Flow"}


def _sdk_0838_overlay(spec: dict[str, Any]) -> dict[str, Any]:
    """What the official SDK 0.8.38 speaks beyond the v5 description (its raw clients are the
    contract there): version names and descriptions, ``log_id`` in a call's response,
    ``POST /files/retrieve-by-path``, and ``PATCH``/``DELETE`` of one version."""
    schemas = spec["components"]["schemas"]
    schemas["PromptCallResponse"]["properties"]["log_id"] = {"type": "string"}
    label = {"type": "string"}
    for name in _KINDS.values():
        for schema in (f"{name}Request", f"{name}Response",
                       f"src__external__app__models__v5__{name.lower()}s__{name}Request"):
            if schema in schemas:
                schemas[schema]["properties"].update(version_name=label, version_description=label)
    schemas["UpdateVersionRequest"] = {"type": "object", "additionalProperties": False,
                                       "properties": {"name": label, "description": label}}
    json_body = {"application/json": {"schema": {"$ref": "#/components/schemas/UpdateVersionRequest"}}}
    invalid = {"description": "Validation Error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}
    for route, name in _KINDS.items():
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in ("id", "version_id")]
        ok = {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{name}Response"}}}}
        spec["paths"][f"/{route}/{{id}}/versions/{{version_id}}"] = {
            "patch": {"parameters": params, "requestBody": {"content": json_body, "required": True},
                      "responses": {"200": ok, "422": invalid}},
            "delete": {"parameters": params, "responses": {"204": {"description": "Deleted"},
                                                           "422": invalid}},
        }
    any_file = {"anyOf": [{"$ref": f"#/components/schemas/{n}Response"} for n in _KINDS.values()]}
    query = [{"name": n, "in": "query", "required": False, "schema": {"type": t}}
             for n, t in (("environment", "string"), ("version_id", "string"),
                          ("include_raw_file_content", "boolean"))]
    spec["paths"]["/files/retrieve-by-path"] = {"post": {
        "parameters": query,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["path"], "additionalProperties": False,
            "properties": {"path": {"type": "string"}}}}}},
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": any_file}}}, "422": invalid}}}
    return spec


def load_spec() -> dict[str, Any]:
    """The vendored v5 description with the SDK 0.8.38 additions the server serves."""
    return _sdk_0838_overlay(json.loads(SPEC_PATH.read_text()))


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(load_spec())


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
    spec = load_spec()
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
