"""ChatHumanloop configuration, without a server."""

from __future__ import annotations

import pytest
from langchain_humanloop import ChatHumanloop
from pydantic import BaseModel, ValidationError


class Answer(BaseModel):
    text: str


def test_a_prompt_address_is_required() -> None:
    with pytest.raises(ValidationError, match="`path` or `id`"):
        ChatHumanloop(model="mock-1", api_key="k")


def test_env_defaults_and_model_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUMANLOOP_API_KEY", "env-key")
    monkeypatch.setenv("HUMANLOOP_BASE_URL", "http://127.0.0.1:9/v5")
    chat = ChatHumanloop(id="pr_1", model="m")
    assert chat.api_key is not None and chat.api_key.get_secret_value() == "env-key"
    assert (chat.base_url, chat.model_name) == ("http://127.0.0.1:9/v5", "m")
    assert chat.client is None  # built on first use, so construction stays cheap


def test_ls_params_follow_overrides() -> None:
    chat = ChatHumanloop(path="p", stop="END", temperature=0.5, api_key="k")
    params = chat._get_ls_params(model="other", max_tokens=7)
    assert params == {"ls_provider": "humanloop", "ls_model_name": "other", "ls_model_type": "chat",
                      "ls_temperature": 0.5, "ls_max_tokens": 7, "ls_stop": ["END"]}
    assert chat._get_ls_params()["ls_model_name"] == "p"  # no model named: the prompt is the model


def test_bind_tools_checks_tool_choice_at_bind_time() -> None:
    chat = ChatHumanloop(path="p", api_key="k")
    bound = chat.bind_tools([Answer], tool_choice="Answer")
    assert bound.kwargs["tool_choice"] == {"type": "function", "function": {"name": "Answer"}}  # type: ignore[attr-defined]
    assert chat.bind_tools([Answer], tool_choice=True).kwargs["tool_choice"] == "required"  # type: ignore[attr-defined]
    assert "tool_choice" not in chat.bind_tools([Answer]).kwargs  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="Answer"):
        chat.bind_tools([Answer], tool_choice="Question")


def test_structured_output_methods() -> None:
    chat = ChatHumanloop(path="p", api_key="k")
    first = chat.with_structured_output(Answer, method="json_schema").first  # type: ignore[attr-defined]
    assert first.kwargs["response_format"]["json_schema"]["name"] == "Answer"
    assert first.kwargs["response_format"]["json_schema"]["schema"]["required"] == ["text"]
    with pytest.raises(ValueError, match="method"):
        chat.with_structured_output(Answer, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a schema"):
        chat.with_structured_output(None)


def test_provider_keys_are_sent_but_never_shown() -> None:
    from langchain_core.load import dumps
    from langchain_core.messages import HumanMessage

    secret = "sk-provider-0123456789"
    chat = ChatHumanloop(path="p", api_key="k", provider_api_keys={"openai": secret})
    _, plan, _ = chat._plan([HumanMessage("hi")], None, {})
    assert plan.call_args["provider_api_keys"] == {"openai": secret}
    _, plan, _ = chat._plan([HumanMessage("hi")], None, {"provider_api_keys": {"openai": "per-call"}})
    assert plan.call_args["provider_api_keys"] == {"openai": "per-call"}
    for text in (repr(chat), dumps(chat), chat.model_dump_json(), repr(chat._identifying_params)):
        assert secret not in text
