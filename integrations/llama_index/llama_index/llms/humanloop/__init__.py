"""LlamaIndex LLM integration for Humanloop prompts: ``from llama_index.llms.humanloop import Humanloop``."""

from llama_index.llms.humanloop.base import Humanloop

from humanloop_core import PromptCallError

__all__ = ["Humanloop", "PromptCallError"]
