"""Tools: log tool executions and manage tool definitions. Shared file operations come
from ``_files``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from ..types import (
    CreateToolLogResponse,
    ListTools,
    PaginatedData_ToolResponse_,
    ToolLogRequest,
    ToolRequest,
    ToolResponse,
    UpdateToolRequest,
)
from ._files import AsyncFileResource, FileKind, SyncFileResource, log_op, upsert_op

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import Json, ToolFunctionArg, ToolKernelArg

KIND = FileKind("tools", ToolResponse, PaginatedData_ToolResponse_, ListTools, UpdateToolRequest)
ToolTypeArg = Literal["pinecone_search", "google", "mock", "snippet", "json_schema", "get_api_call"]


class ToolsResource(SyncFileResource[ToolResponse, ListTools]):
    """``client.tools``."""

    _kind = KIND

    def log(
        self, *, version_id: str | None = None, environment: str | None = None,
        path: str | None = None, id: str | None = None, tool: ToolKernelArg | None = None,
        start_time: datetime | None = None, end_time: datetime | None = None,
        output: str | None = None, created_at: datetime | None = None, error: str | None = None,
        provider_latency: float | None = None, stdout: str | None = None,
        provider_request: Json | None = None, provider_response: Json | None = None,
        inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
        source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
        batch_id: str | None = None, user: str | None = None,
        tool_log_request_environment: str | None = None, save: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateToolLogResponse:
        """Log one execution of the tool (created if new)."""
        return self._transport.execute(
            log_op(KIND, ToolLogRequest, CreateToolLogResponse, locals())
        )

    def upsert(
        self, *, path: str | None = None, id: str | None = None,
        function: ToolFunctionArg | None = None, source_code: str | None = None,
        setup_values: Json | None = None, attributes: Json | None = None,
        tool_type: ToolTypeArg | None = None, commit_message: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> ToolResponse:
        """Create the tool, or a new version of it when its definition differs."""
        return self._transport.execute(upsert_op(KIND, ToolRequest, locals()))


class AsyncToolsResource(AsyncFileResource[ToolResponse, ListTools]):
    """``client.tools`` of ``AsyncHumanloop``."""

    _kind = KIND

    async def log(
        self, *, version_id: str | None = None, environment: str | None = None,
        path: str | None = None, id: str | None = None, tool: ToolKernelArg | None = None,
        start_time: datetime | None = None, end_time: datetime | None = None,
        output: str | None = None, created_at: datetime | None = None, error: str | None = None,
        provider_latency: float | None = None, stdout: str | None = None,
        provider_request: Json | None = None, provider_response: Json | None = None,
        inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
        source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
        batch_id: str | None = None, user: str | None = None,
        tool_log_request_environment: str | None = None, save: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateToolLogResponse:
        """Log one execution of the tool (created if new)."""
        return await self._transport.execute(
            log_op(KIND, ToolLogRequest, CreateToolLogResponse, locals())
        )

    async def upsert(
        self, *, path: str | None = None, id: str | None = None,
        function: ToolFunctionArg | None = None, source_code: str | None = None,
        setup_values: Json | None = None, attributes: Json | None = None,
        tool_type: ToolTypeArg | None = None, commit_message: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> ToolResponse:
        """Create the tool, or a new version of it when its definition differs."""
        return await self._transport.execute(upsert_op(KIND, ToolRequest, locals()))
