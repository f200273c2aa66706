"""LlamaIndex LLM integration for Humanloop prompts: ``from llama_index.llms.humanloop import Humanloop``."""

from llama_index.llms.humanloop._stream import HumanloopCallError
from llama_index.llms.humanloop.base import Humanloop

__all__ = ["Humanloop", "HumanloopCallError"]
