"""The spec check itself must be able to fail, or the e2e suite's checks mean nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.spec import SpecRecorder

BASE = "http://127.0.0.1:9/v5"
KEY = {"X-API-KEY": "k"}


def _checked(request: httpx.Request) -> None:
    recorder = SpecRecorder()
    recorder.requests.append(request)
    recorder.check_all()


def test_accepts_a_valid_request() -> None:
    _checked(httpx.Request("POST", f"{BASE}/prompts/call", headers=KEY,
                           json={"path": "p", "messages": [{"role": "user", "content": "hi"}]}))


@pytest.mark.parametrize("request_", [
    httpx.Request("POST", f"{BASE}/prompts/call", headers=KEY, json={"path": "p", "colour": 1}),
    httpx.Request("POST", f"{BASE}/prompts/call", json={"path": "p"}),  # no key
    httpx.Request("GET", f"{BASE}/prompts?page=1&colour=red", headers=KEY),
    httpx.Request("GET", f"{BASE}/logs", headers=KEY),  # file_id is required
    httpx.Request("PUT", f"{BASE}/prompts/pr_1", headers=KEY),
], ids=["extra-body-field", "no-api-key", "unknown-query", "missing-required-query", "bad-method"])
def test_rejects_what_the_spec_forbids(request_: httpx.Request) -> None:
    with pytest.raises(AssertionError, match="does not match the spec"):
        _checked(request_)


async def test_async_hooks_record_requests() -> None:
    recorder = SpecRecorder()
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    async with httpx.AsyncClient(transport=transport, event_hooks=recorder.async_hooks()) as http:
        await http.get(f"{BASE}/directories", headers=KEY)
    assert [r.url.path for r in recorder.requests] == ["/v5/directories"]
    recorder.check_all()
