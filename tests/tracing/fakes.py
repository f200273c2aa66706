"""Wire objects the transport would hand to telemetry, built from the real models."""

from __future__ import annotations

from typing import Any

import httpx

from humanloop_core.core._operation import Operation
from humanloop_core.types import PromptCallResponse, PromptCallStreamResponse

URL = httpx.URL("https://api.example.test/v5/prompts/call")
API_KEY = "hl_sk_supersecret_0123456789"
KERNEL = {
    "model": "gpt-4o-mini",
    "provider": "openai",
    "temperature": 0.2,
    "max_tokens": 64,
    "top_p": 0.9,
    "stop": ["\n\n"],
    "seed": 7,
}
MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris?"},
]


def call_op(*, kernel: dict[str, Any] | None = KERNEL, stream: bool = False, **body: Any) -> Operation[Any]:
    json: dict[str, Any] = {"path": "demo/weather", "messages": MESSAGES, **body}
    if kernel is not None:
        json["prompt"] = kernel
    if stream:
        json["stream"] = True
    return Operation(
        name="prompts.call", method="POST", path="/prompts/call", cast_to=PromptCallResponse,
        params={"version_id": "prv_1", "environment": "production"}, json=json,
        stream_item=PromptCallStreamResponse if stream else None,
    )


def get_op() -> Operation[Any]:
    return Operation(name="prompts.get", method="GET", path="/prompts/pr_1")


def prompt(model: str = "gpt-4o-mini", provider: str = "openai") -> dict[str, Any]:
    return {
        "path": "demo/weather", "id": "pr_1", "model": model, "provider": provider, "name": "weather",
        "version_id": "prv_1", "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z", "status": "committed", "temperature": 0.5,
        "max_tokens": 128, "top_p": 1.0, "last_used_at": "2026-01-01T00:00:00Z",
        "version_logs_count": 1, "total_logs_count": 1, "inputs": [],
    }


def call_response(*, model: str = "gpt-4o-mini", provider: str = "openai", tool: bool = False) -> PromptCallResponse:
    message: dict[str, Any] = {"role": "assistant", "content": "Rainy, 14C."}
    if tool:
        message = {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
        }
    return PromptCallResponse.model_validate({
        "id": "log_1", "trace_id": "tr_1", "prompt": prompt(model, provider),
        "messages": MESSAGES,
        "logs": [{
            "index": 0, "output": message["content"], "output_message": message,
            "prompt_tokens": 12, "output_tokens": 5, "prompt_cost": 0.001, "output_cost": 0.002,
            "finish_reason": "tool_call" if tool else "stop",
        }],
    })


def stream_items(texts: tuple[str, ...] = ("Rainy", ", ", "14C."), finish: bool = True) -> list[PromptCallStreamResponse]:
    items = []
    for i, text in enumerate(texts):
        last = finish and i == len(texts) - 1
        items.append(PromptCallStreamResponse.model_validate({
            "index": 0, "id": "log_9", "prompt_id": "pr_1", "version_id": "prv_1", "output": text,
            "output_message": {"role": "assistant", "content": text},
            "prompt_tokens": 12 if last else None, "output_tokens": 3 if last else None,
            "finish_reason": "stop" if last else None,
        }))
    return items


class FakeApiError(Exception):
    """Shaped like the core's ApiError: telemetry reads only ``status_code``."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}: server said no")
        self.status_code = status_code
