"""Flows: log traces of multi-step pipelines and close them. Shared file operations come
from ``_files``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..core._operation import Operation
from ..types import (
    CreateFlowLogResponse,
    FlowLogRequest,
    FlowLogResponse,
    FlowRequest,
    FlowResponse,
    ListFlows,
    PaginatedData_FlowResponse_,
    UpdateFlowRequest,
    UpdateTraceRequest,
)
from ._base import body, path, split
from ._files import AsyncFileResource, FileKind, SyncFileResource, log_op, upsert_op

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import FlowKernelArg, Json

KIND = FileKind("flows", FlowResponse, PaginatedData_FlowResponse_, ListFlows, UpdateFlowRequest)
TraceStatus = Literal["complete", "incomplete"]


def update_log_op(args: Mapping[str, Any]) -> Operation[FlowLogResponse]:
    """``PATCH /flows/logs/{log_id}``: update a trace, e.g. mark it complete."""
    _, fields = split(args, ())
    url = path("flows", "logs", fields.pop("log_id"))
    return Operation(name="flows.update_log", method="PATCH", path=url, cast_to=FlowLogResponse,
                     json=body("flows.update_log", UpdateTraceRequest, fields),
                     options=args.get("request_options"))


class FlowsResource(SyncFileResource[FlowResponse, ListFlows]):
    """``client.flows``."""

    _kind = KIND

    def log(
        self, *, version_id: str | None = None, environment: str | None = None,
        evaluation_id: str | None = None, path: str | None = None, id: str | None = None,
        flow: FlowKernelArg | None = None, trace_status: TraceStatus | None = None,
        log_id: str | None = None, start_time: datetime | None = None,
        end_time: datetime | None = None, output: str | None = None,
        created_at: datetime | None = None, error: str | None = None,
        provider_latency: float | None = None, stdout: str | None = None,
        provider_request: Json | None = None, provider_response: Json | None = None,
        inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
        source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
        batch_id: str | None = None, user: str | None = None,
        flow_log_request_environment: str | None = None, save: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateFlowLogResponse:
        """Open (or log a whole) trace of the flow (created if new)."""
        return self._transport.execute(
            log_op(KIND, FlowLogRequest, CreateFlowLogResponse, locals())
        )

    def update_log(
        self, log_id: str, *, trace_status: TraceStatus, inputs: Json | None = None,
        output: str | None = None, error: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> FlowLogResponse:
        """Update trace ``log_id``; ``trace_status="complete"`` closes it."""
        return self._transport.execute(update_log_op(locals()))

    def upsert(
        self, *, attributes: Json, path: str | None = None, id: str | None = None,
        commit_message: str | None = None, request_options: RequestOptions | None = None,
    ) -> FlowResponse:
        """Create the flow, or a new version of it when ``attributes`` differ."""
        return self._transport.execute(upsert_op(KIND, FlowRequest, locals()))


class AsyncFlowsResource(AsyncFileResource[FlowResponse, ListFlows]):
    """``client.flows`` of ``AsyncHumanloop``."""

    _kind = KIND

    async def log(
        self, *, version_id: str | None = None, environment: str | None = None,
        evaluation_id: str | None = None, path: str | None = None, id: str | None = None,
        flow: FlowKernelArg | None = None, trace_status: TraceStatus | None = None,
        log_id: str | None = None, start_time: datetime | None = None,
        end_time: datetime | None = None, output: str | None = None,
        created_at: datetime | None = None, error: str | None = None,
        provider_latency: float | None = None, stdout: str | None = None,
        provider_request: Json | None = None, provider_response: Json | None = None,
        inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
        source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
        batch_id: str | None = None, user: str | None = None,
        flow_log_request_environment: str | None = None, save: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateFlowLogResponse:
        """Open (or log a whole) trace of the flow (created if new)."""
        return await self._transport.execute(
            log_op(KIND, FlowLogRequest, CreateFlowLogResponse, locals())
        )

    async def update_log(
        self, log_id: str, *, trace_status: TraceStatus, inputs: Json | None = None,
        output: str | None = None, error: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> FlowLogResponse:
        """Update trace ``log_id``; ``trace_status="complete"`` closes it."""
        return await self._transport.execute(update_log_op(locals()))

    async def upsert(
        self, *, attributes: Json, path: str | None = None, id: str | None = None,
        commit_message: str | None = None, request_options: RequestOptions | None = None,
    ) -> FlowResponse:
        """Create the flow, or a new version of it when ``attributes`` differ."""
        return await self._transport.execute(upsert_op(KIND, FlowRequest, locals()))
