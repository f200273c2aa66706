"""Flows: log traces of multi-step pipelines and close them. Shared file operations come
from ``_files``; each method below is one builder, sent by both clients."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

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
from ._files import (
    AsyncLoggedFileResource,
    FileKind,
    SyncLoggedFileResource,
    log_op,
    update_log_op,
    upsert_op,
)
from ._shells import async_call, sync_call

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import FlowKernelArg, Json, Message, Messages

KIND = FileKind("flows", FlowResponse, PaginatedData_FlowResponse_, ListFlows, UpdateFlowRequest)
TraceStatus = Literal["complete", "incomplete"]


def _log(
    *, version_id: str | None = None, environment: str | None = None,
    evaluation_id: str | None = None, path: str | None = None, id: str | None = None,
    flow: FlowKernelArg | None = None, trace_status: TraceStatus | None = None,
    log_status: TraceStatus | None = None, run_id: str | None = None,
    messages: Messages | None = None, output_message: Message | None = None,
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
) -> Operation[CreateFlowLogResponse]:
    """Open (or log a whole) trace of the flow (created if new)."""
    return log_op(KIND, FlowLogRequest, CreateFlowLogResponse, locals())


def _update_log(
    log_id: str, *, trace_status: TraceStatus | None = None,
    log_status: TraceStatus | None = None, messages: Messages | None = None,
    output_message: Message | None = None, inputs: Json | None = None,
    output: str | None = None, error: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[FlowLogResponse]:
    """Update trace ``log_id`` (``PATCH /flows/logs/{log_id}``); ``log_status="complete"``
    (or the older ``trace_status``) closes it."""
    return update_log_op(KIND, UpdateTraceRequest, FlowLogResponse, locals())


def _upsert(
    *, attributes: Json, path: str | None = None, id: str | None = None,
    version_name: str | None = None, version_description: str | None = None,
    commit_message: str | None = None, request_options: RequestOptions | None = None,
) -> Operation[FlowResponse]:
    """Create the flow, or a new version of it when ``attributes`` differ."""
    return upsert_op(KIND, FlowRequest, locals())


class FlowsResource(SyncLoggedFileResource[FlowResponse, ListFlows]):
    """``client.flows``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_flow_version = SyncLoggedFileResource.update_version
    delete_flow_version = SyncLoggedFileResource.delete_version
    log = sync_call(_log)
    update_log = sync_call(_update_log)
    upsert = sync_call(_upsert)


class AsyncFlowsResource(AsyncLoggedFileResource[FlowResponse, ListFlows]):
    """``client.flows`` of ``AsyncHumanloop``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_flow_version = AsyncLoggedFileResource.update_version
    delete_flow_version = AsyncLoggedFileResource.delete_version
    log = async_call(_log)
    update_log = async_call(_update_log)
    upsert = async_call(_upsert)
