"""Folding ``PromptCallStreamResponse`` items into what the span reports at the end.

Items carry a sample ``index``; finish reasons, output token counts and (with content
capture) the text and tool-call deltas are kept per sample. Token counts are taken as the
last value a sample reported, which is right whether the server repeats running totals on
every item or only sends them on the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from . import _names as n
from ._attributes import Attributes, field, usage_attrs
from ._content import Message, output_message, parse_arguments


@dataclass
class _Choice:
    finish_reason: str | None = None
    output_tokens: int | None = None
    cost: dict[str, float] = dc_field(default_factory=dict)
    text: list[str] = dc_field(default_factory=list)
    tool_calls: list[dict[str, Any]] = dc_field(default_factory=list)


@dataclass
class StreamState:
    capture: bool = False
    log_id: str | None = None
    prompt_id: str | None = None
    version_id: str | None = None
    input_tokens: int | None = None
    choices: dict[int, _Choice] = dc_field(default_factory=dict)

    def add(self, item: Any) -> None:
        # Runs per streamed item: read the model's field dict once instead of ~12 getattr.
        data = item if isinstance(item, dict) else getattr(item, "__dict__", None) or {}
        get = data.get
        index = get("index")
        choice = self.choices.get(index) if isinstance(index, int) else None
        if choice is None:
            choice = self.choices.setdefault(index if isinstance(index, int) else 0, _Choice())
        self.log_id = get("id") or self.log_id
        self.prompt_id = get("prompt_id") or self.prompt_id
        self.version_id = get("version_id") or self.version_id
        tokens = get("prompt_tokens")
        if tokens is not None:
            self.input_tokens = tokens
        tokens = get("output_tokens")
        if tokens is not None:
            choice.output_tokens = tokens
        reason = get("finish_reason")
        if reason:
            choice.finish_reason = str(reason)
        for key in ("prompt_cost", "output_cost"):
            cost = get(key)
            if isinstance(cost, (int, float)):
                choice.cost[key] = float(cost)
        if self.capture:
            _add_content(choice, item)

    def attributes(self, cut: bool) -> Attributes:
        """Span attributes once the stream is over; ``cut`` marks unfinished samples."""
        out: Attributes = {}
        if self.log_id:
            out[n.RESPONSE_ID] = out[n.HL_LOG_ID] = self.log_id
        if self.prompt_id:
            out[n.HL_PROMPT_ID] = self.prompt_id
        if self.version_id:
            out[n.HL_PROMPT_VERSION_ID] = self.version_id
        reasons = self.finish_reasons(cut)
        if reasons:
            out[n.RESPONSE_FINISH_REASONS] = reasons
        out.update(self.usage())
        costs = [v for c in self.choices.values() for v in c.cost.values()]
        if costs:
            out[n.HL_COST] = sum(costs)
        return out

    def usage(self) -> Attributes:
        return usage_attrs([self.input_tokens], [c.output_tokens for c in self.choices.values()])

    def cut(self) -> bool:
        """Whether some sample (or the whole stream, when nothing came) never finished."""
        return not self.choices or any(not c.finish_reason for c in self.choices.values())

    def finish_reasons(self, cut: bool) -> list[str]:
        if not self.choices:
            return [n.CUT_FINISH_REASON] if cut else []
        return [_reason(self.choices[i], cut) for i in sorted(self.choices)]

    def output_messages(self, cut: bool) -> list[Message]:
        messages = []
        for i in sorted(self.choices):
            choice = self.choices[i]
            message = {"role": "assistant", "content": "".join(choice.text)}
            built = output_message(message, None, _reason(choice, cut))
            built["parts"].extend(
                {**call, "arguments": parse_arguments(call["arguments"])} for call in choice.tool_calls
            )
            messages.append(built)
        return messages


def _reason(choice: _Choice, cut: bool) -> str:
    return choice.finish_reason or (n.CUT_FINISH_REASON if cut else "")


def _add_content(choice: _Choice, item: Any) -> None:
    delta = field(item, "output")
    message = field(item, "output_message")
    if not delta and message is not None and isinstance(field(message, "content"), str):
        delta = field(message, "content")
    if delta:
        choice.text.append(str(delta))
    for call in (field(message, "tool_calls") if message is not None else None) or ():
        _merge_tool_call(choice.tool_calls, call)


def _merge_tool_call(calls: list[dict[str, Any]], call: Any) -> None:
    """Tool calls arrive as deltas: a new id opens a call, later fragments extend it."""
    call_id = field(call, "id")
    function = field(call, "function")
    name = field(function, "name")
    fragment = field(function, "arguments") or ""
    target = next((c for c in calls if call_id and c["id"] == call_id), None)
    if target is None and (call_id or not calls):
        target = {"type": "tool_call", "id": call_id, "name": name or "", "arguments": ""}
        calls.append(target)
    elif target is None:
        target = calls[-1]
    if name and not target["name"]:
        target["name"] = name
    target["arguments"] += fragment
