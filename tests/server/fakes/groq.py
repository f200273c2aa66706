"""Groq's OpenAI dialect at ``/openai/v1/chat/completions``: ``n`` must be 1, no logprobs,
and a stream's usage arrives in the last chunk's ``x_groq.usage``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._server import Reply
from .openai import OpenAIFake


class GroqFake(OpenAIFake):
    key = "gsk_fake"
    path = "/openai/v1/chat/completions"
    max_n = 1

    def check(self, body: dict[str, Any]) -> str | None:
        if body.get("logprobs"):
            return "logprobs is not supported"
        return super().check({k: v for k, v in body.items() if k != "stream_options"})

    def events(self, body: dict[str, Any], reply: Reply, n: int) -> Iterator[tuple[str | None, Any]]:
        for name, event in super().events({**body, "stream_options": None}, reply, n):
            if isinstance(event, dict) and event["choices"] and event["choices"][0]["finish_reason"]:
                event["x_groq"] = {"id": "req_fake", "usage": self.usage(reply)}
            yield name, event
