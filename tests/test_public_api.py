"""The public surface of ``humanloop_core``: exports, import cost, client configuration."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import humanloop_core
from humanloop_core import ApiError, AsyncHumanloop, Humanloop

EXPECTED_ALL = [
    "APIConnectionError", "APIResponseValidationError", "APITimeoutError", "ApiError",
    "AsyncHumanloop", "AsyncPager", "AsyncPromptResolver", "AsyncStream", "AuthenticationError",
    "BadRequestError", "ConflictError", "Humanloop", "InternalServerError", "NotFoundError",
    "PermissionDeniedError", "PromptCache", "PromptCallError", "PromptResolver", "PromptTarget",
    "RateLimitError", "RequestOptions", "RequestValidationError", "Stream",
    "SyncPager", "UnprocessableEntityError", "__version__",
]


def test_all_is_curated_sorted_and_resolves() -> None:
    assert humanloop_core.__all__ == EXPECTED_ALL == sorted(EXPECTED_ALL)
    for name in humanloop_core.__all__:
        assert getattr(humanloop_core, name) is not None
    with pytest.raises(AttributeError):
        humanloop_core.NoSuchThing  # noqa: B018


def test_errors_derive_from_api_error_and_match_core() -> None:
    from humanloop_core import core
    from humanloop_core.core.api_error import ApiError as SeedSpelling

    assert SeedSpelling is ApiError is core.ApiError
    for name in EXPECTED_ALL:
        value = getattr(humanloop_core, name)
        if isinstance(value, type) and name.endswith("Error"):
            assert issubclass(value, ApiError), name
    assert humanloop_core.Stream is core.Stream and humanloop_core.SyncPager is core.SyncPager


def test_seed_import_paths() -> None:
    from humanloop_core.client import AsyncHumanloop as A
    from humanloop_core.client import Humanloop as H

    assert (Humanloop, AsyncHumanloop) == (H, A)


def test_import_is_light() -> None:
    """``import humanloop_core`` builds no pydantic model and imports no resource."""
    code = (
        "import sys, humanloop_core\n"
        "heavy = [m for m in ('humanloop_core.types', 'humanloop_core.resources.prompts',"
        " 'pydantic_core', 'humanloop_core.core._streaming') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_and_py_typed() -> None:
    assert humanloop_core.__version__ == importlib.metadata.version("humanloop-core")
    assert (Path(humanloop_core.__file__).parent / "py.typed").is_file()


def test_api_key_from_argument_else_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUMANLOOP_API_KEY", "env-key")
    monkeypatch.delenv("HUMANLOOP_BASE_URL", raising=False)
    assert Humanloop()._transport._headers["X-API-KEY"] == "env-key"
    assert Humanloop(api_key="arg-key")._transport._headers["X-API-KEY"] == "arg-key"
    monkeypatch.delenv("HUMANLOOP_API_KEY")
    for cls in (Humanloop, AsyncHumanloop):
        with pytest.raises(ApiError) as info:
            cls()
        assert isinstance(info.value, ValueError)
        assert "api_key" in str(info.value) and "HUMANLOOP_API_KEY" in str(info.value)


def test_base_url_argument_environment_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUMANLOOP_BASE_URL", raising=False)
    assert Humanloop(api_key="k").base_url == "https://api.humanloop.com/v5"
    monkeypatch.setenv("HUMANLOOP_BASE_URL", "http://env.example/v5/")
    assert Humanloop(api_key="k").base_url == "http://env.example/v5"
    assert AsyncHumanloop(api_key="k", base_url="http://arg/v5").base_url == "http://arg/v5"


def test_repr_never_shows_the_key() -> None:
    client = Humanloop(api_key="sk-very-secret", base_url="http://h/v5")
    for shown in (repr(client), repr(client.with_options(timeout=1)), str(client)):
        assert "sk-very-secret" not in shown and "http://h/v5" in shown


def test_with_options_shares_the_pool_and_closing_it_keeps_it(base_url: str, api_key: str) -> None:
    with Humanloop(api_key=api_key, base_url=base_url) as client:
        faster = client.with_options(timeout=5, max_retries=0)
        assert type(faster) is Humanloop
        assert faster._transport.http_client is client._transport.http_client
        assert faster._transport.max_retries == 0 and client._transport.max_retries == 2
        with faster:
            faster.directories.list()
        client.directories.list()  # the shared pool survived the copy's close
        pool = client._transport.http_client
    assert pool.is_closed  # closing the original closes the pool it created


def test_custom_http_client_alias_and_default_headers(base_url: str, api_key: str) -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [seen.append]})
    client = Humanloop(api_key=api_key, base_url=base_url, httpx_client=http,
                       default_headers={"X-Team": "core"})
    client.directories.list()
    client.close()
    assert not http.is_closed  # the caller's client stays the caller's to close
    assert seen and seen[0].headers["X-Team"] == "core" and seen[0].headers["X-API-KEY"] == api_key
    http.close()
    with pytest.raises(ValueError, match="not both"):
        Humanloop(api_key="k", http_client=httpx.Client(), httpx_client=httpx.Client())


async def test_async_client_context_manager_and_with_options(base_url: str, api_key: str) -> None:
    async with AsyncHumanloop(api_key=api_key, base_url=base_url) as client:
        async with client.with_options(max_retries=0) as copy:
            assert type(copy) is AsyncHumanloop
            assert copy._transport.http_client is client._transport.http_client
            assert isinstance(await copy.directories.list(), list)
        assert isinstance(await client.directories.list(), list)  # the copy left the pool open
        pool = client._transport.http_client
    assert pool.is_closed


def test_tracer_provider_receives_spans(base_url: str, api_key: str) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with Humanloop(api_key=api_key, base_url=base_url, tracer_provider=provider) as client:
        client.directories.list()
    assert len(exporter.get_finished_spans()) == 1


def test_meter_provider_receives_call_metrics(base_url: str, api_key: str, unique_path: str) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    with Humanloop(api_key=api_key, base_url=base_url,
                   meter_provider=MeterProvider(metric_readers=[reader])) as client:
        client.prompts.call(path=unique_path, prompt={"model": "mock-1", "provider": "mock"},
                            messages=[{"role": "user", "content": "hi"}])
    data = reader.get_metrics_data()
    names = {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert "gen_ai.client.operation.duration" in names


def test_timeout_applies_to_a_supplied_client_unless_none() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(204)

    own = httpx.Client(timeout=0.25, transport=httpx.MockTransport(handler))
    Humanloop(api_key="k", base_url="http://hl.test/v5", http_client=own).logs.delete("lg_1")
    Humanloop(api_key="k", base_url="http://hl.test/v5", http_client=own,
              timeout=None).logs.delete("lg_1")
    assert seen[0]["read"] == 60.0
    assert seen[1]["read"] == 0.25
