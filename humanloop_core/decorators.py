"""``@flow``, ``@prompt`` and ``@tool``: log what your own code does to Humanloop.

Each decorated call is an OpenTelemetry span (so nesting follows the call stack, and
crosses threads and tasks however your OpenTelemetry context does) carrying the
``humanloop.*`` attributes a Humanloop server turns into a flow, prompt or tool log:

- ``@flow``: the inputs (bound arguments), the output or the error; the trace's root.
- ``@tool``: the same, plus the tool's JSON schema derived from the signature and docstring.
- ``@prompt``: the model call made inside it. With an OpenTelemetry GenAI instrumentation
  on the exporting tracer provider (``opentelemetry-instrumentation-openai`` /
  ``-anthropic``, installed by :meth:`Humanloop.flow` and friends when present), that
  call's span becomes the prompt log (messages, model, parameters, tokens); otherwise the
  decorated call is, from its arguments (``messages``, ``model``) and its return value (a
  string, or an OpenAI / Anthropic response).

Sync and async functions, generators and async generators all work; a generator's span
lasts until it is exhausted, closed or fails. Telemetry never raises into your code.

Use them through a client, as with the official SDK (``@hl.flow(path="...")``), which
also sets up export; the module-level functions take any ``tracer`` (default: the global
provider's) for apps that configure OpenTelemetry themselves (add
:class:`humanloop_core.exporter.HumanloopSpanProcessor` to that provider).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, overload

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from ._tracing import _schema as hl
from ._tracing._frames import PromptFrame, enter_prompt, leave_prompt
from ._tracing._schema_json import function_schema, output_text, to_json

__all__ = ["flow", "prompt", "tool"]

logger = logging.getLogger("humanloop_core.tracing")
F = TypeVar("F", bound=Callable[..., Any])


class _Spec:
    """What is fixed per decorated function: computed once, at decoration."""

    def __init__(self, kind: str, path: str, func: Callable[..., Any], tracer: Tracer | None,
                 kernel: dict[str, Any] | None, model: str | None = None) -> None:
        self.kind, self.path, self.model = kind, path, model
        self.signature = inspect.signature(func)
        params = list(self.signature.parameters.values())
        simple = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)
        self._names: list[str] | None = (
            [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD] if simple else None)
        self._defaults = {p.name: p.default for p in params if p.default is not p.empty}
        # A ProxyTracer follows the global provider even when it is set later: get it once.
        self.tracer = tracer or trace.get_tracer("humanloop_core.decorators")
        self.name = hl.SPAN_NAMES[kind]
        self.attributes: dict[str, Any] = {hl.FILE_PATH: path}
        if kind != "prompt":  # a prompt's type is decided at its end (see _Call.finish)
            self.attributes[hl.FILE_TYPE] = kind
        if kernel is not None:
            self.attributes[hl.FILE_KERNEL] = to_json(kernel)
        if model:
            self.attributes["gen_ai.request.model"] = model

    def inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self._names is not None and len(args) <= len(self._names):
            # Fast path (no *args/**kwargs in the signature): ~10x cheaper than bind().
            bound = dict(self._defaults)
            bound.update(zip(self._names, args, strict=False))
            bound.update(kwargs)
        else:
            try:
                found = self.signature.bind(*args, **kwargs)
            except TypeError:  # the call itself will raise the real error
                return {}
            found.apply_defaults()
            bound = dict(found.arguments)
        bound.pop("self", None)
        bound.pop("cls", None)
        return bound


class _Call:
    """One decorated call: start, then exactly one of finish / fail."""

    __slots__ = ("frame", "inputs", "span", "spec", "token")

    def __init__(self, spec: _Spec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.spec = spec
        self.span: Span = spec.tracer.start_span(spec.name, attributes=spec.attributes)
        self.frame: PromptFrame | None = None
        self.inputs: dict[str, Any] = {}
        if not self.span.is_recording():
            return
        try:
            self.inputs = spec.inputs(args, kwargs)
            messages = self.inputs.get("messages") if spec.kind == "prompt" else None
            shown = {k: v for k, v in self.inputs.items() if k != "messages"} if messages else self.inputs
            inputs_json = to_json(shown)
            self.span.set_attribute(hl.LOG_INPUTS, inputs_json)
            if spec.kind == "prompt":
                self.frame = PromptFrame(spec.path, inputs_json, span_id=self.span.get_span_context().span_id)
            if messages is not None:
                self.span.set_attribute(hl.LOG_MESSAGES, to_json(messages))
        except Exception:
            logger.debug("could not record the inputs of %s", spec.path, exc_info=True)
        if spec.kind == "prompt" and self.frame is None:
            self.frame = PromptFrame(spec.path, span_id=self.span.get_span_context().span_id)

    def enter(self) -> Any:
        """Make this call current (its span, and for @prompt its frame); give a token."""
        context_token = context_api.attach(trace.set_span_in_context(self.span))
        frame_token = enter_prompt(self.frame) if self.frame is not None else None
        return context_token, frame_token

    @staticmethod
    def leave(tokens: Any) -> None:
        context_token, frame_token = tokens
        if frame_token is not None:
            leave_prompt(frame_token)
        context_api.detach(context_token)

    @contextlib.contextmanager
    def current(self) -> Iterator[None]:
        """This call current for the block (a generator's body is current only while it
        runs, so its caller's context is left alone between items)."""
        tokens = self.enter()
        try:
            yield
        finally:
            self.leave(tokens)

    @contextlib.contextmanager
    def streaming(self, items: list[Any]) -> Iterator[None]:
        """Around a generator's whole run: finish with what it yielded, or fail."""
        try:
            yield
        except GeneratorExit:  # closed early by its consumer: not a failure
            self.finish(_joined(items))
            raise
        except BaseException as exc:
            self.fail(exc)
            raise
        self.finish(_joined(items))

    def finish(self, result: Any) -> None:
        span = self.span
        try:
            if span.is_recording():
                if self.frame is not None and self.frame.provider_calls:
                    pass  # the instrumented model call is the prompt log; this span is plumbing
                elif self.spec.kind == "prompt":
                    span.set_attributes(_prompt_fallback(self.spec, self.inputs, result))
                else:
                    span.set_attribute(hl.LOG_OUTPUT, output_text(result))
        except Exception:
            logger.debug("could not record the output of %s", self.spec.path, exc_info=True)
        span.end()

    def fail(self, exc: BaseException) -> None:
        span = self.span
        try:
            if span.is_recording():
                if self.spec.kind == "prompt" and not (self.frame and self.frame.provider_calls):
                    attrs = _prompt_fallback(self.spec, self.inputs, None)
                    del attrs[hl.LOG_OUTPUT]  # it failed: no output
                    span.set_attributes(attrs)
                span.set_attribute(hl.LOG_ERROR, f"{type(exc).__name__}: {exc}")
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        except Exception:
            logger.debug("could not record the error of %s", self.spec.path, exc_info=True)
        span.end()


def _prompt_fallback(spec: _Spec, inputs: dict[str, Any], result: Any) -> dict[str, Any]:
    """No instrumented model call happened inside: describe the call from its arguments
    and return value (an OpenAI ChatCompletion / Anthropic Message is read for usage)."""
    attrs: dict[str, Any] = {hl.FILE_TYPE: "prompt"}
    model = spec.model or inputs.get("model") or getattr(result, "model", None)
    if isinstance(model, str):
        attrs["gen_ai.request.model"] = model
    usage = getattr(result, "usage", None)
    for name, keys in (("gen_ai.usage.input_tokens", ("prompt_tokens", "input_tokens")),
                       ("gen_ai.usage.output_tokens", ("completion_tokens", "output_tokens"))):
        value = next((getattr(usage, k) for k in keys if isinstance(getattr(usage, k, None), int)), None)
        if value is not None:
            attrs[name] = value
    text = _response_text(result)
    if text is not None:
        attrs[hl.LOG_OUTPUT_MESSAGE] = to_json({"role": "assistant", "content": text})
    # A model response's output is its text, as an instrumented call's log would have it.
    attrs[hl.LOG_OUTPUT] = text if text is not None else output_text(result)
    return attrs


def _response_text(result: Any) -> str | None:
    if isinstance(result, str):
        return result
    choices = getattr(result, "choices", None)
    if choices:
        content = getattr(getattr(choices[0], "message", None), "content", None)
        return content if isinstance(content, str) else None
    blocks = getattr(result, "content", None)
    if isinstance(blocks, list):
        return "".join(getattr(b, "text", "") or "" for b in blocks)
    return None


def _wrap(func: F, spec: _Spec) -> F:
    """One wrapper per function kind; each runs the body with the call current."""
    if inspect.isasyncgenfunction(func):
        @functools.wraps(func)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> Any:
            call = _Call(spec, args, kwargs)
            items: list[Any] = []
            with call.streaming(items):
                with call.current():
                    agen = func(*args, **kwargs)
                while True:
                    with call.current():
                        try:
                            item = await agen.__anext__()
                        except StopAsyncIteration:
                            break
                    items.append(item)
                    yield item
        return agen_wrapper  # type: ignore[return-value]

    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            call = _Call(spec, args, kwargs)
            items: list[Any] = []
            with call.streaming(items):
                with call.current():
                    gen = func(*args, **kwargs)
                while True:
                    with call.current():
                        try:
                            item = next(gen)
                        except StopIteration:
                            break
                    items.append(item)
                    yield item
        return gen_wrapper  # type: ignore[return-value]

    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            call = _Call(spec, args, kwargs)
            with call.current():
                try:
                    result = await func(*args, **kwargs)
                except BaseException as exc:
                    call.fail(exc)
                    raise
            call.finish(result)
            return result
        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _Call(spec, args, kwargs)
        with call.current():
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                call.fail(exc)
                raise
        call.finish(result)
        return result
    return wrapper  # type: ignore[return-value]


def _joined(items: list[Any]) -> Any:
    """A generator's output: its text if it yielded text, else the items."""
    return "".join(items) if items and all(isinstance(i, str) for i in items) else items


def _factory(kind: str, path: Any, tracer: Tracer | None, kernel: Callable[[Callable[..., Any]], Any],
             model: str | None = None) -> Any:
    def decorate(func: F) -> F:
        spec = _Spec(kind, path or func.__name__, func, tracer, kernel(func), model)
        wrapped = _wrap(func, spec)
        if kind == "tool":
            wrapped.json_schema = function_schema(func)  # type: ignore[attr-defined]
        return wrapped
    if callable(path):  # used bare: @flow
        func, path = path, None
        return decorate(func)
    return decorate


@overload
def flow(path: F) -> F: ...
@overload
def flow(path: str | None = None, *, attributes: Mapping[str, Any] | None = None,
         tracer: Tracer | None = None) -> Callable[[F], F]: ...
def flow(path: Any = None, *, attributes: Mapping[str, Any] | None = None,
         tracer: Tracer | None = None) -> Any:
    """Log each call as a flow (a trace's root) at ``path`` (default: the function's name).

    Args:
        path: Where the flow lives on Humanloop.
        attributes: The flow's version attributes (a change makes a new version).
        tracer: Tracer to make spans with; default: the global provider's.
    """
    return _factory("flow", path, tracer, lambda _f: {"attributes": dict(attributes or {})})


@overload
def tool(path: F) -> F: ...
@overload
def tool(path: str | None = None, *, attributes: Mapping[str, Any] | None = None,
         setup_values: Mapping[str, Any] | None = None, tracer: Tracer | None = None) -> Callable[[F], F]: ...
def tool(path: Any = None, *, attributes: Mapping[str, Any] | None = None,
         setup_values: Mapping[str, Any] | None = None, tracer: Tracer | None = None) -> Any:
    """Log each call as a tool log; the tool's JSON schema comes from the signature and
    docstring (also on the wrapper as ``json_schema``, to hand to a model).

    Args:
        path: Where the tool lives on Humanloop (default: the function's name).
        attributes: The tool's version attributes.
        setup_values: Values the tool needs set up (part of its version).
        tracer: Tracer to make spans with; default: the global provider's.
    """
    def kernel(func: Callable[..., Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"function": function_schema(func)}
        with contextlib.suppress(OSError, TypeError):  # no source for builtins, REPL code
            out["source_code"] = inspect.getsource(func)
        if attributes:
            out["attributes"] = dict(attributes)
        if setup_values:
            out["setup_values"] = dict(setup_values)
        return out
    return _factory("tool", path, tracer, kernel)


@overload
def prompt(path: F) -> F: ...
@overload
def prompt(path: str | None = None, *, model: str | None = None,
           tracer: Tracer | None = None) -> Callable[[F], F]: ...
def prompt(path: Any = None, *, model: str | None = None, tracer: Tracer | None = None) -> Any:
    """Log the model call made inside each call as a prompt log at ``path``.

    Args:
        path: Where the prompt lives on Humanloop (default: the function's name).
        model: The model, when no instrumented call reports it (the fallback log's version).
        tracer: Tracer to make spans with; default: the global provider's.
    """
    return _factory("prompt", path, tracer, lambda _f: None, model)
