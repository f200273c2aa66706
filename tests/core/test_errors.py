"""Every error class, chosen from the status table, with a message a person can act on."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

import humanloop_core.core as core
from humanloop_core.core import (
    APIConnectionError,
    ApiError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from humanloop_core.core.errors import error_class
from tests.core.harness import API_KEY, Harness, replies
from tests.core.models import get_op, post_op


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, ApiError),
        (302, ApiError),
    ],
)
async def test_status_picks_the_class(
    make: Callable[..., Harness], status: int, cls: type[ApiError]
) -> None:
    h = make(
        replies(
            httpx.Response(
                status, json={"detail": "what went wrong"}, headers={"x-request-id": "req_42"}
            )
        ),
        max_retries=0,
    )
    with pytest.raises(ApiError) as info:
        await h.execute(post_op())
    err = info.value
    assert type(err) is cls
    assert error_class(status) is cls
    assert err.status_code == status
    assert err.body == {"detail": "what went wrong"}
    assert err.headers["x-request-id"] == "req_42"
    assert err.request_id == "req_42"
    assert isinstance(err.response, httpx.Response) and err.response.status_code == status
    message = str(err)
    assert message.startswith(f"POST /v5/items -> {status}")
    assert "what went wrong" in message and "req_42" in message
    assert API_KEY not in message and API_KEY not in repr(err)


async def test_422_details_summarised_as_loc_msg(make: Callable[..., Harness]) -> None:
    detail = [
        {"loc": ["body", "messages", 0, "role"], "msg": "Input should be 'user'", "type": "enum"},
        {"loc": ["query", "size"], "msg": "Field required", "type": "missing"},
    ]
    h = make(replies(httpx.Response(422, json={"detail": detail})))
    with pytest.raises(UnprocessableEntityError) as info:
        await h.execute(get_op())
    assert str(info.value) == (
        "GET /v5/items/it_1 -> 422 Unprocessable Entity: "
        "body.messages.0.role: Input should be 'user'; query.size: Field required"
    )
    assert info.value.body == {"detail": detail}


async def test_text_body_and_empty_body(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(400, text="plain words")))
    with pytest.raises(BadRequestError) as info:
        await h.execute(get_op())
    assert info.value.body == "plain words"
    assert str(info.value).endswith("400 Bad Request: plain words")

    h = make(replies(httpx.Response(404)))
    with pytest.raises(NotFoundError) as info2:
        await h.execute(get_op())
    assert info2.value.body is None
    assert str(info2.value) == "GET /v5/items/it_1 -> 404 Not Found"


async def test_server_echoing_headers_still_cannot_leak_the_key_into_the_message(
    make: Callable[..., Harness],
) -> None:
    # The message comes from the response alone; the request's headers never reach it.
    h = make(replies(httpx.Response(401, json={"detail": "Invalid API key"})))
    with pytest.raises(AuthenticationError) as info:
        await h.execute(get_op())
    assert h.requests[0].headers["x-api-key"] == API_KEY
    assert API_KEY not in str(info.value)
    assert "Invalid API key" in str(info.value)


async def test_connection_and_timeout_errors(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.ConnectError("connection refused")), max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        await h.execute(get_op())
    err = info.value
    assert type(err) is APIConnectionError and isinstance(err, ApiError)
    assert err.status_code is None and err.response is None and err.headers == {}
    assert str(err) == "GET /v5/items/it_1: connection failed (ConnectError: connection refused)"

    h = make(replies(httpx.WriteTimeout("too slow")), max_retries=0)
    with pytest.raises(APITimeoutError) as tinfo:
        await h.execute(get_op())
    assert isinstance(tinfo.value, APIConnectionError)
    assert "timed out" in str(tinfo.value)


async def test_unparsable_success_body(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, text="<html>proxy page</html>")))
    with pytest.raises(APIResponseValidationError) as info:
        await h.execute(get_op())
    assert info.value.status_code == 200
    assert info.value.body == "<html>proxy page</html>"
    assert "<html>proxy page</html>" in str(info.value) and "Item" in str(info.value)

    h = make(replies(httpx.Response(200, json={"n": 1})))
    with pytest.raises(APIResponseValidationError) as info:
        await h.execute(get_op())
    assert "id: Field required" in str(info.value)
    assert h.telemetry.names() == ["start", "inject", "fail"]


def test_long_data_is_truncated_in_the_message() -> None:
    from humanloop_core.core.errors import validation_error

    request = httpx.Request("GET", "http://hl.test/v5/x")
    response = httpx.Response(200, request=request)
    err = validation_error(response, "x" * 5000, "Item", "bad")
    assert len(str(err)) < 700 and err.body == "x" * 5000


def test_constructible_like_the_official_sdk() -> None:
    err = ApiError(status_code=404, body={"detail": "nope"}, headers={"X-Request-Id": "r1"})
    assert err.status_code == 404 and err.body == {"detail": "nope"}
    assert err.request_id == "r1"
    assert str(err) == "status_code: 404, body: {'detail': 'nope'}"
    positional = NotFoundError(404, "gone", {})
    assert (positional.status_code, positional.body, positional.request_id) == (404, "gone", None)


def test_error_event_without_status_is_plain_api_error() -> None:
    from humanloop_core.core.errors import error_from_event

    response = httpx.Response(200, request=httpx.Request("POST", "http://hl.test/v5/prompts/call"))
    err = error_from_event(response, '{"message": "model overloaded"}')
    assert type(err) is ApiError and err.status_code is None
    assert "model overloaded" in str(err) and "POST /v5/prompts/call" in str(err)


def test_api_error_module_path() -> None:
    from humanloop_core.core.api_error import ApiError as FromModule

    assert FromModule is ApiError is core.ApiError


def test_every_error_derives_from_api_error() -> None:
    errors = [getattr(core, name) for name in core.__all__ if name.endswith("Error")]
    assert len(errors) == 14
    assert all(issubclass(cls, ApiError) for cls in errors)
