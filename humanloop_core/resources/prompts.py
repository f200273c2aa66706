"""Prompts: call a versioned prompt (whole or streamed), log calls made elsewhere, manage
versions and deployments. Shared file operations come from ``_files``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, overload

from typing_extensions import Unpack

from ..core._operation import Operation
from ..types import (
    CreatePromptLogResponse,
    ListPrompts,
    LogResponse,
    PaginatedData_PromptResponse_,
    PopulateTemplateResponse,
    PromptCallRequest,
    PromptCallResponse,
    PromptCallStreamResponse,
    PromptKernelRequest,
    PromptLogRequest,
    PromptLogUpdateRequest,
    PromptRequest,
    PromptResponse,
    UpdatePromptRequest,
)
from ._base import body, path, rename, split
from ._files import (
    AsyncLoggedFileResource,
    FileKind,
    SyncLoggedFileResource,
    deserialize_op,
    log_op,
    serialize_op,
    update_log_op,
    upsert_op,
)
from ._shells import (
    async_call,
    async_kind,
    async_stream,
    listed_keywords,
    sync_call,
    sync_kind,
    sync_stream,
)

if TYPE_CHECKING:
    from ..core._streaming import AsyncStream, Stream
    from ..core.request_options import RequestOptions
    from ..types import LogStatus
    from ._params import (
        Json,
        Message,
        Messages,
        PromptKernelArg,
        ProviderApiKeysArg,
        ResponseFormatArg,
        Template,
        ToolChoiceArg,
        ToolFunctionArg,
    )

KIND = FileKind("prompts", PromptResponse, PaginatedData_PromptResponse_, ListPrompts,
                UpdatePromptRequest)
_QUERY = ("version_id", "environment")  # the rest of a call/log's arguments form the body
# Names the official SDK gives the body's `environment` (its `environment` is the query one).
_BODY_ENVIRONMENT = ("prompts_call_request_environment", "prompts_call_stream_request_environment")


class CallArgs(TypedDict, total=False):
    """The keyword arguments of ``prompts.call`` and ``prompts.call_stream``, written once."""

    version_id: str | None
    environment: str | None
    path: str | None
    id: str | None
    prompt_id: str | None
    messages: Messages | None
    tool_choice: ToolChoiceArg | None
    prompt: PromptKernelArg | str | None
    inputs: Json | None
    source: str | None
    metadata: Json | None
    start_time: datetime | None
    end_time: datetime | None
    log_status: LogStatus | None
    source_datapoint_id: str | None
    trace_parent_id: str | None
    batch_id: str | None
    user: str | None
    prompts_call_request_environment: str | None
    prompts_call_stream_request_environment: str | None
    save: bool | None
    log_id: str | None
    provider_api_keys: ProviderApiKeysArg | None
    num_samples: int | None
    return_inputs: bool | None
    logprobs: int | None
    suffix: str | None
    request_options: RequestOptions | None


def _chunk_failure(chunk: Any) -> str | None:
    """A prompt-call chunk reports a model failure in ``error`` (the log records it)."""
    failed = getattr(chunk, "error", None)
    return str(failed) if failed else None


def call_op(args: Mapping[str, Any], stream: bool) -> Operation[Any]:
    """``POST /prompts/call``; with ``stream`` the reply is an SSE stream of chunks."""
    unknown = sorted(set(args) - set(CallArgs.__annotations__) - {"stream"})
    if unknown:  # what Python says of a misspelt keyword, as **kwargs cannot
        raise TypeError(f"prompts.call() got an unexpected keyword argument {unknown[0]!r}")
    params, fields = split(args, _QUERY)
    rename(fields, "prompt_id", "id")
    for name in _BODY_ENVIRONMENT:
        rename(fields, name, "environment")
    # Sent only when true: the spec's default is false, and unset fields stay off the wire.
    if fields.pop("stream", False) or stream:
        fields["stream"] = True
        stream = True
    return Operation(name="prompts.call", method="POST", path="/prompts/call",
                     cast_to=PromptCallResponse, params=params,
                     json=body("prompts.call", PromptCallRequest, fields),
                     options=args.get("request_options"),
                     stream_item=PromptCallStreamResponse if stream else None,
                     item_failure=_chunk_failure if stream else None)


def _call_stream(**kwargs: Unpack[CallArgs]) -> Operation[PromptCallStreamResponse]:
    """``call(..., stream=True)``, under the official SDK's name."""
    return call_op(kwargs, stream=True)


def _log(
    *, version_id: str | None = None, environment: str | None = None,
    evaluation_id: str | None = None, path: str | None = None, id: str | None = None,
    output_message: Message | None = None, prompt_tokens: int | None = None,
    output_tokens: int | None = None, prompt_cost: float | None = None,
    output_cost: float | None = None, finish_reason: str | None = None,
    messages: Messages | None = None, tool_choice: ToolChoiceArg | None = None,
    prompt: PromptKernelArg | None = None, start_time: datetime | None = None,
    end_time: datetime | None = None, output: str | None = None,
    created_at: datetime | None = None, error: str | None = None,
    provider_latency: float | None = None, stdout: str | None = None,
    provider_request: Json | None = None, provider_response: Json | None = None,
    inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
    source_datapoint_id: str | None = None, trace_parent_id: str | None = None,
    batch_id: str | None = None, user: str | None = None,
    prompt_log_request_environment: str | None = None, save: bool | None = None,
    log_id: str | None = None, log_status: LogStatus | None = None,
    reasoning_tokens: int | None = None, run_id: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[CreatePromptLogResponse]:
    """Log a call made outside Humanloop against the prompt (created if new)."""
    return log_op(KIND, PromptLogRequest, CreatePromptLogResponse, locals())


def _update_log(
    id: str, log_id: str, *, output_message: Message | None = None,
    log_status: LogStatus | None = None, reasoning_tokens: int | None = None,
    prompt_tokens: int | None = None, output_tokens: int | None = None,
    prompt_cost: float | None = None, output_cost: float | None = None,
    finish_reason: str | None = None, messages: Messages | None = None,
    tool_choice: ToolChoiceArg | None = None, output: str | None = None,
    created_at: datetime | None = None, error: str | None = None,
    provider_latency: float | None = None, stdout: str | None = None,
    provider_request: Json | None = None, provider_response: Json | None = None,
    inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
    start_time: datetime | None = None, end_time: datetime | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[LogResponse]:
    """Update fields of log ``log_id`` of prompt ``id``."""
    return update_log_op(KIND, PromptLogUpdateRequest, LogResponse, locals())


def _upsert(
    *, model: str, path: str | None = None, id: str | None = None,
    endpoint: Literal["complete", "chat", "edit"] | None = None,
    template: Template | None = None, provider: str | None = None,
    max_tokens: int | None = None, temperature: float | None = None,
    top_p: float | None = None, stop: str | list[str] | None = None,
    presence_penalty: float | None = None, frequency_penalty: float | None = None,
    other: Json | None = None, seed: int | None = None,
    response_format: ResponseFormatArg | None = None,
    tools: list[ToolFunctionArg] | None = None, linked_tools: list[str] | None = None,
    attributes: Json | None = None, version_name: str | None = None, version_description: str | None = None,
    commit_message: str | None = None, template_language: Literal["default", "jinja"] | None = None,
    reasoning_effort: Literal["high", "medium", "low"] | int | None = None,
    description: str | None = None, tags: list[str] | None = None, readme: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[PromptResponse]:
    """Create the prompt, or a new version of it when the kernel differs."""
    return upsert_op(KIND, PromptRequest, locals())


def _populate(
    id: str, *, request: Json, version_id: str | None = None, environment: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[PopulateTemplateResponse]:
    """The prompt with its template rendered from ``request`` (the inputs), as a call would."""
    return Operation(name="prompts.populate", method="POST", path=path("prompts", id, "populate"),
                     cast_to=PopulateTemplateResponse, json=dict(request),
                     params={"version_id": version_id, "environment": environment},
                     options=request_options)


def _deserialize(
    *, prompt: str, request_options: RequestOptions | None = None,
) -> Operation[PromptKernelRequest]:
    """The kernel the text of a ``.prompt`` file describes."""
    return deserialize_op(KIND, PromptKernelRequest, prompt, request_options)


class PromptsResource(SyncLoggedFileResource[PromptResponse, ListPrompts]):
    """``client.prompts``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    patch_prompt_version = SyncLoggedFileResource.update_version
    delete_prompt_version = SyncLoggedFileResource.delete_version
    call_stream = sync_stream(_call_stream)
    log = sync_call(_log)
    populate = sync_call(_populate)
    serialize = sync_kind(serialize_op)
    deserialize = sync_call(_deserialize)
    update_log = sync_call(_update_log)
    upsert = sync_call(_upsert)

    @overload
    def call(self, *, stream: Literal[False] = False,
             **kwargs: Unpack[CallArgs]) -> PromptCallResponse: ...
    @overload
    def call(self, *, stream: Literal[True],
             **kwargs: Unpack[CallArgs]) -> Stream[PromptCallStreamResponse]: ...
    @overload
    def call(self, *, stream: bool,
             **kwargs: Unpack[CallArgs]) -> PromptCallResponse | Stream[PromptCallStreamResponse]: ...

    @listed_keywords
    def call(self, *, stream: bool = False,
             **kwargs: Unpack[CallArgs]) -> PromptCallResponse | Stream[PromptCallStreamResponse]:
        """Call the prompt (by ``path``/``id``, a ``version_id`` or ``environment``, or an inline
        ``prompt`` kernel) with ``messages`` and ``inputs``; the call is logged.

        Returns:
            The whole response, or with ``stream=True`` a ``Stream`` of chunks.
        """
        result: PromptCallResponse | Stream[PromptCallStreamResponse]
        result = self._transport.execute(call_op(kwargs, stream))
        return result


class AsyncPromptsResource(AsyncLoggedFileResource[PromptResponse, ListPrompts]):
    """``client.prompts`` of ``AsyncHumanloop``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    patch_prompt_version = AsyncLoggedFileResource.update_version
    delete_prompt_version = AsyncLoggedFileResource.delete_version
    call_stream = async_stream(_call_stream)
    log = async_call(_log)
    populate = async_call(_populate)
    serialize = async_kind(serialize_op)
    deserialize = async_call(_deserialize)
    update_log = async_call(_update_log)
    upsert = async_call(_upsert)

    @overload
    async def call(self, *, stream: Literal[False] = False,
             **kwargs: Unpack[CallArgs]) -> PromptCallResponse: ...
    @overload
    async def call(self, *, stream: Literal[True],
             **kwargs: Unpack[CallArgs]) -> AsyncStream[PromptCallStreamResponse]: ...
    @overload
    async def call(self, *, stream: bool,
             **kwargs: Unpack[CallArgs]) -> PromptCallResponse | AsyncStream[PromptCallStreamResponse]: ...

    @listed_keywords
    async def call(self, *, stream: bool = False,
             **kwargs: Unpack[CallArgs]) -> PromptCallResponse | AsyncStream[PromptCallStreamResponse]:
        """Call the prompt (by ``path``/``id``, a ``version_id`` or ``environment``, or an inline
        ``prompt`` kernel) with ``messages`` and ``inputs``; the call is logged.

        Returns:
            The whole response, or with ``stream=True`` an ``AsyncStream`` of chunks.
        """
        result: PromptCallResponse | AsyncStream[PromptCallStreamResponse]
        result = await self._transport.execute(call_op(kwargs, stream))
        return result
