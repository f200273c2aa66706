"""Tools: log tool executions and manage tool definitions. Shared file operations come
from ``_files``; each method below is one builder, sent by both clients (see ``_shells``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from ..core._operation import Operation
from ..types import (
    CreateToolLogResponse,
    FileEnvironmentVariableRequest,
    ListTools,
    PaginatedData_ToolResponse_,
    ToolCallResponse,
    ToolLogRequest,
    ToolLogResponse,
    ToolLogUpdateRequest,
    ToolRequest,
    ToolResponse,
    ToolsCallRequest,
    UpdateToolRequest,
)
from ._base import body, path, split
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
    from ._params import Json, ToolFunctionArg, ToolKernelArg

KIND = FileKind("tools", ToolResponse, PaginatedData_ToolResponse_, ListTools, UpdateToolRequest)
ToolTypeArg = Literal["pinecone_search", "google", "mock", "snippet", "json_schema", "get_api_call"]


def _log(
    *, version_id: str | None = None, environment: str | None = None,
    path: str | None = None, id: str | None = None, tool: ToolKernelArg | None = None,
    start_time: datetime | None = None, end_time: datetime | None = None,
    output: str | None = None, created_at: datetime | None = None, error: str | None = None,
    provider_latency: float | None = None, stdout: str | None = None,
    provider_request: Json | None = None, provider_response: Json | None = None,
    inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
    source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
    batch_id: str | None = None, user: str | None = None,
    tool_log_request_environment: str | None = None, save: bool | None = None,
    log_id: str | None = None, log_status: Literal["complete", "incomplete"] | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[CreateToolLogResponse]:
    """Log one execution of the tool (created if new)."""
    return log_op(KIND, ToolLogRequest, CreateToolLogResponse, locals())


def _call(
    *, version_id: str | None = None, environment: str | None = None,
    path: str | None = None, id: str | None = None, tool: ToolKernelArg | None = None,
    inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
    start_time: datetime | None = None, end_time: datetime | None = None,
    log_status: Literal["complete", "incomplete"] | None = None,
    source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
    user: str | None = None, tool_call_request_environment: str | None = None,
    save: bool | None = None, log_id: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[ToolCallResponse]:
    """Run the tool's Python ``source_code`` on the server with ``inputs`` as keyword
    arguments, and log it; a failure is the log's ``error``."""
    params, fields = split(locals(), ("version_id", "environment"))
    if "tool_call_request_environment" in fields:
        fields["environment"] = fields.pop("tool_call_request_environment")
    return Operation(name="tools.call", method="POST", path="/tools/call", cast_to=ToolCallResponse,
                     params=params, json=body("tools.call", ToolsCallRequest, fields), options=request_options)


def _upsert(
    *, path: str | None = None, id: str | None = None,
    function: ToolFunctionArg | None = None, source_code: str | None = None,
    setup_values: Json | None = None, attributes: Json | None = None,
    tool_type: ToolTypeArg | None = None, version_name: str | None = None, version_description: str | None = None,
    commit_message: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[ToolResponse]:
    """Create the tool, or a new version of it when its definition differs."""
    return upsert_op(KIND, ToolRequest, locals())


def _update(
    id: str, log_id: str, *, output: str | None = None, created_at: datetime | None = None,
    error: str | None = None, provider_latency: float | None = None, stdout: str | None = None,
    provider_request: Json | None = None, provider_response: Json | None = None,
    inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
    start_time: datetime | None = None, end_time: datetime | None = None,
    log_status: Literal["complete", "incomplete"] | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[ToolLogResponse]:
    """Update fields of log ``log_id`` of tool ``id``."""
    return update_log_op(KIND, ToolLogUpdateRequest, ToolLogResponse, locals())


def _get_environment_variables(
    id: str, *, request_options: RequestOptions | None = None,
) -> Operation[list[FileEnvironmentVariableRequest]]:
    """The tool's environment variables (name and value)."""
    return Operation(name="tools.get_environment_variables", method="GET",
                     path=path("tools", id, "environment-variables"),
                     cast_to=list[FileEnvironmentVariableRequest], options=request_options)


def _add_environment_variable(
    id: str, *, request: Sequence[FileEnvironmentVariableRequest | Json],
    request_options: RequestOptions | None = None,
) -> Operation[list[FileEnvironmentVariableRequest]]:
    """Add (or overwrite) environment variables; returns them all."""
    values = [FileEnvironmentVariableRequest.model_validate(v).to_wire() for v in request]
    return Operation(name="tools.add_environment_variable", method="POST",
                     path=path("tools", id, "environment-variables"), json=values,
                     cast_to=list[FileEnvironmentVariableRequest], options=request_options)


def _delete_environment_variable(
    id: str, name: str, *, request_options: RequestOptions | None = None,
) -> Operation[list[FileEnvironmentVariableRequest]]:
    """Remove one environment variable; returns those left."""
    return Operation(name="tools.delete_environment_variable", method="DELETE",
                     path=path("tools", id, "environment-variables", name),
                     cast_to=list[FileEnvironmentVariableRequest], options=request_options)


class ToolsResource(SyncLoggedFileResource[ToolResponse, ListTools]):
    """``client.tools``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_tool_version = SyncLoggedFileResource.update_version
    delete_tool_version = SyncLoggedFileResource.delete_version
    call = sync_call(_call)
    log = sync_call(_log)
    update = sync_call(_update)
    update_log = update  # this client's name for it
    get_environment_variables = sync_call(_get_environment_variables)
    add_environment_variable = sync_call(_add_environment_variable)
    delete_environment_variable = sync_call(_delete_environment_variable)
    upsert = sync_call(_upsert)


class AsyncToolsResource(AsyncLoggedFileResource[ToolResponse, ListTools]):
    """``client.tools`` of ``AsyncHumanloop``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_tool_version = AsyncLoggedFileResource.update_version
    delete_tool_version = AsyncLoggedFileResource.delete_version
    call = async_call(_call)
    log = async_call(_log)
    update = async_call(_update)
    update_log = update  # this client's name for it
    get_environment_variables = async_call(_get_environment_variables)
    add_environment_variable = async_call(_add_environment_variable)
    delete_environment_variable = async_call(_delete_environment_variable)
    upsert = async_call(_upsert)
