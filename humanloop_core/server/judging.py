"""Running an evaluator on a log: the judgment becomes an evaluator log under the judged log,
stored exactly as ``POST /evaluators/log`` stores a client's.

Kinds (the spec's ``evaluator_type``):

- ``python``: the ``code`` runs in the sandbox; its last function (``def judge(log)``, or
  ``def judge(log, testcase)`` when ``arguments_type`` is ``target_required``) gets the log
  as its wire dict and the datapoint, and must return the declared ``return_type``.
- ``llm``: the spec's ``prompt`` is rendered with the log and the datapoint as inputs
  (``{{log.output}}``, ``{{log.inputs.question}}``, ``{{testcase.target.answer}}``; ``{{log}}``
  is the whole log as JSON), sent through the provider exactly as ``prompts.call`` sends
  it, and its reply read as the ``return_type`` (:func:`read_judgment`).
- ``human`` and ``external``: never run here. A human judgment stays pending until someone
  posts it; external evaluators run in the client's code.

Every failure (timeout, crash, wrong type, unreadable reply, provider error) is a judgment
with ``error`` set and no ``judgment``, so stats count it under ``num_errors``.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from humanloop_core import types as t

from . import calls, logs
from .providers import ProviderError, ProviderRegistry, ProviderRequest
from .rendering import render_messages
from .sandbox import Sandbox, SandboxError
from .store import Row, Store, now

RUNNABLE = ("python", "llm")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_BOOLEAN_WORDS = {"true": True, "yes": True, "pass": True, "correct": True,
                  "false": False, "no": False, "fail": False, "incorrect": False}


@dataclass
class Runtime:
    """What running evaluators needs from the server."""

    store: Store
    providers: ProviderRegistry
    sandbox: Sandbox


class JudgmentError(Exception):
    """A judgment that could not be made; its message is stored as the log's ``error``."""


def spec_of(version: Row) -> dict[str, Any]:
    spec: dict[str, Any] = version["kernel"].get("spec") or {}
    return spec


def runs_here(version: Row) -> bool:
    """Whether this server produces the evaluator's judgments (python and llm kinds)."""
    return spec_of(version).get("evaluator_type") in RUNNABLE


# -- pure parts ---------------------------------------------------------------------------
def check_judgment(value: Any, return_type: str) -> Any:
    """``value`` if it is of ``return_type``, else :class:`JudgmentError` saying what came back."""
    ok = {
        "boolean": isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool)
        and math.isfinite(float(value)),
        "text": isinstance(value, str),
        "select": isinstance(value, str),
        "multi_select": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }.get(return_type, False)
    if not ok:
        shown = json.dumps(value, default=str)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise JudgmentError(f"the evaluator returned {type(value).__name__} {shown}; "
                            f"its return_type is {return_type}")
    return value


def read_judgment(text: str, return_type: str, options: list[str] | None = None) -> Any:
    """A judge's reply as ``return_type``. JSON replies are read first (an object's
    ``judgment`` member, or its only member); otherwise, for ``boolean``, the last of
    true/false/yes/no/pass/fail/correct/incorrect; for ``number``, the last number; for
    ``select``, the option named last; for ``multi_select``, every option named; for
    ``text``, the reply itself. Reading the *last* verdict lets a judge reason first."""
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        parsed = parsed.get("judgment", next(iter(parsed.values())) if len(parsed) == 1 else None)
    if parsed is not None and not (return_type == "text" and not isinstance(parsed, str)):
        try:
            return check_judgment(parsed, return_type)
        except JudgmentError:
            pass
    if return_type == "text":
        return text
    if return_type == "boolean":
        words = [_BOOLEAN_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _BOOLEAN_WORDS]
        if words:
            return words[-1]
    elif return_type == "number":
        numbers = _NUMBER.findall(text)
        if numbers:
            value = float(numbers[-1])
            return int(value) if value.is_integer() else value
    elif options:
        lowered = text.lower()
        named = sorted((lowered.rfind(o.lower()), o) for o in options if o.lower() in lowered)
        if named:
            return named[-1][1] if return_type == "select" else [o for _, o in named]
    shown = text if len(text) <= 120 else text[:117] + "..."
    raise JudgmentError(f"could not read a {return_type} judgment from the reply {shown!r}")


def template_inputs(log: dict[str, Any], datapoint: dict[str, Any] | None) -> dict[str, Any]:
    """Template variables for an LLM judge: ``log``, ``testcase`` and their members, dotted."""
    inputs: dict[str, Any] = {}

    def add(prefix: str, value: Any, depth: int) -> None:
        inputs[prefix] = value
        if isinstance(value, dict) and depth < 3:
            for key, member in value.items():
                add(f"{prefix}.{key}", member, depth + 1)

    add("log", {k: v for k, v in log.items() if k not in ("evaluator_logs", "trace_children")}, 0)
    if datapoint is not None:
        add("testcase", datapoint, 0)
        inputs.setdefault("target", datapoint.get("target"))
    return inputs


def _options(spec: dict[str, Any]) -> list[str]:
    return [str(o.get("name")) for o in spec.get("options") or [] if isinstance(o, dict)]


# -- running --------------------------------------------------------------------------------
async def _python(rt: Runtime, spec: dict[str, Any], log: dict[str, Any],
                  datapoint: dict[str, Any] | None) -> dict[str, Any]:
    args: list[Any] = [log, datapoint] if spec.get("arguments_type") == "target_required" else [log]
    try:
        result = await rt.sandbox.run(str(spec.get("code") or ""), args)
    except SandboxError as exc:
        raise JudgmentError(str(exc)) from None
    if not result.ok:
        raise JudgmentError(f"{result.kind}: {result.error}")
    return {"judgment": check_judgment(result.value, spec["return_type"]), "stdout": result.stdout or None}


async def _llm(rt: Runtime, spec: dict[str, Any], log: dict[str, Any],
               datapoint: dict[str, Any] | None) -> dict[str, Any]:
    kernel = dict(spec.get("prompt") or {})
    if not kernel.get("model"):
        raise JudgmentError("the LLM evaluator has no prompt with a model")
    try:
        messages = render_messages(kernel.get("template"), template_inputs(log, datapoint),
                                   kernel.get("template_language"))
    except Exception as exc:  # the template names something the log lacks
        detail = getattr(exc, "detail", exc)
        raise JudgmentError(f"the judge's template cannot be filled: {detail}") from None
    request = ProviderRequest.from_kernel(kernel, messages, None, None)
    # The same provider path as prompts.call, through a plan that names no prompt file.
    plan = calls.CallPlan(t.PromptCallRequest(), {}, {"kernel": kernel}, messages, request)
    try:
        completion = await calls._complete(rt.providers, plan)
    except ProviderError as exc:
        raise JudgmentError(f"the judge's provider failed: {exc}") from None
    return {"judgment": read_judgment(completion.output, spec["return_type"], _options(spec)),
            "output": completion.output, "messages": messages,
            "prompt_tokens": completion.prompt_tokens, "output_tokens": completion.output_tokens}


async def judge(rt: Runtime, evaluator: Row, version: Row, log: Row, log_wire: dict[str, Any],
                datapoint: dict[str, Any] | None, judgment_id: str) -> None:
    """Judge ``log`` with one evaluator version and store the judgment as ``judgment_id``
    (derived from the job by the caller, so a job run twice stores one judgment)."""
    spec = spec_of(version)
    started, clock = now(), time.monotonic()
    body: dict[str, Any] = {"source": "humanloop-core", "start_time": started, "created_at": started}
    try:
        runner = _python if spec.get("evaluator_type") == "python" else _llm
        body.update({k: v for k, v in (await runner(rt, spec, log_wire, datapoint)).items() if v is not None})
    except JudgmentError as exc:
        body["error"] = str(exc)
    body.update(end_time=now(), provider_latency=round(time.monotonic() - clock, 6))
    if datapoint is not None:
        body["source_datapoint_id"] = datapoint.get("id")
    row = logs.log_row("evaluator", evaluator, version, body, parent_id=log["id"], log_id=judgment_id)
    await asyncio.to_thread(rt.store.insert_log, row)


def render_log(store: Store, log: Row) -> dict[str, Any]:
    """The judged log as its wire dict: what a code evaluator receives."""
    return logs.LogRenderer(store).render(log)
