"""Evaluators: record judgments on logs and manage evaluator definitions. Shared file
operations come from ``_files``; each method below is one builder, sent by both clients."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from ..core._operation import Operation
from ..types import (
    CreateEvaluatorLogRequest,
    CreateEvaluatorLogResponse,
    EvaluatorRequest,
    EvaluatorResponse,
    ListEvaluators,
    PaginatedData_EvaluatorResponse_,
    UpdateEvaluatorRequest,
)
from ._files import (
    AsyncLoggedFileResource,
    FileKind,
    SyncLoggedFileResource,
    log_op,
    upsert_op,
)
from ._shells import async_call, sync_call

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import EvaluatorSpecArg, Json, Message

KIND = FileKind("evaluators", EvaluatorResponse, PaginatedData_EvaluatorResponse_, ListEvaluators,
                UpdateEvaluatorRequest)
Judgment = bool | str | list[str] | float


def _log(
    *, parent_id: str, version_id: str | None = None, environment: str | None = None,
    path: str | None = None, id: str | None = None, judgment: Judgment | None = None,
    marked_completed: bool | None = None, log_id: str | None = None,
    log_status: Literal["complete", "incomplete"] | None = None,
    output_message: Message | None = None,
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
) -> Operation[CreateEvaluatorLogResponse]:
    """Record the evaluator's judgment of log ``parent_id``."""
    return log_op(KIND, CreateEvaluatorLogRequest, CreateEvaluatorLogResponse, locals())


def _upsert(
    *, spec: EvaluatorSpecArg, path: str | None = None, id: str | None = None,
    version_name: str | None = None, version_description: str | None = None,
    commit_message: str | None = None, request_options: RequestOptions | None = None,
) -> Operation[EvaluatorResponse]:
    """Create the evaluator, or a new version of it when ``spec`` differs."""
    return upsert_op(KIND, EvaluatorRequest, locals())


class EvaluatorsResource(SyncLoggedFileResource[EvaluatorResponse, ListEvaluators]):
    """``client.evaluators``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_evaluator_version = SyncLoggedFileResource.update_version
    delete_evaluator_version = SyncLoggedFileResource.delete_version
    log = sync_call(_log)
    upsert = sync_call(_upsert)


class AsyncEvaluatorsResource(AsyncLoggedFileResource[EvaluatorResponse, ListEvaluators]):
    """``client.evaluators`` of ``AsyncHumanloop``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_evaluator_version = AsyncLoggedFileResource.update_version
    delete_evaluator_version = AsyncLoggedFileResource.delete_version
    log = async_call(_log)
    upsert = async_call(_upsert)
