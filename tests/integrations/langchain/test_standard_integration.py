"""LangChain's standard integration tests for ChatHumanloop, against the local server's mock provider."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_humanloop import ChatHumanloop
from langchain_tests.integration_tests import ChatModelIntegrationTests

OFFLINE = ("the standard test downloads its image from raw.githubusercontent.com and this suite "
           "runs offline; image parts are converted and sent to the local server in "
           "test_chat_e2e.py::test_image_parts_reach_the_server")


# ONE prompt for every test of the class, as an app shares one prompt among its callers:
# versions created by one test (tools bound, overrides) must not change what another gets.
SHARED_PATH = f"tests/langchain/standard-shared/{uuid.uuid4().hex[:8]}"


class TestChatHumanloopIntegration(ChatModelIntegrationTests):
    server: Any = None

    @pytest.fixture(autouse=True)
    def _use_local_server(self, local_server: Any) -> None:
        type(self).server = local_server

    @property
    def chat_model_class(self) -> type[ChatHumanloop]:
        return ChatHumanloop

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"path": SHARED_PATH, "model": "mock-1",
                "provider": "mock", "base_url": self.server.base_url,
                "api_key": self.server.api_key}

    @property
    def model_override_value(self) -> str:
        return "mock-2"

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @pytest.mark.xfail(reason=OFFLINE, raises=httpx.ConnectError)
    def test_image_inputs(self, model: BaseChatModel) -> None:
        super().test_image_inputs(model)

    @pytest.mark.xfail(reason=OFFLINE, raises=httpx.ConnectError)
    def test_image_tool_message(self, model: BaseChatModel) -> None:
        super().test_image_tool_message(model)
