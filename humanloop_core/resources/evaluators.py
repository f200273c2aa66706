"""Evaluators: record judgments on logs and manage evaluator definitions. Shared file
operations come from ``_files``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..types import (
    CreateEvaluatorLogRequest,
    CreateEvaluatorLogResponse,
    EvaluatorRequest,
    EvaluatorResponse,
    ListEvaluators,
    PaginatedData_EvaluatorResponse_,
    UpdateEvaluatorRequest,
)
from ._files import AsyncFileResource, FileKind, SyncFileResource, log_op, upsert_op

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import EvaluatorSpecArg, Json

KIND = FileKind("evaluators", EvaluatorResponse, PaginatedData_EvaluatorResponse_, ListEvaluators,
                UpdateEvaluatorRequest)
Judgment = bool | str | list[str] | float


class EvaluatorsResource(SyncFileResource[EvaluatorResponse, ListEvaluators]):
    """``client.evaluators``."""

    _kind = KIND

    def log(
        self, *, parent_id: str, version_id: str | None = None, environment: str | None = None,
        path: str | None = None, id: str | None = None, judgment: Judgment | None = None,
        spec: EvaluatorSpecArg | None = None, start_time: datetime | None = None,
        end_time: datetime | None = None, output: str | None = None,
        created_at: datetime | None = None, error: str | None = None,
        provider_latency: float | None = None, stdout: str | None = None,
        provider_request: Json | None = None, provider_response: Json | None = None,
        inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
        source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
        batch_id: str | None = None, user: str | None = None,
        create_evaluator_log_request_environment: str | None = None, save: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateEvaluatorLogResponse:
        """Record the evaluator's judgment of log ``parent_id``."""
        return self._transport.execute(
            log_op(KIND, CreateEvaluatorLogRequest, CreateEvaluatorLogResponse, locals())
        )

    def upsert(
        self, *, spec: EvaluatorSpecArg, path: str | None = None, id: str | None = None,
        commit_message: str | None = None, request_options: RequestOptions | None = None,
    ) -> EvaluatorResponse:
        """Create the evaluator, or a new version of it when ``spec`` differs."""
        return self._transport.execute(upsert_op(KIND, EvaluatorRequest, locals()))


class AsyncEvaluatorsResource(AsyncFileResource[EvaluatorResponse, ListEvaluators]):
    """``client.evaluators`` of ``AsyncHumanloop``."""

    _kind = KIND

    async def log(
        self, *, parent_id: str, version_id: str | None = None, environment: str | None = None,
        path: str | None = None, id: str | None = None, judgment: Judgment | None = None,
        spec: EvaluatorSpecArg | None = None, start_time: datetime | None = None,
        end_time: datetime | None = None, output: str | None = None,
        created_at: datetime | None = None, error: str | None = None,
        provider_latency: float | None = None, stdout: str | None = None,
        provider_request: Json | None = None, provider_response: Json | None = None,
        inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
        source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
        batch_id: str | None = None, user: str | None = None,
        create_evaluator_log_request_environment: str | None = None, save: bool | None = None,
        request_options: RequestOptions | None = None,
    ) -> CreateEvaluatorLogResponse:
        """Record the evaluator's judgment of log ``parent_id``."""
        return await self._transport.execute(
            log_op(KIND, CreateEvaluatorLogRequest, CreateEvaluatorLogResponse, locals())
        )

    async def upsert(
        self, *, spec: EvaluatorSpecArg, path: str | None = None, id: str | None = None,
        commit_message: str | None = None, request_options: RequestOptions | None = None,
    ) -> EvaluatorResponse:
        """Create the evaluator, or a new version of it when ``spec`` differs."""
        return await self._transport.execute(upsert_op(KIND, EvaluatorRequest, locals()))
