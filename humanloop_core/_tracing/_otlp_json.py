"""Finished SDK spans -> an OTLP/JSON ``ExportTraceServiceRequest`` (pure, no I/O).

Written by hand so exporting needs no protobuf package: OTLP/JSON is plain JSON with hex
ids, int64 values as strings and integer enums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Attribute values past this many characters are cut: a span is telemetry, not storage.
MAX_VALUE_CHARS = 64 * 1024


def encode(spans: Sequence[Any]) -> dict[str, Any]:
    """``spans`` are ``opentelemetry.sdk.trace.ReadableSpan``; grouped by resource and scope."""
    resources: dict[int, tuple[Any, dict[str, list[dict[str, Any]]]]] = {}
    for span in spans:
        resource = span.resource
        _, scopes = resources.setdefault(id(resource), (resource, {}))
        scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
        scopes.setdefault(scope, []).append(_span(span))
    return {"resourceSpans": [
        {"resource": {"attributes": _attributes(resource.attributes if resource else {})},
         "scopeSpans": [{"scope": {"name": name}, "spans": items} for name, items in scopes.items()]}
        for resource, scopes in resources.values()
    ]}


def _span(span: Any) -> dict[str, Any]:
    context = span.context
    out: dict[str, Any] = {
        "traceId": format(context.trace_id, "032x"), "spanId": format(context.span_id, "016x"),
        "name": span.name, "kind": span.kind.value + 1,  # the API counts from 0, OTLP from 1
        "startTimeUnixNano": str(span.start_time or 0), "endTimeUnixNano": str(span.end_time or 0),
        "attributes": _attributes(span.attributes or {}),
    }
    if span.parent is not None:
        out["parentSpanId"] = format(span.parent.span_id, "016x")
    status = span.status
    if status is not None and status.status_code.value:
        out["status"] = {"code": status.status_code.value, "message": status.description or ""}
    if span.events:
        out["events"] = [{"name": e.name, "timeUnixNano": str(e.timestamp),
                          "attributes": _attributes(e.attributes or {})} for e in span.events]
    return out


def _attributes(attrs: Any) -> list[dict[str, Any]]:
    return [{"key": str(k), "value": _value(v)} for k, v in attrs.items()]


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [_value(v) for v in value]}}
    text = value if isinstance(value, str) else str(value)
    return {"stringValue": text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"}
