"""``Humanloop``: a Humanloop prompt as a LlamaIndex function-calling LLM."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Generator, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr, field_validator
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.program.function_program import FunctionCallingProgram
from llama_index.core.program.utils import get_program_for_llm
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import Model, PydanticProgramMode

import humanloop_core
from humanloop_core.call_errors import adapter_errors
from humanloop_core.pools import PerLoop, shared_http_client

from ._convert import resolve_tool_choice, to_wire_messages, tool_selections, tool_to_wire
from ._kernel import (
    CALL_PARAMS,
    SETTINGS,
    Plan,
    plan_call,
)
from ._metadata import llm_metadata
from ._stream import StreamAccumulator, response_from_call

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool


class Humanloop(FunctionCallingLLM):
    """A Humanloop prompt, called through ``prompts.call``, as a LlamaIndex LLM.

    The prompt is named by ``path`` or ``id`` (optionally pinned with ``version_id``
    or ``environment``); its template variables come from ``inputs``. A call that sets
    no kernel field and binds no tool runs the stored version exactly. Otherwise
    humanloop_core's ``PromptResolver`` looks the stored version up (one request, cached
    ``prompt_cache_seconds``) and builds on it: set fields replace their own, and the
    tools passed to ``chat_with_tools`` are exactly the tools the model sees (they
    replace the stored prompt's tools for that call). The server files that kernel as a
    version without making it the default. Without a stored prompt, ``model`` and
    ``provider`` say what to call.

    Examples:
        ```python
        from llama_index.llms.humanloop import Humanloop

        llm = Humanloop(path="support/assistant", environment="production")
        print(llm.complete("Hello"))
        ```
    """

    path: str | None = Field(default=None, description="Path of the Humanloop prompt.")
    id: str | None = Field(default=None, description="Id of the Humanloop prompt.")
    version_id: str | None = Field(default=None, description="Pin one version of the prompt.")
    environment: str | None = Field(default=None, description="Use the version deployed here.")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Template variables.")
    model: str | None = Field(default=None, description="Override the version's model.")
    provider: str | None = Field(default=None, description="Override the model provider.")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate.")
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    stop: str | list[str] | None = Field(default=None)
    seed: int | None = Field(default=None)
    presence_penalty: float | None = Field(default=None)
    frequency_penalty: float | None = Field(default=None)
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description=f"Extra prompts.call parameters: {', '.join(CALL_PARAMS)}.",
    )
    base_url: str | None = Field(default=None, description="Defaults to HUMANLOOP_BASE_URL.")
    timeout: float = Field(default=60.0, ge=0)
    max_retries: int = Field(default=2, ge=0)
    context_window: int | None = Field(
        default=None,
        gt=0,
        description="Override the model's context window (default: from the model table, "
        "humanloop_core.model_limits, else LlamaIndex's default).",
    )
    num_output: int | None = Field(
        default=None,
        gt=0,
        description="Override the tokens reserved for the answer (default: max_tokens, else "
        "the model's output limit from the table, else LlamaIndex's default).",
    )
    prompt_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long a looked-up stored prompt is reused."
    )

    @field_validator("additional_kwargs")
    @classmethod
    def _only_call_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(CALL_PARAMS))
        if unknown:
            # provider_api_keys in particular: a field would show it in to_dict() and events.
            raise ValueError(
                f"additional_kwargs takes only {', '.join(CALL_PARAMS)}; got {unknown} "
                "(pass provider_api_keys to Humanloop(...) directly)"
            )
        return value

    # The key is private state: never a field, so never in to_dict(), repr or events.
    _api_key: SecretStr | None = PrivateAttr(default=None)
    _client: humanloop_core.Humanloop | None = PrivateAttr(default=None)
    _aclient: humanloop_core.AsyncHumanloop | None = PrivateAttr(default=None)
    # Clients this LLM built itself, one per event loop and closed at that loop's end: an
    # httpx.AsyncClient's pooled connections belong to the loop that opened them, and
    # LlamaIndex's sync entry points often run each coroutine in a fresh loop (asyncio.run).
    _own_aclient: PerLoop[humanloop_core.AsyncHumanloop] | None = PrivateAttr(default=None)
    _provider_api_keys: dict[str, SecretStr] | None = PrivateAttr(default=None)
    _cache: humanloop_core.PromptCache | None = PrivateAttr(default=None)
    _seen_model: tuple[float, str] | None = PrivateAttr(default=None)
    # (client, resolver) per flavour (False: sync, True: async), rebuilt if the client changes.
    _resolvers: dict[bool, tuple[Any, Any]] = PrivateAttr(default_factory=dict)

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        client: humanloop_core.Humanloop | None = None,
        async_client: humanloop_core.AsyncHumanloop | None = None,
        provider_api_keys: dict[str, str | SecretStr] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not (self.path or self.id):
            # The API addresses every call to a prompt; a kernel alone is not enough.
            raise ValueError("Humanloop needs the prompt's `path` (or `id`) to call.")
        # Secrets, like the key: kept out of fields so no dump, repr or event shows them.
        # SecretStr, as for the key: a dump of the private state shows "**********".
        self._provider_api_keys = (
            {name: SecretStr(key) if isinstance(key, str) else key
             for name, key in provider_api_keys.items()}
            if provider_api_keys is not None
            else None
        )
        self._api_key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        self._client = client
        self._aclient = async_client

    def __setstate__(self, state: dict[str, Any]) -> None:
        # BaseComponent rebuilds from the public fields only; bring the secrets back
        # (the clients are rebuilt lazily, they do not pickle).
        super().__setstate__(state)
        private = state.get("__pydantic_private__") or {}
        self._api_key = private.get("_api_key")
        self._provider_api_keys = private.get("_provider_api_keys")

    @classmethod
    def class_name(cls) -> str:
        return "humanloop_llm"

    @property
    def metadata(self) -> LLMMetadata:
        """Sized by the model the prompt runs (``humanloop_core.model_limits``): ``model``
        when set, else the stored version's, known from the last response or fetched once
        per ``prompt_cache_seconds``; explicit ``context_window``/``num_output`` win."""
        return self._metadata(self._known_model() or self._stored_model())

    def to_payload(self) -> dict[str, Any]:
        # Instrumentation events carry this on every call: built from what is known
        # already, so an event never costs a request.
        return {"class_name": self.class_name(), **self._metadata(self._known_model()).model_dump()}

    def _metadata(self, model: str | None) -> LLMMetadata:
        return llm_metadata(
            model,
            context_window=self.context_window,
            num_output=self.num_output,
            max_tokens=self.max_tokens,
            name=self.path or self.id or "humanloop",
        )

    def _known_model(self) -> str | None:
        """The model, if known without a request: set, seen in a response, or cached."""
        if self.model:
            return self.model
        seen = _private(self)["_seen_model"]
        if seen is not None:
            seen_at, model = seen
            if time.monotonic() - seen_at < self.prompt_cache_seconds:
                return str(model)
        hit, prompt = self._prompt_cache().get(self._target())
        return str(prompt.model) if hit and prompt is not None and prompt.model else None

    def _stored_model(self) -> str | None:
        """The stored version's model, fetched; ``None`` if unknown (never raises)."""
        if self.context_window and (self.num_output or self.max_tokens):
            return None  # nothing to size: only the name would come from the lookup
        try:
            client = self._get_client()
            prompt = humanloop_core.PromptResolver(client, cache=self._prompt_cache()).resolve(
                self._target()
            )
        except Exception:  # no key, or an unreachable server, must not break building an index
            return None
        return str(prompt.model) if prompt is not None and prompt.model else None

    def _target(self) -> humanloop_core.PromptTarget:
        return humanloop_core.PromptTarget(
            path=self.path, id=self.id, version_id=self.version_id, environment=self.environment
        )

    def _answered(self, response: Any) -> ChatResponse:
        model = getattr(response.prompt, "model", None)
        if model:
            _private(self)["_seen_model"] = (time.monotonic(), str(model))
        return response_from_call(response)

    # -- clients ---------------------------------------------------------------------

    def _client_kwargs(self) -> dict[str, Any]:
        key = self._api_key.get_secret_value() if self._api_key is not None else None
        return {
            "api_key": key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    def _get_client(self) -> humanloop_core.Humanloop:
        client: humanloop_core.Humanloop | None = _private(self)["_client"]
        if client is None:  # one pool shared by every instance, closed by none
            self._client = client = humanloop_core.Humanloop(
                **self._client_kwargs(), http_client=shared_http_client()
            )
        return client

    async def _get_aclient(self) -> humanloop_core.AsyncHumanloop:
        private = _private(self)
        if private["_aclient"] is not None:  # injected: the caller owns its loop affinity
            return private["_aclient"]  # type: ignore[no-any-return]
        own: PerLoop[humanloop_core.AsyncHumanloop] | None = private["_own_aclient"]
        if own is None:
            kwargs = self._client_kwargs()
            self._own_aclient = own = PerLoop(
                lambda: humanloop_core.AsyncHumanloop(**kwargs), lambda client: client.aclose()
            )
        return await own.get()

    # -- building a call (pure but for reading self) ---------------------------------

    def _plan(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Plan:
        """The call planned from the settings and ``kwargs``, its messages converted."""
        settings = {key: getattr(self, key) for key in SETTINGS}
        keys = _private(self)["_provider_api_keys"]
        settings["provider_api_keys"] = (
            {name: key.get_secret_value() for name, key in keys.items()} if keys else None
        )
        plan = plan_call(settings, kwargs)
        plan.call["messages"] = to_wire_messages(messages)
        return plan

    def _prompt_cache(self) -> humanloop_core.PromptCache:
        """One cache per LLM, shared by the sync and async paths (the policy is
        humanloop_core's ``PromptResolver``: one request per miss, kept
        ``prompt_cache_seconds``)."""
        cache: humanloop_core.PromptCache | None = _private(self)["_cache"]
        if cache is None:
            self._cache = cache = humanloop_core.PromptCache(self.prompt_cache_seconds)
        return cache

    # -- I/O shells: sync ----------------------------------------------------------

    def _resolved(self, plan: Plan) -> dict[str, Any]:
        client = self._get_client()
        resolvers = _private(self)["_resolvers"]
        held = resolvers.get(False)
        if held is None or held[0] is not client:  # built once per client
            held = resolvers[False] = (
                client, humanloop_core.PromptResolver(client, cache=self._prompt_cache())
            )
        return {**plan.call, **held[1].call_arguments(plan.target, plan.overrides, plan.tools)}

    def _call_args(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> dict[str, Any]:
        return self._resolved(self._plan(messages, kwargs))

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        call = self._call_args(messages, kwargs)
        with _CALL_ERRORS:
            return self._answered(self._get_client().prompts.call(**call))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        plan = self._plan(messages, kwargs)  # argument errors surface now, not on first next()

        def gen() -> ChatResponseGen:
            call = self._resolved(plan)
            accumulator = StreamAccumulator()
            with _CALL_ERRORS, self._get_client().prompts.call(stream=True, **call) as stream:
                for item in stream:
                    response = accumulator.feed(item)
                    if response is not None:
                        yield response
            yield accumulator.finish()

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    # -- I/O shells: async ---------------------------------------------------------

    async def _aresolved(self, plan: Plan) -> dict[str, Any]:
        client = await self._get_aclient()
        resolvers = _private(self)["_resolvers"]
        held = resolvers.get(True)
        if held is None or held[0] is not client:  # a new loop brings a new client
            held = resolvers[True] = (
                client, humanloop_core.AsyncPromptResolver(client, cache=self._prompt_cache())
            )
        resolved = await held[1].call_arguments(plan.target, plan.overrides, plan.tools)
        return {**plan.call, **resolved}

    async def _acall_args(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        return await self._aresolved(self._plan(messages, kwargs))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        call = await self._acall_args(messages, kwargs)
        client = await self._get_aclient()
        with _CALL_ERRORS:
            return self._answered(await client.prompts.call(**call))

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        plan = self._plan(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            call = await self._aresolved(plan)
            accumulator = StreamAccumulator()
            client = await self._get_aclient()
            with _CALL_ERRORS:
                async with await client.prompts.call(stream=True, **call) as stream:
                    async for item in stream:
                        response = accumulator.feed(item)
                        if response is not None:
                            yield response
            yield accumulator.finish()

        return gen()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    # -- tools -----------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a call offering ``tools``; the history is copied, not extended."""
        messages = list(chat_history or ())
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        wire_tools = [tool_to_wire(tool) for tool in tools]
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if wire_tools:
            prepared["tools"] = wire_tools
            prepared["tool_choice"] = resolve_tool_choice(tool_choice, tool_required)
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls were allowed (Humanloop
        has no request flag for it, so it is enforced on the response)."""
        if allow_parallel_tool_calls:
            return response
        blocks = response.message.blocks
        calls = [block for block in blocks if isinstance(block, ToolCallBlock)]
        if len(calls) > 1:
            kept = [block for block in blocks if not isinstance(block, ToolCallBlock)] + calls[:1]
            response.message = response.message.model_copy(update={"blocks": kept})
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        return tool_selections(response.message, error_on_no_tool_call)

    # -- structured output ---------------------------------------------------------

    def _output_program(self, output_cls: type[Model], prompt: PromptTemplate) -> Any:
        """The program behind the streaming structured-output methods.

        LlamaIndex's function-calling program does not pass ``tool_required`` on when it
        streams, which would leave the model free to answer in prose ("auto"); here the
        output tool is required, as it is for ``structured_predict``.
        """
        if self.pydantic_program_mode in (
            PydanticProgramMode.DEFAULT,
            PydanticProgramMode.FUNCTION,
        ):
            return FunctionCallingProgram.from_defaults(
                output_cls=output_cls, prompt=prompt, llm=self, tool_choice="required"
            )
        return get_program_for_llm(
            output_cls, prompt, self, pydantic_program_mode=self.pydantic_program_mode
        )

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        program = self._output_program(output_cls, prompt)
        return program.stream_call(llm_kwargs=llm_kwargs, **prompt_args)  # type: ignore[no-any-return]

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        program = self._output_program(output_cls, prompt)
        return await program.astream_call(llm_kwargs=llm_kwargs, **prompt_args)  # type: ignore[no-any-return]


def _private(model: Any) -> dict[str, Any]:
    """The LLM's private attributes as the plain dict pydantic keeps them in: reading
    ``self._x`` first fails a normal lookup and goes through ``__getattr__``, which costs
    microseconds each, too much for every call."""
    return model.__pydantic_private__  # type: ignore[no-any-return]


# One reusable instance: a model failure raises PromptCallError from invoke and stream
# alike; a missing prompt's 404 names this class's arguments.
_CALL_ERRORS = adapter_errors(adapter="Humanloop", create_hint="`model=` (and `provider=`)")
