"""What an ``OpenAI`` (llama-index) user relies on, against the local server's ``openai``
provider on a loopback fake that sends usage after the finish reason, as OpenAI does."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS
from llama_index.core.embeddings import MockEmbedding
from llama_index.llms.humanloop import Humanloop, PromptCallError

import humanloop_core
from tests.integrations.fake_openai import USAGE_PROMPT_TOKENS, FakeOpenAI
from tests.integrations.llama_index.conftest import fresh_path

USER = [ChatMessage(role="user", content="how are you")]
REPLY = "Fake says: how are you"


@pytest.fixture
def stored(client: humanloop_core.Humanloop, fake_openai: FakeOpenAI) -> Any:
    return client.prompts.upsert(path=fresh_path("openai"), model="gpt-4o-mini", provider="openai")


def _llm(stored: Any, base_url: str, api_key: str, **fields: Any) -> Humanloop:
    return Humanloop(path=stored.path, base_url=base_url, api_key=api_key, max_retries=0, **fields)


def test_metadata_comes_from_the_stored_versions_model(stored: Any, base_url: str, api_key: str) -> None:
    meta = _llm(stored, base_url, api_key).metadata
    assert (meta.model_name, meta.context_window, meta.num_output) == ("gpt-4o-mini", 128_000, 16_384)
    explicit = _llm(stored, base_url, api_key, context_window=5_000, num_output=100).metadata
    assert (explicit.context_window, explicit.num_output) == (5_000, 100)
    capped = _llm(stored, base_url, api_key, max_tokens=300).metadata
    assert (capped.context_window, capped.num_output) == (128_000, 300)


def test_unknown_models_keep_llama_index_defaults(base_url: str, api_key: str) -> None:
    meta = Humanloop(path=fresh_path(), model="mock-1", provider="mock", base_url=base_url,
                     api_key=api_key).metadata
    assert (meta.context_window, meta.num_output) == (DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS)


# Ten chunks of ~700 tokens each: more than LlamaIndex's default 3,900-token window holds.
CHUNKS = [Document(text=f"Report {i}. " + " ".join(f"fact{i}-{j} is recorded." for j in range(120)))
          for i in range(10)]


@pytest.mark.parametrize(("window", "one_call"), [(None, True), (DEFAULT_CONTEXT_WINDOW, False)],
                         ids=["model-window", "default-window"])
def test_rag_over_ten_chunks_takes_one_model_call_with_a_128k_window(
    stored: Any, base_url: str, api_key: str, fake_openai: FakeOpenAI, window: int | None,
    one_call: bool,
) -> None:
    fake_openai.reply = "fact3-7 is recorded."  # short, so a refine prompt stays small
    llm = _llm(stored, base_url, api_key, context_window=window)
    index = VectorStoreIndex.from_documents(CHUNKS, embed_model=MockEmbedding(embed_dim=8))
    response = index.as_query_engine(llm=llm, similarity_top_k=10).query("What is fact3-7?")
    assert len(response.source_nodes) == 10
    assert str(response) == "fact3-7 is recorded."
    calls = len(fake_openai.requests)
    assert (calls == 1) if one_call else (calls > 1), calls  # the default window refines


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_streamed_usage_reaches_the_one_closing_response(
    stored: Any, base_url: str, api_key: str, use_async: bool
) -> None:
    # The fake sends usage in a `choices: []` chunk after the finish reason: one closing
    # response (the last) carries it; no earlier response claims to be the closing one.
    llm = _llm(stored, base_url, api_key)
    if use_async:
        responses = [r async for r in await llm.astream_chat(USER)]
    else:
        responses = list(llm.stream_chat(USER))
    last = responses[-1]
    assert last.message.content == REPLY
    assert "".join(r.delta or "" for r in responses) == REPLY
    assert last.raw is not None and last.raw["usage"]["prompt_tokens"] == USAGE_PROMPT_TOKENS
    assert last.raw["finish_reason"] == "stop"
    assert last.additional_kwargs["completion_tokens"] == len(REPLY.split())
    closing = [r for r in responses if r.additional_kwargs or isinstance(r.raw, dict)]
    assert closing == [last], len(closing)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_one_model_failure_raises_prompt_call_error_from_chat_and_stream(
    stored: Any, base_url: str, api_key: str, client: humanloop_core.Humanloop, use_async: bool,
) -> None:
    llm = _llm(stored, base_url, api_key)
    failing = [ChatMessage(role="user", content="FAIL please")]
    errors = []
    for streamed in (False, True):
        with pytest.raises(PromptCallError, match="the fake model refused") as caught:
            if use_async and streamed:
                [r async for r in await llm.astream_chat(failing)]
            elif use_async:
                await llm.achat(failing)
            elif streamed:
                list(llm.stream_chat(failing))
            else:
                llm.chat(failing)
        errors.append(caught.value)
    for error in errors:
        assert "the fake model refused" in (client.logs.get(error.body["id"]).error or "")


def test_missing_prompt_without_model_names_the_llms_arguments(base_url: str, api_key: str) -> None:
    llm = Humanloop(path=fresh_path(), base_url=base_url, api_key=api_key)
    for call in (llm.chat, lambda messages: list(llm.stream_chat(messages))):
        with pytest.raises(humanloop_core.NotFoundError) as caught:
            call(USER)
        assert "`model=`" in str(caught.value) and "Humanloop(...)" in str(caught.value)
        assert "pass `prompt`" not in str(caught.value)


def test_each_asyncio_run_closes_its_own_async_client(stored: Any, base_url: str, api_key: str) -> None:
    llm = _llm(stored, base_url, api_key)
    gc.collect()  # what earlier tests left behind is not this test's to report
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert asyncio.run(llm.achat(USER)).message.content == REPLY
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]


@pytest.mark.parametrize("select", ["version_id", "environment"])
@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_per_call_version_selection_with_an_override_uses_that_versions_kernel(
    client: humanloop_core.Humanloop, base_url: str, api_key: str, select: str, use_async: bool,
) -> None:
    path = fresh_path("selected")
    old = client.prompts.upsert(path=path, model="mock-1", provider="mock", temperature=0.1,
                                template=[{"role": "system", "content": "OLD"}])
    client.prompts.set_deployment(old.id, "staging", version_id=old.version_id)
    client.prompts.upsert(path=path, model="mock-2", provider="mock", temperature=0.1,
                          template=[{"role": "system", "content": "NEW"}])
    llm = Humanloop(path=path, base_url=base_url, api_key=api_key)
    selection = {"version_id": old.version_id} if select == "version_id" else {"environment": "staging"}
    # the default version is looked up (and cached) first, as a pipeline would
    default = llm.chat(USER, temperature=0.7)
    assert default.raw is not None and default.raw["prompt"]["model"] == "mock-2"
    chat = (await llm.achat(USER, temperature=0.5, **selection)) if use_async else \
        llm.chat(USER, temperature=0.5, **selection)
    ran = chat.raw["prompt"] if chat.raw is not None else {}
    assert (ran["model"], ran["temperature"]) == ("mock-1", 0.5)
    assert ran["template"][0]["content"] == "OLD"  # the selected version's kernel, overridden
