"""OTLP/HTTP trace requests -> plain spans: protobuf or JSON, optionally gzipped.

Both encodings become the same :class:`OtelSpan` list, so the mapping to logs is written
once. JSON is read by hand rather than through ``json_format.Parse`` because the two JSON
dialects in the wild disagree on ids: OTLP/JSON writes them as hex, while protobuf's own
JSON mapping (what the official Humanloop SDK sends) writes them as base64.

Limits (each refusal names the limit): the decompressed body, the number of spans, the
attributes of one span and how deeply attribute values nest.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiProblem

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_SPANS = 10_000
MAX_ATTRIBUTES = 1_000
MAX_VALUE_DEPTH = 8

STATUS_ERROR = 2


@dataclass(frozen=True)
class OtelSpan:
    """One span as the mapping needs it; ids are lowercase hex."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    status_code: int = 0
    status_message: str = ""
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str = ""
    events: tuple[tuple[str, dict[str, Any]], ...] = ()


def decode(body: bytes, content_type: str | None, content_encoding: str | None) -> list[OtelSpan]:
    """Spans of an OTLP/HTTP export request (``ExportTraceServiceRequest`` or ``TracesData``)."""
    data = _decompress(body, content_encoding)
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("application/x-protobuf", "application/protobuf"):
        spans = _from_protobuf(data)
    elif media == "application/json":
        spans = _from_json(data)
    elif media in ("", "application/octet-stream", "text/plain", "application/x-www-form-urlencoded"):
        # Some exporters send no usable content type (the official SDK posts a bare string):
        # JSON always starts with '{', an OTLP protobuf message never does (field 1 = 0x0a).
        spans = _from_json(data) if data.lstrip()[:1] == b"{" else _from_protobuf(data)
    else:
        raise ApiProblem(415, f"unsupported content type {media!r}: send application/x-protobuf "
                              "or application/json")
    if len(spans) > MAX_SPANS:
        raise ApiProblem(413, f"too many spans: {len(spans)} in one request, at most {MAX_SPANS}")
    return spans


def _decompress(body: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        return body
    if encoding not in ("gzip", "deflate"):
        raise ApiProblem(415, f"unsupported content encoding {encoding!r}: use gzip or none")
    # Bounded inflate: a small bomb must not expand into memory before it is refused.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise ApiProblem(400, f"body is not valid {encoding}: {exc}") from None
    if len(data) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise _too_large()
    return data


def _too_large() -> ApiProblem:
    return ApiProblem(413, f"body too large: at most {MAX_BODY_BYTES} bytes once decompressed")


# -- protobuf ------------------------------------------------------------------------------
def _from_protobuf(data: bytes) -> list[OtelSpan]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(data)
    except (DecodeError, RecursionError) as exc:
        raise ApiProblem(400, f"body is not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
    spans: list[OtelSpan] = []
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes, "resource")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(OtelSpan(
                    trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex() or None, name=span.name,
                    kind=span.kind, start_ns=span.start_time_unix_nano,
                    end_ns=span.end_time_unix_nano,
                    attributes=_pb_attributes(span.attributes, span.name),
                    status_code=span.status.code, status_message=span.status.message,
                    resource=resource, scope=scope_spans.scope.name,
                    events=tuple((e.name, _pb_attributes(e.attributes, e.name)) for e in span.events),
                ))
                _check_span(spans[-1])
                if len(spans) > MAX_SPANS:
                    return spans
    return spans


def _pb_attributes(pairs: Any, where: str) -> dict[str, Any]:
    if len(pairs) > MAX_ATTRIBUTES:
        raise _too_many_attributes(where, len(pairs))
    return {kv.key: _pb_value(kv.value, 0) for kv in pairs}


def _pb_value(value: Any, depth: int) -> Any:
    kind = value.WhichOneof("value")
    if kind in ("array_value", "kvlist_value"):
        if depth >= MAX_VALUE_DEPTH:
            raise _too_deep()
        if kind == "array_value":
            return [_pb_value(v, depth + 1) for v in value.array_value.values]
        return {kv.key: _pb_value(kv.value, depth + 1) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind) if kind else None


# -- JSON ----------------------------------------------------------------------------------
def _from_json(data: bytes) -> list[OtelSpan]:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ApiProblem(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ApiProblem(400, "body must be a JSON object with resourceSpans")
    spans: list[OtelSpan] = []
    for i, resource_spans in enumerate(_list(doc, "resourceSpans", "resource_spans", "body")):
        where = f"resourceSpans[{i}]"
        resource = _json_attributes(_get(_dict(resource_spans, where), "resource") or {}, where)
        for j, scope_spans in enumerate(_list(resource_spans, "scopeSpans", "scope_spans", where)):
            at = f"{where}.scopeSpans[{j}]"
            scope = _get(_dict(scope_spans, at), "scope") or {}
            scope_name = str(scope.get("name", "")) if isinstance(scope, dict) else ""
            for k, raw in enumerate(_list(scope_spans, "spans", "spans", at)):
                spans.append(_json_span(_dict(raw, f"{at}.spans[{k}]"), f"{at}.spans[{k}]",
                                        resource, scope_name))
                if len(spans) > MAX_SPANS:
                    return spans
    return spans


def _json_span(raw: dict[str, Any], where: str, resource: dict[str, Any], scope: str) -> OtelSpan:
    status = _get(raw, "status") or {}
    events = tuple((str(e.get("name", "")), _json_attributes(e, where))
                   for e in (_get(raw, "events") or []) if isinstance(e, dict))
    span = OtelSpan(
        trace_id=_id(_get(raw, "traceId", "trace_id"), 16, f"{where}.traceId"),
        span_id=_id(_get(raw, "spanId", "span_id"), 8, f"{where}.spanId"),
        parent_span_id=_id(_get(raw, "parentSpanId", "parent_span_id"), 8, f"{where}.parentSpanId",
                           optional=True) or None,
        name=str(raw.get("name", "")), kind=_enum(raw.get("kind"), "SPAN_KIND_"),
        start_ns=_int(_get(raw, "startTimeUnixNano", "start_time_unix_nano"), where),
        end_ns=_int(_get(raw, "endTimeUnixNano", "end_time_unix_nano"), where),
        attributes=_json_attributes(raw, where),
        status_code=_enum(status.get("code"), "STATUS_CODE_") if isinstance(status, dict) else 0,
        status_message=str(status.get("message", "")) if isinstance(status, dict) else "",
        resource=resource, scope=scope, events=events,
    )
    _check_span(span)
    return span


def _get(obj: dict[str, Any], camel: str, snake: str | None = None) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None and snake else value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiProblem(400, f"{where} must be an object")
    return value


def _list(obj: Any, camel: str, snake: str, where: str) -> list[Any]:
    value = _get(obj, camel, snake) if isinstance(obj, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiProblem(400, f"{where}.{camel} must be an array")
    return value


def _json_attributes(holder: dict[str, Any], where: str) -> dict[str, Any]:
    pairs = holder.get("attributes") or []
    if not isinstance(pairs, list):
        raise ApiProblem(400, f"{where}.attributes must be an array of key/value pairs")
    if len(pairs) > MAX_ATTRIBUTES:
        raise _too_many_attributes(where, len(pairs))
    return {str(p.get("key")): _json_value(p.get("value"), 0) for p in pairs if isinstance(p, dict)}


def _json_value(value: Any, depth: int) -> Any:
    if not isinstance(value, dict):
        return None
    for key, raw in value.items():
        if key in ("stringValue", "string_value", "boolValue", "bool_value"):
            return raw
        if key in ("intValue", "int_value"):  # int64 travels as a JSON string
            try:
                return int(raw)
            except (TypeError, ValueError):
                return None
        if key in ("doubleValue", "double_value"):
            return float(raw) if isinstance(raw, (int, float, str)) else None
        if key in ("bytesValue", "bytes_value"):
            return raw
        if key in ("arrayValue", "array_value", "kvlistValue", "kvlist_value"):
            if depth >= MAX_VALUE_DEPTH:
                raise _too_deep()
            items = (raw or {}).get("values") or [] if isinstance(raw, dict) else []
            if key.startswith("array"):
                return [_json_value(v, depth + 1) for v in items]
            return {str(kv.get("key")): _json_value(kv.get("value"), depth + 1)
                    for kv in items if isinstance(kv, dict)}
    return None


def _id(value: Any, size: int, where: str, *, optional: bool = False) -> str:
    if value in (None, ""):
        if optional:
            return ""
        raise ApiProblem(400, f"{where} is missing")
    text = str(value)
    if len(text) == size * 2:
        try:
            bytes.fromhex(text)
            return text.lower()
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise ApiProblem(400, f"{where} must be {size} bytes as hex (or base64): got {text[:64]!r}")
    return raw.hex()


def _int(value: Any, where: str) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise ApiProblem(400, f"{where}: timestamps must be integers of nanoseconds") from None


def _enum(value: Any, prefix: str) -> int:
    """OTLP/JSON enums are integers; protobuf's JSON mapping writes their names."""
    if isinstance(value, int):
        return value
    names = {"SPAN_KIND_": ("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"),
             "STATUS_CODE_": ("UNSET", "OK", "ERROR")}[prefix]
    text = str(value or "").removeprefix(prefix)
    return names.index(text) if text in names else 0


def _check_span(span: OtelSpan) -> None:
    if len(span.trace_id) != 32 or len(span.span_id) != 16 or set(span.trace_id) == {"0"}:
        raise ApiProblem(400, f"span {span.name!r} has an invalid trace or span id")


def _too_many_attributes(where: str, count: int) -> ApiProblem:
    return ApiProblem(413, f"{where}: {count} attributes, at most {MAX_ATTRIBUTES}")


def _too_deep() -> ApiProblem:
    return ApiProblem(400, f"an attribute value nests deeper than {MAX_VALUE_DEPTH} levels")
