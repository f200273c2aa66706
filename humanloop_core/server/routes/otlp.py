"""OTLP/HTTP trace export: ``POST /v5/import/otel/v1/traces`` (where the official SDK's
decorators send) and ``POST /v1/traces`` (where any OTLP exporter or Collector sends)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..errors import ApiProblem
from ..otlp import IngestResult, OtlpIngest
from ..otlp_wire import MAX_BODY_BYTES, decode
from .common import off_loop

router = APIRouter()
_PROTOBUF = "application/x-protobuf"


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it passes the limit rather than after buffering it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiProblem(413, f"body too large: {declared} bytes, at most {MAX_BODY_BYTES}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiProblem(413, f"body too large: more than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _ingest(app_state: Any, body: bytes, content_type: str | None,
            content_encoding: str | None) -> IngestResult:
    spans = decode(body, content_type, content_encoding)
    ingest: OtlpIngest = app_state.otlp
    return ingest.ingest(spans)


def _answer(result: IngestResult, protobuf: bool) -> Response:
    if protobuf:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTracePartialSuccess,
            ExportTraceServiceResponse,
        )

        message = ExportTraceServiceResponse()
        if result.rejected:
            message.partial_success.CopyFrom(ExportTracePartialSuccess(
                rejected_spans=result.rejected, error_message=result.message()))
        return Response(message.SerializeToString(), media_type=_PROTOBUF)
    # ``records`` (the log ids) is what the official SDK reads back; OTLP clients ignore it.
    body: dict[str, Any] = {"records": result.records}
    if result.rejected:
        body["partialSuccess"] = {"rejectedSpans": result.rejected, "errorMessage": result.message()}
    return JSONResponse(body)


async def _export(request: Request) -> Response:
    body = await _read_body(request)
    content_type = request.headers.get("content-type")
    result = await off_loop(_ingest, request.app.state, body, content_type,
                            request.headers.get("content-encoding"))
    protobuf = (content_type or "").split(";")[0].strip().lower() in (_PROTOBUF, "application/protobuf")
    return _answer(result, protobuf)


_DOC: dict[int | str, dict[str, Any]] = {200: {"description": "OTLP ExportTraceServiceResponse (protobuf or JSON), plus `records`: "
                             "the ids of the logs stored, in span order (JSON only)."}}


@router.post("/v5/import/otel/v1/traces", tags=["otel"], summary="Import OTLP traces as logs",
             responses=_DOC)
async def import_traces(request: Request) -> Response:
    return await _export(request)


@router.post("/v1/traces", tags=["otel"], summary="OTLP/HTTP trace export (as logs)", responses=_DOC)
async def otlp_traces(request: Request) -> Response:
    return await _export(request)
