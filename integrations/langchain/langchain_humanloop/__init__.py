"""LangChain integration for Humanloop: ``ChatHumanloop`` runs a Humanloop prompt as a chat model."""

from langchain_humanloop._response import HumanloopCallError
from langchain_humanloop.chat_models import ChatHumanloop

__all__ = ["ChatHumanloop", "HumanloopCallError"]
