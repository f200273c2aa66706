"""``ChatHumanloop``: a Humanloop prompt as a LangChain chat model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from langchain_core.utils.utils import get_pydantic_field_names
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from humanloop_core.call_errors import adapter_errors
from humanloop_core.model_limits import model_limits
from humanloop_core.tokens import encoding_for_model

from ._convert import (
    json_schema_response_format,
    messages_to_wire,
    tool_choice_to_wire,
    tool_names,
)
from ._payload import (
    LOGPROB_ARGS,
    CallPlan,
    build_payload,
    model_of,
    move_unknown_fields,
    plan_call,
    refuse_logprobs,
)
from ._response import StreamAssembler, combine_llm_outputs, result_from_response

_DictOrPydantic = dict[str, Any] | type[BaseModel]
# What the Humanloop wire can carry. The provider behind a prompt may support less.
_PROFILE: ModelProfile = {
    "text_inputs": True,
    "image_inputs": True,
    "image_url_inputs": True,
    "pdf_inputs": False,
    "audio_inputs": False,
    "video_inputs": False,
    "image_tool_message": True,
    "pdf_tool_message": False,
    "text_outputs": True,
    "tool_calling": True,
    "tool_choice": True,
    "tool_call_streaming": True,
    "structured_output": True,
}


class ChatHumanloop(BaseChatModel):
    """A prompt stored on Humanloop as a LangChain chat model.

    Every call goes through ``prompts.call`` of the Humanloop v5 API, so it is logged
    on Humanloop against the prompt version that ran.

    Setup:
        ``pip install "humanloop-core[langchain]"``; set ``HUMANLOOP_API_KEY`` (and
        ``HUMANLOOP_BASE_URL`` for a self-hosted or local server).

    Addressing the prompt:
        ``path`` or ``id`` names the stored prompt; ``version_id`` or ``environment``
        picks a version (default: the default deployment). ``inputs`` fill the
        template's ``{{variables}}``; per-call ``inputs=`` merge over them.

    Per call:
        Kernel overrides (``model=``, ``temperature=``, ...), ``tools``/``tool_choice``,
        and ``prompts.call`` arguments (``user``, ``source``, ``trace_parent_id``,
        ``save``, ``provider_api_keys``, ...); ``log_metadata=`` becomes the log's
        ``metadata``. Anything else raises ``TypeError``.

    A stored prompt stays itself:
        When nothing needs to change, only the address is sent and Humanloop runs
        the stored version exactly. When something must change (a kernel override
        such as ``model``, ``temperature`` or ``stop``; tools bound with
        ``bind_tools``; a ``response_format`` from ``with_structured_output``),
        humanloop_core's ``PromptResolver`` looks the stored version up (one request,
        cached ``prompt_cache_seconds``) and it is the base: overrides replace only
        their own fields, and the bound tools are exactly the tools the model sees
        (they replace the stored prompt's tools for that call, as with
        ``ChatOpenAI.bind_tools``). The server files that kernel as a version of the
        prompt but never makes it the default, so other callers are unaffected. A
        prompt that does not exist yet is created at ``path`` from the overrides
        alone (``model`` required).

    Example:
        .. code-block:: python

            from langchain_humanloop import ChatHumanloop

            llm = ChatHumanloop(path="support/answer", environment="production")
            llm.invoke("Where is my order?")
            llm.bind_tools([lookup_order], tool_choice="any").invoke("Order 42?")
            ChatHumanloop(path="scratch/demo", model="gpt-4o-mini", temperature=0)
    """

    path: str | None = None
    """Path of the Humanloop prompt, e.g. ``"support/answer"``."""
    id: str | None = None
    """Id of the Humanloop prompt (instead of ``path``)."""
    version_id: str | None = None
    environment: str | None = None
    inputs: dict[str, Any] | None = None
    """Template variables sent with every call."""

    model_name: str | None = Field(default=None, alias="model")
    provider: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: list[str] | str | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Provider parameters with no field here, sent as the prompt kernel's ``other``
    (so they make a kernel, like any override). Unknown constructor keywords land here
    with a warning, as with ChatOpenAI."""

    api_key: SecretStr | None = Field(default_factory=secret_from_env("HUMANLOOP_API_KEY", default=None))
    base_url: str | None = Field(default_factory=from_env("HUMANLOOP_BASE_URL", default=None))
    provider_api_keys: dict[str, SecretStr] | None = Field(default=None, exclude=True, repr=False)
    """Keys for the model provider behind the prompt (e.g. ``{"openai": ...}``), sent with
    every call; like ``api_key`` never shown in repr or serialisation."""
    timeout: float | None = None
    max_retries: int = 2
    streaming: bool = False
    client: Any = Field(default=None, exclude=True, repr=False)
    """A ``humanloop_core.Humanloop`` to use instead of one built from the fields above."""
    async_client: Any = Field(default=None, exclude=True, repr=False)
    """A ``humanloop_core.AsyncHumanloop``, likewise."""

    prompt_cache_seconds: float = Field(default=60.0, ge=0)
    """How long a looked-up stored prompt is reused (0: look it up on every call that
    needs it), as in the LlamaIndex adapter."""

    _cache: Any = PrivateAttr(default=None)
    _own_client: Any = PrivateAttr(default=None)
    _own_async: Any = PrivateAttr(default=None)
    # (client, resolver) per flavour (False: sync, True: async), rebuilt if the client changes.
    _resolvers: dict[bool, tuple[Any, Any]] = PrivateAttr(default_factory=dict)

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keywords_to_model_kwargs(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        refuse_logprobs(values)
        values = {k: v for k, v in values.items() if k not in LOGPROB_ARGS}
        return move_unknown_fields(values, get_pydantic_field_names(cls))

    @model_validator(mode="after")
    def _needs_a_prompt(self) -> Self:
        if not (self.path or self.id):
            raise ValueError("ChatHumanloop needs the `path` or `id` of a Humanloop prompt")
        return self

    # ------------------------------------------------------------ LangChain conventions

    @property
    def _llm_type(self) -> str:
        return "humanloop-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "HUMANLOOP_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_humanloop", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        kernel = self._kernel_defaults()
        values = {"path": self.path, "id": self.id, "version_id": self.version_id,
                  "environment": self.environment, "model_name": kernel.pop("model"), **kernel}
        return {k: v for k, v in values.items() if v is not None}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="humanloop",
            ls_model_name=kwargs.get("model") or self.model_name or self.path or self.id or "humanloop",
            ls_model_type="chat",
        )
        if (temperature := kwargs.get("temperature", self.temperature)) is not None:
            params["ls_temperature"] = temperature
        if (max_tokens := kwargs.get("max_tokens", self.max_tokens)) is not None:
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = [ls_stop] if isinstance(ls_stop, str) else list(ls_stop)
        return params

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        return combine_llm_outputs(llm_outputs)

    def _resolve_model_profile(self) -> ModelProfile | None:
        profile: dict[str, Any] = dict(_PROFILE)
        limits = model_limits(self.model_name)  # only a set model: no request here
        if limits is not None:
            profile.update(max_input_tokens=limits.context_window,
                           max_output_tokens=limits.max_output_tokens)
        return profile  # type: ignore[return-value]

    def get_token_ids(self, text: str) -> list[int]:
        """Token ids by tiktoken for OpenAI models, as ChatOpenAI counts them (offline when
        the encoding ships locally; see ``humanloop_core.tokens``); LangChain's default
        for other models. The model is ``model`` or the stored version's."""
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        encoding = encoding_for_model(self._model_for_tokens())
        if encoding is None:
            return super().get_token_ids(text)
        return list(encoding.encode(text))

    def _model_for_tokens(self) -> str | None:
        if self.model_name:
            return self.model_name
        try:
            from humanloop_core import PromptTarget

            target = PromptTarget(self.path, self.id, self.version_id, self.environment)
            deployed = self._resolver().resolve(target)
        except Exception:  # counting must not fail because the server is unreachable
            return None
        return getattr(deployed, "model", None)

    # ------------------------------------------------------------ clients and lookups

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"base_url": self.base_url, "max_retries": self.max_retries}
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key.get_secret_value()
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return kwargs

    def _sync_client(self) -> Any:
        if self.client is not None:
            return self.client
        own = _private(self)["_own_client"]
        if own is None:
            from humanloop_core import Humanloop  # the client stays unimported until first use
            from humanloop_core.pools import shared_http_client

            self._own_client = own = Humanloop(**self._client_kwargs(), http_client=shared_http_client())
        return own

    async def _async_client(self) -> Any:
        """The injected async client, else one built for the running event loop (and
        closed when that loop shuts down): an ``httpx.AsyncClient``'s pooled connections
        belong to the loop that opened them, so one reused under a later ``asyncio.run``
        would fail."""
        if self.async_client is not None:
            return self.async_client
        own = _private(self)["_own_async"]
        if own is None:
            from humanloop_core import AsyncHumanloop
            from humanloop_core.pools import PerLoop

            kwargs = self._client_kwargs()
            self._own_async = own = PerLoop(lambda: AsyncHumanloop(**kwargs), lambda c: c.aclose())
        return await own.get()

    def _resolver(self) -> Any:
        """The resolver over the sync client, built once per client."""
        client = self._sync_client()
        held = _private(self)["_resolvers"].get(False)
        if held is None or held[0] is not client:
            from humanloop_core import PromptResolver

            held = (client, PromptResolver(client, cache=self._prompt_cache()))
            _private(self)["_resolvers"][False] = held
        return held[1]

    async def _aresolver(self) -> Any:
        client = await self._async_client()
        held = _private(self)["_resolvers"].get(True)
        if held is None or held[0] is not client:  # a new loop brings a new client
            from humanloop_core import AsyncPromptResolver

            held = (client, AsyncPromptResolver(client, cache=self._prompt_cache()))
            _private(self)["_resolvers"][True] = held
        return held[1]

    def _prompt_cache(self) -> Any:
        """One cache per instance, shared by the sync and async paths (the policy is
        humanloop_core's ``PromptResolver``: one request per miss, kept
        ``prompt_cache_seconds``)."""
        cache = _private(self)["_cache"]
        if cache is None:
            from humanloop_core import PromptCache

            self._cache = cache = PromptCache(self.prompt_cache_seconds)
        return cache

    # ------------------------------------------------------------ the payload, built once

    def _kernel_defaults(self) -> dict[str, Any]:
        return {
            "model": self.model_name, "provider": self.provider, "temperature": self.temperature,
            "max_tokens": self.max_tokens, "top_p": self.top_p,
            "stop": [self.stop] if isinstance(self.stop, str) else self.stop, "seed": self.seed,
            "presence_penalty": self.presence_penalty, "frequency_penalty": self.frequency_penalty,
            "other": dict(self.model_kwargs) or None,
        }

    def _plan(self, messages: list[BaseMessage], stop: list[str] | None,
              kwargs: dict[str, Any]) -> tuple[Any, CallPlan, list[dict[str, Any]]]:
        """Everything about a call that needs no I/O; messages are converted first so
        content the API cannot carry fails before any request is made."""
        wire = messages_to_wire(messages)
        if self.provider_api_keys and kwargs.get("provider_api_keys") is None:
            keys = {k: v.get_secret_value() for k, v in self.provider_api_keys.items()}
            kwargs = {**kwargs, "provider_api_keys": keys}
        from humanloop_core import PromptTarget

        target = PromptTarget(self.path, self.id, self.version_id, self.environment)
        return target, plan_call(self._kernel_defaults(), self.inputs, stop, kwargs), wire

    # ------------------------------------------------------------ sync / async shells

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        target, plan, wire = self._plan(messages, stop, kwargs)
        resolved = self._resolver().call_arguments(target, plan.overrides, plan.tools)
        payload = build_payload(wire, plan, resolved)
        with _CALL_ERRORS:
            return result_from_response(self._sync_client().prompts.call(**payload))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        target, plan, wire = self._plan(messages, stop, kwargs)
        resolved = await (await self._aresolver()).call_arguments(target, plan.overrides, plan.tools)
        payload = build_payload(wire, plan, resolved)
        client = await self._async_client()
        with _CALL_ERRORS:
            return result_from_response(await client.prompts.call(**payload))

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        target, plan, wire = self._plan(messages, stop, kwargs)
        # Stream items do not name the model, so even an unchanged stored prompt is
        # looked up (through the cache) for ``response_metadata["model_name"]``.
        resolver = self._resolver()
        deployed = resolver.resolve(target)
        payload = build_payload(wire, plan, resolver.call_arguments(target, plan.overrides, plan.tools))
        assembler = StreamAssembler(model_of(payload, deployed))
        with _CALL_ERRORS, self._sync_client().prompts.call_stream(**payload) as stream:
            for item in stream:
                if (chunk := assembler.chunk(item)) is not None:
                    yield _emit(chunk, run_manager)
        yield _emit(assembler.close(), run_manager)

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        target, plan, wire = self._plan(messages, stop, kwargs)
        resolver = await self._aresolver()
        deployed = await resolver.resolve(target)
        payload = build_payload(wire, plan, await resolver.call_arguments(target, plan.overrides,
                                                                          plan.tools))
        assembler = StreamAssembler(model_of(payload, deployed))
        client = await self._async_client()
        with _CALL_ERRORS:
            async with await client.prompts.call_stream(**payload) as stream:
                async for item in stream:
                    if (chunk := assembler.chunk(item)) is not None:
                        yield await _aemit(chunk, run_manager)
        yield await _aemit(assembler.close(), run_manager)

    # ------------------------------------------------------------ tools and structured output

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; they are merged into the prompt's own tools by name.

        Args:
            tools: Anything ``convert_to_openai_tool`` accepts.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True``
                (force a call), a bound tool's name (force that tool), or
                ``None``/``False`` (the prompt decides).
            strict: Passed to the tool definitions' ``strict`` flag.
            parallel_tool_calls: ``False`` asks for at most one tool call per turn; sent
                in the kernel's ``other`` to the provider (OpenAI-style providers honour it).
            kwargs: Further call arguments bound alongside.
        """
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        choice = tool_choice_to_wire(tool_choice, tool_names(formatted))
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: _DictOrPydantic | None = None,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable returning ``schema`` instances (pydantic) or dicts.

        Args:
            schema: Pydantic class, TypedDict, JSON schema or OpenAI function dict.
            method: ``"function_calling"`` (default: a forced tool call, which every
                provider behind Humanloop supports), ``"json_schema"`` (the prompt's
                ``response_format``) or ``"json_mode"`` (JSON object; describe the
                keys in the prompt).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead.
            strict: Ask the provider to follow the schema exactly.
            kwargs: Further call arguments bound alongside.
        """
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        if schema is None and method != "json_mode":
            raise ValueError(f"with_structured_output(method={method!r}) needs a schema")
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        parser: Runnable[Any, Any]
        if method == "function_calling":
            name = convert_to_openai_tool(schema)["function"]["name"]  # type: ignore[arg-type]
            llm = self.bind_tools([schema], tool_choice=name, strict=strict,  # type: ignore[list-item]
                                  ls_structured_output_format=trace, **kwargs)
            parser = (PydanticToolsParser(tools=[schema], first_tool_only=True) if is_pydantic  # type: ignore[list-item]
                      else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True))
        elif method in ("json_schema", "json_mode"):
            response_format = ({"type": "json_object"} if method == "json_mode" else
                               json_schema_response_format(
                                   convert_to_openai_tool(schema, strict=strict)["function"], strict))  # type: ignore[arg-type]
            llm = self.bind(response_format=response_format, ls_structured_output_format=trace, **kwargs)
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        else:
            raise ValueError(f"method must be 'function_calling', 'json_schema' or 'json_mode', not {method!r}")
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")


def _private(model: BaseModel) -> dict[str, Any]:
    """The model's private attributes as the plain dict pydantic keeps them in. Reading
    ``self._x`` goes through a failed normal lookup and ``__getattr__`` first, which costs
    microseconds on a class with LangChain's deep MRO: too much for every call."""
    return model.__pydantic_private__  # type: ignore[return-value]


# One reusable instance: a model failure raises PromptCallError from invoke and stream
# alike; a missing prompt's 404 names this class's arguments.
_CALL_ERRORS = adapter_errors(adapter="ChatHumanloop", create_hint="`model=` (and `provider=`)")


def _emit(generation: ChatGenerationChunk,
          run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
    if run_manager is not None:
        run_manager.on_llm_new_token(generation.text, chunk=generation)
    return generation


async def _aemit(generation: ChatGenerationChunk,
                 run_manager: AsyncCallbackManagerForLLMRun | None) -> ChatGenerationChunk:
    if run_manager is not None:
        await run_manager.on_llm_new_token(generation.text, chunk=generation)
    return generation
