"""Files of every type (prompts, tools, datasets, evaluators, flows) in one listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..core._operation import Operation
from ..types import (
    DatasetResponse,
    EvaluatorResponse,
    FlowResponse,
    PromptResponse,
    ToolResponse,
)
from ..types import (
    PaginatedData_Union_PromptResponse__ToolResponse__DatasetResponse__EvaluatorResponse__FlowResponse__ as FilesPage,  # noqa: E501
)
from ._base import AsyncResource, SyncResource, query
from ._shells import Pages, async_pages, sync_pages

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions

File = PromptResponse | ToolResponse | DatasetResponse | EvaluatorResponse | FlowResponse
FileTypeArg = Literal["prompt", "tool", "dataset", "evaluator", "flow"]


def _list(
    *, page: int | None = None, size: int | None = None, name: str | None = None,
    type: FileTypeArg | list[FileTypeArg] | None = None, environment: str | None = None,
    sort_by: str | None = None, order: str | None = None,
    request_options: RequestOptions | None = None,
) -> Pages[File]:
    """Files of every type, page by page as you iterate."""
    params = query(locals())
    params.pop("page", None)
    return Pages(lambda n: Operation(name="files.list", method="GET", path="/files",
                                     cast_to=FilesPage, params={**params, "page": n},
                                     options=request_options), page, size)


class FilesResource(SyncResource):
    """``client.files``."""

    list = sync_pages(_list)
    list_files = list  # the official SDK's name


class AsyncFilesResource(AsyncResource):
    """``client.files`` of ``AsyncHumanloop``."""

    list = async_pages(_list)
    list_files = list  # the official SDK's name
