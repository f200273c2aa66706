"""LlamaIndex LLM integration for Humanloop prompts: ``from llama_index.llms.humanloop import Humanloop``;
``HumanloopSpanHandler.attach(client)`` traces any LlamaIndex app into Humanloop (loaded on
first use: it needs the OpenTelemetry SDK)."""

from typing import TYPE_CHECKING, Any

from llama_index.llms.humanloop.base import Humanloop

from humanloop_core import PromptCallError

if TYPE_CHECKING:
    from llama_index.llms.humanloop.instrumentation import HumanloopSpanHandler

__all__ = ["Humanloop", "HumanloopSpanHandler", "PromptCallError"]


def __getattr__(name: str) -> Any:
    if name == "HumanloopSpanHandler":
        from llama_index.llms.humanloop.instrumentation import HumanloopSpanHandler

        return HumanloopSpanHandler
    raise AttributeError(f"module 'llama_index.llms.humanloop' has no attribute {name!r}")
