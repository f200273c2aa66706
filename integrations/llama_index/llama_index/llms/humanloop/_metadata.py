"""``LLMMetadata`` sized by the model a prompt runs, from ``humanloop_core.model_limits``.

LlamaIndex packs retrieved chunks and trims chat memory to ``context_window`` and keeps
``num_output`` free for the answer, so sizing by the real model decides whether a RAG
query takes one model call or several. Explicit settings win over the table; models the
table does not know keep LlamaIndex's defaults. Pure.
"""

from __future__ import annotations

from llama_index.core.base.llms.types import LLMMetadata
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS

from humanloop_core.model_limits import model_limits


def llm_metadata(
    model: str | None,
    *,
    context_window: int | None,
    num_output: int | None,
    max_tokens: int | None,
    name: str,
) -> LLMMetadata:
    """The metadata for ``model`` (``None`` when unknown) and the LLM's own settings."""
    limits = model_limits(model)
    window = context_window or (limits.context_window if limits else DEFAULT_CONTEXT_WINDOW)
    reserve = num_output or (max_tokens if max_tokens and max_tokens > 0 else None)
    if reserve is None:
        reserve = limits.output_reserve(window) if limits else DEFAULT_NUM_OUTPUTS
    return LLMMetadata(
        context_window=window,
        num_output=reserve,
        is_chat_model=True,
        is_function_calling_model=True,
        model_name=model or name,
    )
