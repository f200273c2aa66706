"""Files of every type (prompts, tools, datasets, evaluators, flows) in one listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..core._operation import Operation
from ..types import (
    AgentResponse,
    DatasetResponse,
    EvaluatorResponse,
    FlowResponse,
    PromptResponse,
    ToolResponse,
)
from ..types import (
    PaginatedDataUnionPromptResponseToolResponseDatasetResponseEvaluatorResponseFlowResponseAgentResponse as FilesPage,  # noqa: E501
)
from ._base import AsyncResource, SyncResource, query
from ._shells import Pages, async_call, async_pages, sync_call, sync_pages

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions

File = (PromptResponse | ToolResponse | DatasetResponse | EvaluatorResponse | FlowResponse
        | AgentResponse)
FileTypeArg = Literal["prompt", "tool", "dataset", "evaluator", "flow", "agent"]


def _list(
    *, page: int | None = None, size: int | None = None, name: str | None = None,
    type: FileTypeArg | list[FileTypeArg] | None = None, environment: str | None = None,
    sort_by: str | None = None, order: str | None = None, path: str | None = None,
    template: bool | None = None, include_raw_file_content: bool | None = None,
    request_options: RequestOptions | None = None,
) -> Pages[File]:
    """Files of every type, page by page as you iterate."""
    params = query(locals())
    params.pop("page", None)
    return Pages(lambda n: Operation(name="files.list", method="GET", path="/files",
                                     cast_to=FilesPage, params={**params, "page": n},
                                     options=request_options), page, size)


def _retrieve_by_path(
    *, path: str, version_id: str | None = None, environment: str | None = None,
    include_raw_file_content: bool | None = None, request_options: RequestOptions | None = None,
) -> Operation[File]:
    """The file at ``path`` (any type) at ``version_id``, the version deployed to
    ``environment``, else its default version: one request."""
    params = query(locals())
    json = {"path": params.pop("path")}
    return Operation(name="files.retrieve_by_path", method="POST", path="/files/retrieve-by-path",
                     cast_to=File, params=params, json=json, options=request_options)


class FilesResource(SyncResource):
    """``client.files``."""

    list = sync_pages(_list)
    list_files = list  # the official SDK's name
    retrieve_by_path = sync_call(_retrieve_by_path)


class AsyncFilesResource(AsyncResource):
    """``client.files`` of ``AsyncHumanloop``."""

    list = async_pages(_list)
    list_files = list  # the official SDK's name
    retrieve_by_path = async_call(_retrieve_by_path)
