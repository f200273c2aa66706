"""Files of every type (prompts, tools, datasets, evaluators, flows) in one listing."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

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

if TYPE_CHECKING:
    from ..core._pagination import AsyncPager, SyncPager
    from ..core.request_options import RequestOptions

File = PromptResponse | ToolResponse | DatasetResponse | EvaluatorResponse | FlowResponse
FileTypeArg = Literal["prompt", "tool", "dataset", "evaluator", "flow"]


def list_op(args: Mapping[str, Any]) -> Callable[[int], Operation[Any]]:
    """Page ``n`` of ``GET /files``."""
    params = query(args)
    params.pop("page", None)
    options = args.get("request_options")
    return lambda n: Operation(name="files.list", method="GET", path="/files", cast_to=FilesPage,
                               params={**params, "page": n}, options=options)


class FilesResource(SyncResource):
    """``client.files``."""

    def list(
        self, *, page: int | None = None, size: int | None = None, name: str | None = None,
        type: FileTypeArg | builtins.list[FileTypeArg] | None = None,
        environment: str | None = None, sort_by: str | None = None, order: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> SyncPager[File]:
        """Files of every type, page by page as you iterate."""
        return self._transport.paginate(list_op(locals()), page, size)

    list_files = list  # the official SDK's name


class AsyncFilesResource(AsyncResource):
    """``client.files`` of ``AsyncHumanloop``."""

    async def list(
        self, *, page: int | None = None, size: int | None = None, name: str | None = None,
        type: FileTypeArg | builtins.list[FileTypeArg] | None = None,
        environment: str | None = None, sort_by: str | None = None, order: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[File]:
        """Files of every type, page by page as you iterate (``async for``)."""
        return await self._transport.paginate(list_op(locals()), page, size)

    list_files = list  # the official SDK's name
