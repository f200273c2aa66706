"""LangChain integration for Humanloop: ``ChatHumanloop`` runs a Humanloop prompt as a chat model."""

from humanloop_core import PromptCallError
from langchain_humanloop.chat_models import ChatHumanloop

__all__ = ["ChatHumanloop", "PromptCallError"]
