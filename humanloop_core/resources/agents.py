"""Agents: a prompt's kernel with tools and a stop rule, run by the server as a model/tool
loop (``call``), resumed with the results of tools only the caller can run
(``continue_call``). Shared file operations come from ``_files``; each method below is one
builder sent by both clients (see ``_shells``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from typing_extensions import Unpack

from ..core._operation import Operation
from ..types import (
    AgentCallResponse,
    AgentCallStreamResponse,
    AgentContinueCallResponse,
    AgentContinueCallStreamResponse,
    AgentKernelRequest,
    AgentLogResponse,
    AgentResponse,
    AgentsCallStreamRequest,
    AgentsContinueCallStreamRequest,
    AgentsLogRequest,
    AgentsMoveRequest,
    AgentsUpdateLogRequest,
    AgentsUpsertRequest,
    CreateAgentLogResponse,
    ListAgents,
    PaginatedDataAgentResponse,
)
from ._base import body, rename, split
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
from ._shells import async_call, async_kind, async_stream, sync_call, sync_kind, sync_stream

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ..types import LogStatus
    from ._params import Json, Message, Messages, ProviderApiKeysArg, Template, ToolChoiceArg

KIND = FileKind("agents", AgentResponse, PaginatedDataAgentResponse, ListAgents, AgentsMoveRequest)
AgentArg = AgentKernelRequest | Mapping[str, Any] | str  # a kernel, or a .agent file's text
AgentTool = Mapping[str, Any]  # {"type": "file", "link": {...}} or {"type": "inline", ...}


def _call_op(args: Mapping[str, Any], stream: bool) -> Operation[Any]:
    unknown = sorted(set(args) - set(CallArgs.__annotations__))
    if unknown:  # what Python says of a misspelt keyword, as **kwargs cannot
        raise TypeError(f"agents.call() got an unexpected keyword argument {unknown[0]!r}")
    params, fields = split(args, ("version_id", "environment"))
    for name in ("agents_call_request_environment", "agents_call_stream_request_environment"):
        rename(fields, name, "environment")
    if stream:
        fields["stream"] = True
    return Operation(name="agents.call", method="POST", path="/agents/call",
                     cast_to=AgentCallResponse, params=params,
                     json=body("agents.call", AgentsCallStreamRequest, fields),
                     options=args.get("request_options"),
                     stream_item=AgentCallStreamResponse if stream else None)


class CallArgs(TypedDict, total=False):
    """The keyword arguments of ``agents.call`` and ``agents.call_stream``, written once."""

    version_id: str | None
    environment: str | None
    path: str | None
    id: str | None
    messages: Messages | None
    tool_choice: ToolChoiceArg | None
    agent: AgentArg | None
    inputs: Json | None
    source: str | None
    metadata: Json | None
    start_time: datetime | None
    end_time: datetime | None
    log_status: LogStatus | None
    source_datapoint_id: str | None
    trace_parent_id: str | None
    user: str | None
    agents_call_request_environment: str | None
    agents_call_stream_request_environment: str | None
    save: bool | None
    log_id: str | None
    provider_api_keys: ProviderApiKeysArg | None
    return_inputs: bool | None
    include_trace_children: bool | None
    request_options: RequestOptions | None


def _call(**kwargs: Unpack[CallArgs]) -> Operation[AgentCallResponse]:
    """Run the agent to its next stop: an answer, a stop tool, ``max_iterations``, or tool
    calls only you can run (``log_status == "incomplete"``: answer them with
    :meth:`continue_call`)."""
    return _call_op(kwargs, stream=False)


def _call_stream(**kwargs: Unpack[CallArgs]) -> Operation[AgentCallStreamResponse]:
    """:meth:`call` as a stream of events (turn start, tool runs, turn end or suspend)."""
    return _call_op(kwargs, stream=True)


def _continue_op(args: Mapping[str, Any], stream: bool) -> Operation[Any]:
    _, fields = split(args, ())
    if stream:
        fields["stream"] = True
    return Operation(name="agents.continue_call", method="POST", path="/agents/continue",
                     cast_to=AgentContinueCallResponse,
                     json=body("agents.continue_call", AgentsContinueCallStreamRequest, fields),
                     options=args.get("request_options"),
                     stream_item=AgentContinueCallStreamResponse if stream else None)


def _continue_call(
    *, log_id: str, messages: Messages, provider_api_keys: ProviderApiKeysArg | None = None,
    include_trace_children: bool | None = None, request_options: RequestOptions | None = None,
) -> Operation[AgentContinueCallResponse]:
    """Resume suspended agent log ``log_id`` with a ``tool`` message per pending call."""
    return _continue_op(locals(), stream=False)


def _continue_call_stream(
    *, log_id: str, messages: Messages, provider_api_keys: ProviderApiKeysArg | None = None,
    include_trace_children: bool | None = None, request_options: RequestOptions | None = None,
) -> Operation[AgentContinueCallStreamResponse]:
    """:meth:`continue_call` as a stream of events."""
    return _continue_op(locals(), stream=True)


def _log(
    *, version_id: str | None = None, environment: str | None = None, run_id: str | None = None,
    path: str | None = None, id: str | None = None, output_message: Message | None = None,
    prompt_tokens: int | None = None, reasoning_tokens: int | None = None,
    output_tokens: int | None = None, prompt_cost: float | None = None,
    output_cost: float | None = None, finish_reason: str | None = None,
    messages: Messages | None = None, tool_choice: ToolChoiceArg | None = None,
    agent: AgentArg | None = None, start_time: datetime | None = None,
    end_time: datetime | None = None, output: str | None = None,
    created_at: datetime | None = None, error: str | None = None,
    provider_latency: float | None = None, stdout: str | None = None,
    provider_request: Json | None = None, provider_response: Json | None = None,
    inputs: Json | None = None, source: str | None = None, metadata: Json | None = None,
    log_status: LogStatus | None = None, source_datapoint_id: str | None = None,
    trace_parent_id: str | None = None, user: str | None = None,
    agent_log_request_environment: str | None = None, save: bool | None = None,
    log_id: str | None = None, request_options: RequestOptions | None = None,
) -> Operation[CreateAgentLogResponse]:
    """Log an agent run made elsewhere (the agent is created if new)."""
    return log_op(KIND, AgentsLogRequest, CreateAgentLogResponse, locals())


def _update_log(
    id: str, log_id: str, *, messages: Messages | None = None,
    output_message: Message | None = None, inputs: Json | None = None,
    output: str | None = None, error: str | None = None, log_status: LogStatus | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[AgentLogResponse]:
    """Update fields of log ``log_id`` of agent ``id``."""
    return update_log_op(KIND, AgentsUpdateLogRequest, AgentLogResponse, locals())


def _upsert(
    *, model: str, path: str | None = None, id: str | None = None,
    endpoint: Literal["complete", "chat", "edit"] | None = None,
    template: Template | None = None, template_language: Literal["default", "jinja"] | None = None,
    provider: str | None = None, max_tokens: int | None = None,
    temperature: float | None = None, top_p: float | None = None,
    stop: str | list[str] | None = None, presence_penalty: float | None = None,
    frequency_penalty: float | None = None, other: Json | None = None, seed: int | None = None,
    response_format: Json | None = None,
    reasoning_effort: Literal["high", "medium", "low"] | int | None = None,
    tools: list[AgentTool] | None = None, attributes: Json | None = None,
    max_iterations: int | None = None, version_name: str | None = None,
    version_description: str | None = None, description: str | None = None,
    tags: list[str] | None = None, readme: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[AgentResponse]:
    """Create the agent, or a new version of it when the kernel differs."""
    return upsert_op(KIND, AgentsUpsertRequest, locals())


def _deserialize(
    *, agent: str, request_options: RequestOptions | None = None,
) -> Operation[AgentKernelRequest]:
    """The kernel the text of a ``.agent`` file describes."""
    return deserialize_op(KIND, AgentKernelRequest, agent, request_options)


class AgentsResource(SyncLoggedFileResource[AgentResponse, ListAgents]):
    """``client.agents``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    patch_agent_version = SyncLoggedFileResource.update_version
    delete_agent_version = SyncLoggedFileResource.delete_version
    call = sync_call(_call)
    call_stream = sync_stream(_call_stream)
    continue_call = sync_call(_continue_call)
    continue_call_stream = sync_stream(_continue_call_stream)
    log = sync_call(_log)
    update_log = sync_call(_update_log)
    upsert = sync_call(_upsert)
    serialize = sync_kind(serialize_op)
    deserialize = sync_call(_deserialize)


class AsyncAgentsResource(AsyncLoggedFileResource[AgentResponse, ListAgents]):
    """``client.agents`` of ``AsyncHumanloop``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    patch_agent_version = AsyncLoggedFileResource.update_version
    delete_agent_version = AsyncLoggedFileResource.delete_version
    call = async_call(_call)
    call_stream = async_stream(_call_stream)
    continue_call = async_call(_continue_call)
    continue_call_stream = async_stream(_continue_call_stream)
    log = async_call(_log)
    update_log = async_call(_update_log)
    upsert = async_call(_upsert)
    serialize = async_kind(serialize_op)
    deserialize = async_call(_deserialize)
