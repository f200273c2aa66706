"""DeepSeek's OpenAI dialect at ``/chat/completions``: JSON output only as ``json_object``,
no ``n``, no images."""

from __future__ import annotations

from typing import Any

from .openai import OpenAIFake


class DeepSeekFake(OpenAIFake):
    key = "sk-deepseek-fake"
    path = "/chat/completions"
    max_n = 1

    def check(self, body: dict[str, Any]) -> str | None:
        if (body.get("response_format") or {}).get("type") not in (None, "text", "json_object"):
            return "This response_format type is unavailable now"
        return super().check(body)
