"""The LLM class without a server: configuration, secrets, call planning, tools prep."""

from __future__ import annotations

import pickle

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ToolCallBlock
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop import Humanloop

from humanloop_core import PromptTarget

SECRET = "hl-sk-do-not-leak-1234"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_is_a_function_calling_chat_llm_with_metadata() -> None:
    llm = Humanloop(path="demo/assistant", model="mock-1", max_tokens=50, context_window=8000)
    assert isinstance(llm, FunctionCallingLLM)
    meta = llm.metadata
    assert meta.is_chat_model and meta.is_function_calling_model
    assert (meta.model_name, meta.num_output, meta.context_window) == ("mock-1", 50, 8000)
    assert Humanloop(path="demo/assistant").metadata.model_name == "demo/assistant"


@pytest.mark.parametrize(
    "dump",
    [
        repr,
        str,
        lambda llm: llm.to_json(),
        lambda llm: str(llm.to_dict()),
        lambda llm: str(llm.to_payload()),
    ],
)
def test_keys_never_serialised(dump: object) -> None:
    llm = Humanloop(path="p", api_key=SECRET, provider_api_keys={"openai": SECRET})
    assert SECRET not in dump(llm)  # type: ignore[operator]


def test_key_survives_pickling_only_as_secret() -> None:
    llm = Humanloop(path="p", api_key=SECRET)
    restored = pickle.loads(pickle.dumps(llm))
    assert restored._client_kwargs()["api_key"] == SECRET
    assert SECRET not in repr(restored)


def test_plan_without_overrides_names_the_prompt_and_sends_no_kernel() -> None:
    llm = Humanloop(path="p", environment="production", inputs={"persona": "a pirate"})
    plan = llm._plan([ChatMessage(role="user", content="Hi")], {"inputs": {"x": 1}})
    assert (plan.overrides, plan.tools) == ({}, [])
    assert plan.target == PromptTarget(path="p", environment="production")
    assert plan.call == {
        "inputs": {"persona": "a pirate", "x": 1},
        "messages": [{"role": "user", "content": "Hi"}],
    }


def test_plan_with_overrides_collects_them_for_the_resolver() -> None:
    llm = Humanloop(path="p", version_id="prv_1", temperature=0.3)
    plan = llm._plan([ChatMessage(role="user", content="Hi")], {"max_tokens": 9})
    assert plan.overrides == {"temperature": 0.3, "max_tokens": 9}
    assert "version_id" not in plan.call and plan.target.version_id == "prv_1"


def test_unknown_keyword_is_an_error_not_silently_dropped() -> None:
    with pytest.raises(TypeError, match="temprature"):
        Humanloop(path="p")._plan([], {"temprature": 1})


def test_prepare_chat_with_tools_copies_history_and_resolves_choice() -> None:
    llm = Humanloop(path="p")
    history = [ChatMessage(role="system", content="s")]
    tool = FunctionTool.from_defaults(fn=add)
    prepared = llm._prepare_chat_with_tools(
        [tool], user_msg="add 2 and 3", chat_history=history, tool_required=True
    )
    assert len(history) == 1  # the caller's list is not extended
    assert [m.role for m in prepared["messages"]] == [MessageRole.SYSTEM, MessageRole.USER]
    assert prepared["tool_choice"] == "required"
    assert prepared["tools"][0]["name"] == "add"
    named = llm._prepare_chat_with_tools([tool], user_msg="x", tool_choice="add")
    assert named["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert "tools" not in llm._prepare_chat_with_tools([], user_msg="x")


def test_single_tool_call_enforced_unless_parallel_allowed() -> None:
    llm = Humanloop(path="p")

    def response() -> ChatResponse:
        blocks = [
            ToolCallBlock(tool_call_id=f"c{i}", tool_name="add", tool_kwargs={}) for i in range(2)
        ]
        return ChatResponse(message=ChatMessage(role="assistant", blocks=blocks))

    assert (
        len(
            llm.get_tool_calls_from_response(llm._validate_chat_with_tools_response(response(), []))
        )
        == 1
    )
    kept = llm._validate_chat_with_tools_response(response(), [], allow_parallel_tool_calls=True)
    assert len(llm.get_tool_calls_from_response(kept)) == 2


def test_stream_chat_is_a_lazy_generator() -> None:
    # No client can be built (no key, no server): creating the stream must not call out.
    llm = Humanloop(path="p", base_url="http://127.0.0.1:9/v5", api_key="k")
    stream = llm.stream_chat([ChatMessage(role="user", content="hi")])
    assert hasattr(stream, "__next__") and hasattr(stream, "close")
    stream.close()


def test_a_prompt_path_or_id_is_required() -> None:
    with pytest.raises(ValueError, match="`path` \\(or `id`\\)"):
        Humanloop(model="mock-1")
    assert Humanloop(id="pr_1").id == "pr_1"


def test_additional_kwargs_take_only_call_parameters() -> None:
    llm = Humanloop(path="p", additional_kwargs={"metadata": {"team": "a"}, "source": "docs"})
    assert llm._plan([], {})[0]["metadata"] == {"team": "a"}
    with pytest.raises(ValueError, match="provider_api_keys to Humanloop"):
        Humanloop(path="p", additional_kwargs={"provider_api_keys": {"openai": SECRET}})
