"""``Humanloop`` and ``AsyncHumanloop``: configuration plus one attribute per resource.

Resources (and with them the pydantic models) are imported on first attribute access, so
``import humanloop_core`` costs little more than importing httpx.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from typing_extensions import Self

from .core._limits import DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_RESPONSE_BYTES
from .core.errors import ApiError

if TYPE_CHECKING:
    import httpx

    from .core._client import AsyncTransport, SyncTransport
    from .core._telemetry import TelemetryHook
    from .resources.agents import AgentsResource, AsyncAgentsResource
    from .resources.datasets import AsyncDatasetsResource, DatasetsResource
    from .resources.directories import AsyncDirectoriesResource, DirectoriesResource
    from .resources.evaluations import AsyncEvaluationsResource, EvaluationsResource
    from .resources.evaluators import AsyncEvaluatorsResource, EvaluatorsResource
    from .resources.files import AsyncFilesResource, FilesResource
    from .resources.flows import AsyncFlowsResource, FlowsResource
    from .resources.logs import AsyncLogsResource, LogsResource
    from .resources.prompts import AsyncPromptsResource, PromptsResource
    from .resources.tools import AsyncToolsResource, ToolsResource

__all__ = ["AsyncHumanloop", "Humanloop"]

DEFAULT_BASE_URL = "https://api.humanloop.com/v5"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


class MissingApiKeyError(ApiError, ValueError):
    """Neither ``api_key`` nor ``HUMANLOOP_API_KEY`` was given."""


class InvalidApiKeyError(MissingApiKeyError):
    """The API key holds a character no HTTP header may carry (the key is never shown)."""


def _api_key(api_key: str | None) -> str:
    key = api_key if api_key is not None else os.environ.get("HUMANLOOP_API_KEY")
    # Surrounding whitespace is never part of a key: a key read from a file or a secret
    # store often ends in a newline, which httpx would refuse, quoting the key.
    key = key.strip() if key else key
    if not key:
        raise MissingApiKeyError(
            message="No API key: pass api_key=... or set the HUMANLOOP_API_KEY environment variable."
        )
    bad = next((i for i, c in enumerate(key) if not " " <= c <= "~"), None)
    if bad is not None:
        raise InvalidApiKeyError(
            message=f"The API key has a character an HTTP header cannot carry at position {bad} "
            f"of {len(key)} (a control or non-ASCII character; the key is not shown): check "
            "where it was read from."
        )
    return key


def _base_url(base_url: str | None) -> str:
    return (base_url or os.environ.get("HUMANLOOP_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _telemetry(tracer_provider: Any, meter_provider: Any) -> TelemetryHook:
    """Explicit providers go to the tracing module; else the global OpenTelemetry ones."""
    if tracer_provider is None and meter_provider is None:
        from .core._telemetry import default_telemetry

        return default_telemetry()
    from .tracing import Telemetry

    hook: TelemetryHook = Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)
    return hook


def _pick_http_client(http_client: Any, httpx_client: Any) -> Any:
    if http_client is not None and httpx_client is not None and http_client is not httpx_client:
        raise ValueError("Pass http_client or httpx_client (the same thing), not both.")
    return http_client if http_client is not None else httpx_client


R = TypeVar("R")


class _Resource(Generic[R]):
    """A client attribute whose resource module is imported on first access, then cached
    on the instance (a non-data descriptor, so later reads are plain attribute reads)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        prefix = "Async" if owner.__name__.startswith("Async") else ""
        self._target = (f"{__package__}.resources.{name}", f"{prefix}{name.capitalize()}Resource")

    @overload
    def __get__(self, obj: None, owner: type) -> _Resource[R]: ...
    @overload
    def __get__(self, obj: Humanloop | AsyncHumanloop, owner: type) -> R: ...

    def __get__(self, obj: Humanloop | AsyncHumanloop | None, owner: type) -> _Resource[R] | R:
        if obj is None:
            return self
        module, cls = self._target
        resource: R = getattr(importlib.import_module(module), cls)(obj._transport)
        obj.__dict__[self._name] = resource
        return resource


TransportT = TypeVar("TransportT", "SyncTransport", "AsyncTransport")


def _transport_config(
    api_key: str | None, base_url: str | None, http_client: Any, httpx_client: Any,
    tracer_provider: Any, meter_provider: Any, max_response_bytes: int, max_sse_line_length: int,
) -> dict[str, Any]:
    """The transport arguments both clients resolve the same way."""
    for name, value in (("max_response_bytes", max_response_bytes),
                        ("max_sse_line_length", max_sse_line_length)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}")
    return {
        "max_response_bytes": max_response_bytes,
        "max_sse_line_length": max_sse_line_length,
        "api_key": _api_key(api_key),
        "base_url": _base_url(base_url),
        "http_client": _pick_http_client(http_client, httpx_client),
        "telemetry": _telemetry(tracer_provider, meter_provider),
    }


class _BaseClient(Generic[TransportT]):
    """What the two clients share; they differ only in transport type and closing."""

    _transport: TransportT

    @classmethod
    def _from_transport(cls, transport: TransportT) -> Self:
        client = cls.__new__(cls)
        client._transport = transport
        return client

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return str(self._transport.base_url)

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Self:
        """A client with other defaults (``None`` keeps this one's) sharing the connection pool."""
        return self._from_transport(self._transport.with_options(timeout=timeout,
                                                                 max_retries=max_retries))

    def __repr__(self) -> str:
        # Built from the base URL only (without any user:password@): the key must never show.
        import httpx

        from .core.errors import loggable

        return f"{type(self).__name__}(base_url={str(loggable(httpx.URL(self.base_url)))!r})"

    # Decorators, named and shaped as the official SDK's: migrating is an import change.
    def flow(self, *, path: str | None = None, attributes: Mapping[str, Any] | None = None) -> Any:
        """Decorator: log each call as a flow at ``path``; see :mod:`humanloop_core.decorators`."""
        from .decorators import flow

        return flow(path, attributes=attributes, tracer=self._decorator_tracer())

    def prompt(self, *, path: str | None = None, model: str | None = None) -> Any:
        """Decorator: log the model call inside each call as a prompt log at ``path``."""
        from .decorators import prompt

        return prompt(path, model=model, tracer=self._decorator_tracer())

    def tool(self, *, path: str | None = None, attributes: Mapping[str, Any] | None = None,
             setup_values: Mapping[str, Any] | None = None) -> Any:
        """Decorator: log each call as a tool log at ``path``, schema from the signature."""
        from .decorators import tool

        return tool(path, attributes=attributes, setup_values=setup_values,
                    tracer=self._decorator_tracer())

    def _decorator_tracer(self) -> Any:
        """The tracer of this server's export pipeline; without the OpenTelemetry SDK, the
        global tracer (spans then go wherever the app's own setup sends them)."""
        try:
            from .exporter import pipeline_for
        except ImportError as exc:
            import warnings

            warnings.warn(f"{exc}; decorated calls are not exported", stacklevel=3)
            return None
        return pipeline_for(self).tracer


class Humanloop(_BaseClient["SyncTransport"]):
    """Client of the Humanloop v5 API.

    Args:
        api_key: API key; default: the ``HUMANLOOP_API_KEY`` environment variable.
        base_url: API root; default ``HUMANLOOP_BASE_URL``, else ``https://api.humanloop.com/v5``.
        timeout: Seconds allowed per request (overridable per call). It applies to a
            supplied ``http_client`` too; pass ``None`` to keep that client's own timeout.
        max_retries: Retries after the first attempt of a retryable failure.
        http_client: An ``httpx.Client`` to send with (proxies, transports); you close it.
            ``httpx_client`` is accepted as another name for it.
        default_headers: Headers sent on every request.
        tracer_provider: OpenTelemetry tracer provider; default: the global one.
        meter_provider: OpenTelemetry meter provider; default: the global one.
        max_response_bytes: The largest response body read (decoded, so a compressed
            body counts inflated); a larger 2xx body raises ``APIResponseValidationError``
            and a larger error body is cut there. Default 64 MiB.
        max_sse_line_length: The longest line a streamed response may send, in
            characters; a longer one ends the stream with ``APIResponseValidationError``.
            Default 16 Mi.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        httpx_client: httpx.Client | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_sse_line_length: int = DEFAULT_MAX_LINE_LENGTH,
    ) -> None:
        from .core._client import SyncTransport

        self._transport = SyncTransport(
            timeout=timeout, max_retries=max_retries, default_headers=default_headers,
            **_transport_config(api_key, base_url, http_client, httpx_client, tracer_provider,
                                meter_provider, max_response_bytes, max_sse_line_length),
        )

    def close(self) -> None:
        """Close the connection pool (unless you passed your own ``http_client``)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Resources: each module is imported on first access.
    prompts: _Resource[PromptsResource] = _Resource()
    logs: _Resource[LogsResource] = _Resource()
    evaluations: _Resource[EvaluationsResource] = _Resource()
    datasets: _Resource[DatasetsResource] = _Resource()
    tools: _Resource[ToolsResource] = _Resource()
    evaluators: _Resource[EvaluatorsResource] = _Resource()
    flows: _Resource[FlowsResource] = _Resource()
    directories: _Resource[DirectoriesResource] = _Resource()
    files: _Resource[FilesResource] = _Resource()
    agents: _Resource[AgentsResource] = _Resource()


class AsyncHumanloop(_BaseClient["AsyncTransport"]):
    """Asyncio client of the Humanloop v5 API; the arguments are those of ``Humanloop``,
    with an ``httpx.AsyncClient`` as ``http_client``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        httpx_client: httpx.AsyncClient | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_sse_line_length: int = DEFAULT_MAX_LINE_LENGTH,
    ) -> None:
        from .core._client import AsyncTransport

        self._transport = AsyncTransport(
            timeout=timeout, max_retries=max_retries, default_headers=default_headers,
            **_transport_config(api_key, base_url, http_client, httpx_client, tracer_provider,
                                meter_provider, max_response_bytes, max_sse_line_length),
        )

    async def aclose(self) -> None:
        """Close the connection pool (unless you passed your own ``http_client``)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # Resources: each module is imported on first access.
    prompts: _Resource[AsyncPromptsResource] = _Resource()
    logs: _Resource[AsyncLogsResource] = _Resource()
    evaluations: _Resource[AsyncEvaluationsResource] = _Resource()
    datasets: _Resource[AsyncDatasetsResource] = _Resource()
    tools: _Resource[AsyncToolsResource] = _Resource()
    evaluators: _Resource[AsyncEvaluatorsResource] = _Resource()
    flows: _Resource[AsyncFlowsResource] = _Resource()
    directories: _Resource[AsyncDirectoriesResource] = _Resource()
    files: _Resource[AsyncFilesResource] = _Resource()
    agents: _Resource[AsyncAgentsResource] = _Resource()