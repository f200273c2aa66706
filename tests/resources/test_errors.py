"""Errors the local server really produces, as typed errors that name what happened."""

from __future__ import annotations

import pytest

from humanloop_core import (
    ApiError,
    AsyncHumanloop,
    AuthenticationError,
    ConflictError,
    Humanloop,
    NotFoundError,
)
from tests.resources.conftest import MOCK_KERNEL, Api


@pytest.mark.parametrize("cls", [Humanloop, AsyncHumanloop])
async def test_wrong_key_is_authentication_error_without_the_key(cls: type, base_url: str) -> None:
    api = Api(cls(api_key="hl-wrong-key-123", base_url=base_url, max_retries=0))
    with pytest.raises(AuthenticationError) as info:
        await api.prompts.list()
    assert info.value.status_code == 401
    assert "hl-wrong-key-123" not in str(info.value) and "hl-wrong-key-123" not in repr(info.value)
    assert "GET /v5/prompts" in str(info.value)


async def test_not_found_carries_status_body_and_response(hl: Api) -> None:
    with pytest.raises(NotFoundError) as info:
        await hl.tools.get("tl_missing")
    error = info.value
    assert isinstance(error, ApiError)
    assert error.status_code == 404 and error.response is not None
    assert error.response.status_code == 404 and isinstance(error.body, dict)
    assert "GET /v5/tools/tl_missing -> 404" in str(error)
    # The server names each request; the error carries that id for support and log lookup.
    assert error.request_id == error.response.headers["x-request-id"]
    assert error.request_id is not None and len(error.request_id) == 32


async def test_conflict_on_a_path_of_another_type(hl: Api, unique_path: str) -> None:
    await hl.prompts.upsert(path=unique_path, **MOCK_KERNEL)
    with pytest.raises(ConflictError) as info:
        await hl.flows.upsert(path=unique_path, attributes={},
                              request_options={"max_retries": 0})
    assert info.value.status_code == 409 and unique_path in str(info.value)
