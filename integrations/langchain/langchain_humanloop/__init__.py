"""LangChain integration for Humanloop: ``ChatHumanloop`` runs a Humanloop prompt as a chat
model; ``HumanloopCallbackHandler`` traces any runnable into Humanloop (loaded on first use:
it needs the OpenTelemetry SDK)."""

from typing import TYPE_CHECKING, Any

from humanloop_core import PromptCallError
from langchain_humanloop.chat_models import ChatHumanloop

if TYPE_CHECKING:
    from langchain_humanloop.callbacks import HumanloopCallbackHandler

__all__ = ["ChatHumanloop", "HumanloopCallbackHandler", "PromptCallError"]


def __getattr__(name: str) -> Any:
    if name == "HumanloopCallbackHandler":
        from langchain_humanloop.callbacks import HumanloopCallbackHandler

        return HumanloopCallbackHandler
    raise AttributeError(f"module 'langchain_humanloop' has no attribute {name!r}")
