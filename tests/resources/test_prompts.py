"""prompts.*: every method against the local server, sync and async (see conftest)."""

from __future__ import annotations

from typing import Any

import pytest

from humanloop_core import AsyncStream, NotFoundError, PromptCallError, Stream
from humanloop_core.types import (
    ChatMessage,
    CreatePromptLogResponse,
    PromptCallResponse,
    PromptCallStreamResponse,
    PromptKernelRequest,
    PromptLogResponse,
    PromptResponse,
)
from tests.resources.conftest import MOCK_KERNEL, Api

USER = [{"role": "user", "content": "hello there"}]


async def test_upsert_creates_then_versions(hl: Api, unique_path: str) -> None:
    first = await hl.prompts.upsert(path=unique_path, temperature=0.2, **MOCK_KERNEL)
    same = await hl.prompts.upsert(path=unique_path, temperature=0.2, **MOCK_KERNEL)
    changed = await hl.prompts.upsert(path=unique_path, temperature=0.9, **MOCK_KERNEL)
    assert isinstance(first, PromptResponse)
    assert first.path == unique_path and first.model == "mock-1" and first.temperature == 0.2
    assert same.id == first.id and same.version_id == first.version_id
    assert changed.id == first.id and changed.version_id != first.version_id


async def test_call_by_path_returns_logged_response(hl: Api, prompt: PromptResponse) -> None:
    response = await hl.prompts.call(path=prompt.path, messages=USER, inputs={"name": "Ada"})
    assert isinstance(response, PromptCallResponse)
    assert response.prompt.id == prompt.id and response.prompt.version_id == prompt.version_id
    log = response.logs[0]
    assert "hello there" in (log.output or "")
    assert log.output_message is not None and log.output_message.role == "assistant"
    assert (log.prompt_tokens or 0) > 0 and (log.output_tokens or 0) > 0
    stored = await hl.logs.get(response.id)
    assert stored.id == response.id


async def test_call_accepts_prompt_id_and_models(hl: Api, prompt: PromptResponse) -> None:
    by_alias = await hl.prompts.call(
        prompt_id=prompt.id, messages=[ChatMessage(role="user", content="hi")], inputs={"name": "x"}
    )
    assert by_alias.prompt.id == prompt.id


async def test_call_inline_kernel(hl: Api, unique_path: str) -> None:
    kernel = PromptKernelRequest(model="mock-1", provider="mock", max_tokens=3)
    response = await hl.prompts.call(path=unique_path, prompt=kernel, messages=USER)
    assert response.prompt.path == unique_path
    assert response.logs[0].finish_reason == "length"


async def test_call_stream_true_yields_chunks(hl: Api, prompt: PromptResponse) -> None:
    stream = await hl.prompts.call(id=prompt.id, messages=USER, inputs={"name": "Ada"}, stream=True)
    assert isinstance(stream, AsyncStream if hl.is_async else Stream)
    chunks = await hl.chunks(stream)
    assert len(chunks) > 1 and all(isinstance(c, PromptCallStreamResponse) for c in chunks)
    assert "hello there" in "".join(c.output or "" for c in chunks)
    assert chunks[-1].finish_reason == "stop"
    assert {c.prompt_id for c in chunks} == {prompt.id}


async def test_call_stream_method(hl: Api, prompt: PromptResponse) -> None:
    stream = await hl.prompts.call_stream(path=prompt.path, messages=USER, inputs={"name": "A"})
    text = "".join(c.output or "" for c in await hl.chunks(stream))
    assert "hello there" in text


async def test_model_failure_mid_stream_raises_after_the_chunks(hl: Api, unique_path: str) -> None:
    # The mock fails after two chunks (``other.mock_error_after``); the server reports it
    # as an item with ``error`` set, which must not end the stream as if it were complete.
    kernel = {**MOCK_KERNEL, "other": {"mock_error": "provider fell over", "mock_error_after": 2}}
    stream = await hl.prompts.call(path=unique_path, prompt=kernel, stream=True,
                                   messages=[{"role": "user", "content": "one two three four"}])
    received: list[PromptCallStreamResponse] = []
    with pytest.raises(PromptCallError) as info:
        if hl.is_async:
            async for chunk in stream:
                received.append(chunk)
        else:
            for chunk in stream:
                received.append(chunk)
    assert len(received) == 2 and all(c.error is None for c in received)
    assert "provider fell over" in str(info.value) and "after 2 events" in str(info.value)
    assert info.value.body["id"] == received[0].id  # the log that records the failure


async def test_call_unknown_prompt_is_not_found(hl: Api) -> None:
    with pytest.raises(NotFoundError) as info:
        await hl.prompts.call(id="pr_does_not_exist", messages=USER)
    assert info.value.status_code == 404


async def test_log_and_update_log(hl: Api, prompt: PromptResponse) -> None:
    created = await hl.prompts.log(
        path=prompt.path, messages=USER, output="hi", prompt_tokens=3, output_tokens=1,
        output_message={"role": "assistant", "content": "hi"}, inputs={"name": "Ada"},
        metadata={"run": 1},
    )
    assert isinstance(created, CreatePromptLogResponse)
    assert created.prompt_id == prompt.id
    updated = await hl.prompts.update_log(prompt.id, created.id, output="bye", output_tokens=2)
    assert isinstance(updated, PromptLogResponse)
    assert updated.output == "bye" and updated.output_tokens == 2


async def test_get_by_version_and_environment(hl: Api, prompt: PromptResponse) -> None:
    newer = await hl.prompts.upsert(path=prompt.path, temperature=0.5, **MOCK_KERNEL)
    by_version = await hl.prompts.get(prompt.id, version_id=prompt.version_id)
    assert by_version.version_id == prompt.version_id
    envs = await hl.prompts.list_environments(prompt.id)
    env = next(e for e in envs if e.tag == "default")
    await hl.prompts.set_deployment(prompt.id, env.id, version_id=newer.version_id)
    deployed = await hl.prompts.get(prompt.id, environment=env.name)
    assert deployed.version_id == newer.version_id
    envs = await hl.prompts.list_environments(prompt.id)
    assert next(e for e in envs if e.id == env.id).file.version_id == newer.version_id
    await hl.prompts.remove_deployment(prompt.id, env.id)
    envs = await hl.prompts.list_environments(prompt.id)
    assert next(e for e in envs if e.id == env.id).file is None


async def test_list_pages_through_all(hl: Api, unique_path: str) -> None:
    for i in range(3):
        await hl.prompts.upsert(path=f"{unique_path}-p{i}", **MOCK_KERNEL)
    # `name` filters on the last path segment.
    pager = await hl.prompts.list(size=2, name=unique_path.rsplit("/", 1)[-1])
    names = [p.path for p in await hl.items(pager)]
    assert sorted(names) == [f"{unique_path}-p{i}" for i in range(3)]
    assert [len(page.items) for page in await hl.pages(pager)] == [2, 1]


async def test_move_delete_and_versions(hl: Api, prompt: PromptResponse, unique_path: str) -> None:
    await hl.prompts.upsert(path=prompt.path, temperature=0.3, **MOCK_KERNEL)
    versions = await hl.prompts.list_versions(prompt.id, evaluator_aggregates=True)
    assert len(versions.records) == 2
    moved = await hl.prompts.move(prompt.id, path=f"{unique_path}-moved")
    assert moved.path == f"{unique_path}-moved"
    await hl.prompts.delete(prompt.id)
    with pytest.raises(NotFoundError):
        await hl.prompts.get(prompt.id)


async def test_request_options_reach_the_wire(hl: Api, prompt: PromptResponse,
                                              recorder: Any) -> None:
    await hl.prompts.get(prompt.id, request_options={
        "additional_headers": {"X-Test": "1"}, "timeout_in_seconds": 5, "max_retries": 0,
    })
    sent = recorder.requests[-1]
    assert sent.headers["X-Test"] == "1"
