"""Every error the client raises, and the one table that maps a status to its class.

All of them derive from :class:`ApiError`, so ``except ApiError`` catches anything the
client raises. Messages name the method, the path, the status and the server's detail;
they are built from the response only, so the API key (a request header) never reaches
them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

# Headers a server or proxy may carry the request id in, most specific first.
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-humanloop-request-id", "x-amzn-requestid")
_MAX_DETAIL = 1000
_MAX_DATA = 500


class ApiError(Exception):
    """Base of everything the client raises.

    Attributes:
        status_code: HTTP status, or ``None`` when no response arrived.
        body: The response body parsed as JSON, else its text (``None`` when empty).
        headers: Response headers (empty when no response arrived).
        response: The ``httpx.Response``, when there was one.
        request_id: The server's request id, when a response header carried one.
    """

    status_code: int | None
    body: Any
    headers: dict[str, str]
    response: httpx.Response | None
    request_id: str | None

    def __init__(
        self,
        status_code: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        message: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers) if headers is not None else {}
        if response is not None:
            _scrub(response)
        self.response = response
        self.request_id = _request_id(self.headers)
        self.message = (
            message if message is not None else f"status_code: {status_code}, body: {body}"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the httpx objects: they hold the request, and an error may be
        # pickled to a log store, a queue or another process.
        state = {k: v for k, v in self.__dict__.items() if k not in ("response", "request")}
        return (_restore, (type(self), self.message, state))


def _restore(cls: type[ApiError], message: str, state: dict[str, Any]) -> ApiError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state, response=None)
    if isinstance(err, APIConnectionError):
        err.request = None
    return err


# Request headers that carry credentials: never kept on an error's request.
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})


def redacted(request: httpx.Request) -> httpx.Request:
    """A copy of ``request`` safe to keep on an error: no credential headers, no userinfo
    in the URL, and no body (a call's body may carry provider keys)."""
    headers = [(k, "[redacted]" if k.lower() in _SECRET_HEADERS else v)
               for k, v in request.headers.multi_items()]
    return httpx.Request(request.method, loggable(request.url), headers=headers)


def loggable(url: httpx.URL) -> httpx.URL:
    """``url`` without ``user:password@``: what logs, errors and reprs may show."""
    return url.copy_with(username=None, password=None) if url.userinfo else url


def _scrub(holder: Any) -> None:
    """Swap the request an httpx response or exception holds for its redacted copy."""
    try:
        request = holder.request
    except RuntimeError:  # httpx: "The request instance has not been set"
        return
    if request is not None and not getattr(request, "_humanloop_redacted", False):
        safe = redacted(request)
        safe._humanloop_redacted = True  # type: ignore[attr-defined]
        holder.request = safe

class BadRequestError(ApiError):
    """400: the server rejected the request as malformed."""


class AuthenticationError(ApiError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(ApiError):
    """403: the API key may not do this."""


class NotFoundError(ApiError):
    """404: no such resource."""


class ConflictError(ApiError):
    """409: the request conflicts with the resource's current state."""


class UnprocessableEntityError(ApiError):
    """422: the request body or parameters failed the server's validation."""


class RateLimitError(ApiError):
    """429: too many requests."""


class InternalServerError(ApiError):
    """Any status of 500 or more."""


class APIConnectionError(ApiError):
    """No usable response: the connection failed, was cut, or a stream ended mid-event."""

    def __init__(
        self, message: str = "Connection error.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(None, None, None, message=message)
        self.request = redacted(request) if request is not None else None


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""


class APIResponseValidationError(ApiError):
    """A 2xx body or a stream event that is not valid JSON of the expected type.

    ``body`` holds the offending data as received.
    """


class RequestValidationError(ApiError, ValueError):
    """An argument does not fit the spec's request model; raised before anything is sent.

    Also a ``ValueError``, as a wrong argument is one. ``status_code`` is ``None``.

    Attributes:
        fields: Dotted locations of the bad fields, e.g. ``["messages.0.role"]``.
    """

    def __init__(self, message: str, *, fields: list[str]) -> None:
        super().__init__(None, None, None, message=message)
        self.fields = fields


class PromptCallError(ApiError):
    """The call reached the server, but the model failed, and the log records the error.

    A streamed call reports it in an event after the chunks already received, so the
    adapters raise this once those chunks are delivered; ``body`` is the log (or the
    stream event) as JSON, ``body["id"]`` the log id.
    """


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class(status_code: int) -> type[ApiError]:
    """The error class for an HTTP status, from the one table above."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, ApiError)


def parse_body(content: bytes) -> Any:
    """The body as JSON when it parses, else as text; ``None`` when empty."""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


def error_from_response(response: httpx.Response) -> ApiError:
    """The typed error for a non-2xx response whose body has been read."""
    try:
        body = parse_body(response.content)
    except httpx.ResponseNotRead:  # the error body itself was cut off
        body = None
    status = response.status_code
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(status)
    message = f"{where(response.request)} -> {status} {reason}".rstrip()
    detail = describe_detail(body)
    if detail:
        message = f"{message}: {detail}"
    location = response.headers.get("location") if 300 <= status < 400 else None
    if location:
        target = loggable(response.request.url.join(location))
        message = (f"{message}: redirected to {target.scheme}://{target.netloc.decode()}"
                   f"{target.path}; redirects are not followed, so the API key goes nowhere else "
                   "(set base_url to the API's own address)")
    rid = _request_id(response.headers)
    if rid:
        message = f"{message} (request id {rid})"
    return error_class(status)(status, body, response.headers, message=message, response=response)


def too_large(response: httpx.Response, limit: int) -> APIResponseValidationError:
    """The error for a 2xx body past ``max_response_bytes`` (counted decoded)."""
    message = (f"{where(response.request)} -> {response.status_code}: the response body exceeds "
               f"max_response_bytes ({limit} bytes, decoded); it was not read further")
    return APIResponseValidationError(response.status_code, None, response.headers,
                                      message=message, response=response)


def error_from_event(response: httpx.Response, data: str) -> ApiError:
    """The error a server reports inside a 2xx stream as an ``event: error``.

    The payload's ``status_code`` (or ``status``) picks the class when it is an integer.
    """
    body = parse_body(data.encode())
    status = None
    if isinstance(body, dict):
        raw = body.get("status_code", body.get("status"))
        status = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    cls = error_class(status) if status is not None else ApiError
    detail = describe_detail(body) or "(no detail)"
    message = f"{where(response.request)}: the server reported an error mid-stream: {detail}"
    return cls(status, body, response.headers, message=message, response=response)


def model_failure(response: httpx.Response, data: str, error: str, after: int) -> PromptCallError:
    """The error for a stream item whose ``error`` field says the model failed."""
    message = (
        f"{where(response.request)}: the model failed mid-stream after {after} events: "
        f"{_truncate(error)}"
    )
    return PromptCallError(None, parse_body(data.encode()), response.headers, message=message,
                           response=response)


def validation_error(
    response: httpx.Response, data: str | bytes, target: str, reason: str
) -> APIResponseValidationError:
    """The error for data that does not parse as ``target``; the message shows the data."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    shown = text if len(text) <= _MAX_DATA else text[:_MAX_DATA] + "..."
    message = (
        f"{where(response.request)} -> {response.status_code}: could not parse {target}: "
        f"{_truncate(reason)}; data: {shown!r}"
    )
    return APIResponseValidationError(
        response.status_code, text, response.headers, message=message, response=response
    )


def connection_error(
    exc: Exception, request: httpx.Request | None, note: str = ""
) -> APIConnectionError:
    """Our error for an httpx transport failure (timeouts become ``APITimeoutError``).

    ``note`` says where it happened, e.g. ``" mid-stream after 3 events"``.
    """
    if isinstance(exc, httpx.RequestError):
        _scrub(exc)  # it is raised as this error's __cause__
    place = where(request) if request is not None else "request"
    cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{place}: timed out{note} ({cause})", request=request)
    return APIConnectionError(f"{place}: connection failed{note} ({cause})", request=request)


def describe_detail(body: Any) -> str:
    """The server's explanation in one line: FastAPI ``detail`` (422 items as ``loc: msg``),
    else a ``message``/``error`` field, else the body itself."""
    if body is None or body == "":
        return ""
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if key in body:
                return _describe_value(body[key])
    return _describe_value(body)


def _describe_value(value: Any) -> str:
    if isinstance(value, str):
        return _truncate(value)
    if isinstance(value, list) and all(isinstance(v, dict) and "msg" in v for v in value):
        parts = [f"{'.'.join(str(p) for p in v.get('loc', ()))}: {v['msg']}" for v in value]
        return _truncate("; ".join(parts))
    return _truncate(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))


def where(request: httpx.Request) -> str:
    """``"METHOD /path"`` of a request, as every message starts; the query is left out."""
    return f"{request.method} {request.url.path}"


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def _request_id(headers: Mapping[str, str]) -> str | None:
    if not headers:
        return None
    # httpx.Headers is case-insensitive already; a plain mapping from a caller may not be.
    lowered = (
        headers
        if isinstance(headers, httpx.Headers)
        else {k.lower(): v for k, v in headers.items()}
    )
    for name in _REQUEST_ID_HEADERS:
        value = lowered.get(name)
        if value:
            return value
    return None
