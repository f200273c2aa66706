"""Pure converters from an operation, a result or a stream item to span attributes.

Nothing here touches OpenTelemetry: each function takes wire objects (pydantic models or
plain dicts, read the same way) and returns plain values, so each is tested alone and the
invocation only decides *when* to call them (never when the span is not recording).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from . import _names as n

Attributes = dict[str, Any]

_REDACTED = "REDACTED"
# Query keys whose values are credentials; the URL otherwise carries no secret (the key
# travels in a header), but additional_query_parameters is caller-controlled.
_SECRET_QUERY_WORDS = ("key", "token", "secret", "signature", "sig", "password", "auth")


def field(obj: Any, name: str) -> Any:
    """Read ``name`` from a pydantic model or a dict (tests and raw JSON), else ``None``."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def server_attrs(url: httpx.URL) -> Attributes:
    port = url.port or (443 if url.scheme == "https" else 80)
    return {n.SERVER_ADDRESS: url.host, n.SERVER_PORT: port}


def safe_url(url: httpx.URL) -> str:
    """``url.full`` without user info or credential-looking query values."""
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    if not url.query:
        return str(url)
    pairs = parse_qsl(url.query.decode("ascii", "replace"), keep_blank_values=True)
    if not any(_is_secret(k) for k, _ in pairs):
        return str(url)
    clean = [(k, _REDACTED if _is_secret(k) else v) for k, v in pairs]
    return str(url.copy_with(query=urlencode(clean).encode("ascii")))


def _is_secret(key: str) -> bool:
    low = key.lower()
    return any(word in low for word in _SECRET_QUERY_WORDS)


def provider_name(raw: Any) -> str | None:
    if not raw:
        return None
    return n.PROVIDER_NAMES.get(str(raw), str(raw))


def kernel(op_json: Any) -> Mapping[str, Any] | None:
    """The prompt kernel sent inline with a call, if any."""
    if isinstance(op_json, dict):
        prompt = op_json.get("prompt")
        if isinstance(prompt, dict):
            return prompt
    return None


def kernel_params(prompt: Any) -> Attributes:
    """Sampling parameters of a kernel (sent inline, or the version the server used)."""
    out: Attributes = {}
    temperature = field(prompt, "temperature")
    if isinstance(temperature, (int, float)):
        out[n.REQUEST_TEMPERATURE] = float(temperature)
    top_p = field(prompt, "top_p")
    if isinstance(top_p, (int, float)):
        out[n.REQUEST_TOP_P] = float(top_p)
    max_tokens = field(prompt, "max_tokens")
    # -1 is Humanloop's "no limit" sentinel: there is no requested maximum to report.
    if isinstance(max_tokens, int) and max_tokens > 0:
        out[n.REQUEST_MAX_TOKENS] = max_tokens
    seed = field(prompt, "seed")
    if isinstance(seed, int):
        out[n.REQUEST_SEED] = seed
    for key, attr in (
        ("presence_penalty", n.REQUEST_PRESENCE_PENALTY),
        ("frequency_penalty", n.REQUEST_FREQUENCY_PENALTY),
    ):
        value = field(prompt, key)
        if isinstance(value, (int, float)) and value:
            out[attr] = float(value)
    stop = field(prompt, "stop")
    if isinstance(stop, str):
        out[n.REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, (list, tuple)) and stop:
        out[n.REQUEST_STOP_SEQUENCES] = [str(s) for s in stop]
    response_format = field(prompt, "response_format")
    if response_format is not None:
        out[n.OUTPUT_TYPE] = "json"
    return out


def chat_request_attrs(op_json: Any, params: Any, streaming: bool) -> Attributes:
    """Attributes known before the call that sampling does not need (set once recording)."""
    out: Attributes = {}
    prompt = kernel(op_json)
    if prompt is not None:
        out.update(kernel_params(prompt))
    body = op_json if isinstance(op_json, dict) else {}
    query = params if isinstance(params, Mapping) else {}
    if body.get("path"):
        out[n.PROMPT_NAME] = str(body["path"])
    if body.get("id"):
        out[n.HL_PROMPT_ID] = str(body["id"])
    if query.get("version_id"):
        out[n.HL_PROMPT_VERSION_ID] = str(query["version_id"])
    environment = query.get("environment") or body.get("environment")
    if environment:
        out[n.HL_ENVIRONMENT] = str(environment)
    samples = body.get("num_samples")
    if isinstance(samples, int) and samples != 1:
        out[n.REQUEST_CHOICE_COUNT] = samples
    if streaming:
        out[n.REQUEST_STREAM] = True
    return out


def chat_response_attrs(result: Any, kernel_sent: bool) -> Attributes:
    """Attributes of a non-streamed ``PromptCallResponse``."""
    out: Attributes = {}
    log_id = field(result, "id")
    if log_id:
        out[n.RESPONSE_ID] = out[n.HL_LOG_ID] = str(log_id)
    trace_id = field(result, "trace_id")
    if trace_id:
        out[n.HL_TRACE_ID] = str(trace_id)
    prompt = field(result, "prompt")
    if prompt is not None:
        out.update(prompt_version_attrs(prompt, kernel_sent))
    logs = field(result, "logs") or ()
    reasons = [str(field(log, "finish_reason") or "") for log in logs]
    if any(reasons):
        out[n.RESPONSE_FINISH_REASONS] = reasons
    out.update(usage_attrs(
        [field(log, "prompt_tokens") for log in logs],
        [field(log, "output_tokens") for log in logs],
    ))
    cost = [field(log, k) for log in logs for k in ("prompt_cost", "output_cost")]
    if any(isinstance(c, (int, float)) for c in cost):
        out[n.HL_COST] = float(sum(c for c in cost if isinstance(c, (int, float))))
    return out


def prompt_version_attrs(prompt: Any, kernel_sent: bool) -> Attributes:
    """What the response says about the prompt version the server ran."""
    out: Attributes = {}
    model = field(prompt, "model")
    if model:
        out[n.RESPONSE_MODEL] = str(model)
    for key, attr in (("path", n.PROMPT_NAME), ("id", n.HL_PROMPT_ID),
                      ("version_id", n.HL_PROMPT_VERSION_ID)):
        value = field(prompt, key)
        if value:
            out[attr] = str(value)
    if not kernel_sent:
        # The call named a stored prompt: its version is what defined the request.
        if model:
            out[n.REQUEST_MODEL] = str(model)
        provider = provider_name(field(prompt, "provider"))
        if provider:
            out[n.PROVIDER_NAME] = provider
        out.update(kernel_params(prompt))
    return out


def usage_attrs(inputs: list[Any], outputs: list[Any]) -> Attributes:
    """Token usage across samples: the prompt is shared (max), the outputs add up."""
    out: Attributes = {}
    ins = [t for t in inputs if isinstance(t, int)]
    outs = [t for t in outputs if isinstance(t, int)]
    if ins:
        out[n.USAGE_INPUT_TOKENS] = max(ins)
    if outs:
        out[n.USAGE_OUTPUT_TOKENS] = sum(outs)
    return out


def error_type(exc: BaseException) -> str:
    """The status code for HTTP errors, else the exception's class name (low cardinality).

    A 2xx body that could not be parsed is not an HTTP error: it is typed by its class.
    """
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        return str(status)
    return type(exc).__qualname__
