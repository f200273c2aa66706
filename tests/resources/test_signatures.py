"""Signatures: sync/async parity, the issue's method list, and the official SDK's keyword names.

No server needed: these read signatures only.
"""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

import pytest

from humanloop_core import AsyncHumanloop, Humanloop
from tests.spec import SPEC_PATH

# resource attribute -> (sync class, async class, required methods) as the issue lists them.
RESOURCES = {
    "prompts": "call call_stream log update_log get list upsert delete move list_versions "
               "set_deployment remove_deployment list_environments",
    "logs": "list get delete",
    "evaluations": "list get create delete get_stats get_logs",
    "datasets": "list get upsert delete list_datapoints list_versions",
    "tools": "log list get upsert delete",
    "evaluators": "log list get upsert delete",
    "flows": "log update_log list get upsert delete",
    "directories": "list create get update delete",
    "files": "list",
    "agents": "call call_stream continue_call continue_call_stream log update_log get list "
              "upsert delete move list_versions serialize deserialize",
}


def _classes(name: str) -> tuple[type, type]:
    module = importlib.import_module(f"humanloop_core.resources.{name}")
    base = name.capitalize() + "Resource"
    return getattr(module, base), getattr(module, "Async" + base)


def _public(cls: type) -> dict[str, Any]:
    return {n: getattr(cls, n) for n in dir(cls) if not n.startswith("_")}


def _params(func: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_sync_async_pairs_have_the_same_methods_and_parameters(name: str) -> None:
    sync_cls, async_cls = _classes(name)
    sync_methods, async_methods = _public(sync_cls), _public(async_cls)
    assert sorted(sync_methods) == sorted(async_methods)
    for method, func in sync_methods.items():
        assert _params(func) == _params(async_methods[method]), f"{name}.{method}"
        # Everything the async client does is awaited (lists too: they fetch page one).
        assert inspect.iscoroutinefunction(async_methods[method]), f"{name}.{method}"
        assert not inspect.iscoroutinefunction(func), f"{name}.{method}"


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_method_the_issue_lists_exists(name: str) -> None:
    sync_cls, _ = _classes(name)
    missing = set(RESOURCES[name].split()) - set(_public(sync_cls))
    assert not missing


def test_clients_share_their_public_surface() -> None:
    sync_names = {n for n in dir(Humanloop) if not n.startswith("_")} - {"close"}
    async_names = {n for n in dir(AsyncHumanloop) if not n.startswith("_")} - {"aclose"}
    # flow/prompt/tool: the official SDK's decorators, on the client as there.
    decorators = {"flow", "prompt", "tool"}
    assert sync_names == async_names == {"base_url", "with_options", *decorators, *RESOURCES}
    assert _params(Humanloop.__init__) == _params(AsyncHumanloop.__init__)
    assert [p[0] for p in _params(Humanloop.__init__)] == [
        "self", "api_key", "base_url", "timeout", "max_retries", "http_client", "default_headers",
        "tracer_provider", "meter_provider", "httpx_client", "max_response_bytes",
        "max_sse_line_length"]


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_client_attributes_are_the_resources(name: str) -> None:
    sync_cls, async_cls = _classes(name)
    sync = Humanloop(api_key="k", base_url="http://127.0.0.1:9/v5")
    asyn = AsyncHumanloop(api_key="k", base_url="http://127.0.0.1:9/v5")
    assert type(getattr(sync, name)) is sync_cls and type(getattr(asyn, name)) is async_cls
    assert getattr(sync, name) is getattr(sync, name)  # built once
    sync.close()


# The official SDK's method -> (HTTP method, spec path) for the keyword-compatibility check.
SDK_METHODS = {
    ("prompts", "call"): ("post", "/prompts/call"),
    ("prompts", "call_stream"): ("post", "/prompts/call"),
    ("prompts", "log"): ("post", "/prompts/log"),
    ("prompts", "update_log"): ("patch", "/prompts/{id}/log/{log_id}"),
    ("prompts", "get"): ("get", "/prompts/{id}"),
    ("prompts", "list"): ("get", "/prompts"),
    ("prompts", "upsert"): ("post", "/prompts"),
    ("prompts", "move"): ("patch", "/prompts/{id}"),
    ("prompts", "list_versions"): ("get", "/prompts/{id}/versions"),
    ("prompts", "set_deployment"): ("post", "/prompts/{id}/environments/{environment_id}"),
    ("logs", "list"): ("get", "/logs"),
    ("evaluations", "create"): ("post", "/evaluations"),
    ("evaluations", "get_logs"): ("get", "/evaluations/{id}/logs"),
    ("datasets", "get"): ("get", "/datasets/{id}"),
    ("datasets", "upsert"): ("post", "/datasets"),
    ("datasets", "list_datapoints"): ("get", "/datasets/{id}/datapoints"),
    ("tools", "log"): ("post", "/tools/log"),
    ("tools", "upsert"): ("post", "/tools"),
    ("evaluators", "log"): ("post", "/evaluators/log"),
    ("evaluators", "upsert"): ("post", "/evaluators"),
    ("flows", "log"): ("post", "/flows/log"),
    ("flows", "update_log"): ("patch", "/flows/logs/{log_id}"),
    ("flows", "upsert"): ("post", "/flows"),
    ("directories", "create"): ("post", "/directories"),
    ("directories", "update"): ("patch", "/directories/{id}"),
    ("files", "list_files"): ("get", "/files"),
}


def _spec_names(method: str, path: str) -> set[str]:
    """Parameter and body field names the spec defines for one operation."""
    spec = json.loads(SPEC_PATH.read_text())
    operation = spec["paths"][path][method]
    names = {p["name"] for p in operation.get("parameters", [])}
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content:
        ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
        names |= set(spec["components"]["schemas"][ref].get("properties", {}))
    return names


@pytest.mark.parametrize(("resource", "method"), sorted(SDK_METHODS))
def test_official_sdk_keywords_in_the_spec_are_accepted(resource: str, method: str) -> None:
    """Every keyword of official SDK 0.8.38 that names something the v5 spec defines is a
    keyword here too; the SDK's keywords for newer API fields are not (they would be
    rejected by the spec's closed request schemas anyway)."""
    sdk_module = importlib.import_module(f"humanloop.{resource}.client")
    sdk_cls = getattr(sdk_module, resource.capitalize() + "Client")
    sdk = set(inspect.signature(getattr(sdk_cls, method)).parameters) - {"self"}
    ours = set(inspect.signature(getattr(_classes(resource)[0], method)).parameters)
    in_spec = _spec_names(*SDK_METHODS[resource, method]) | {"request_options"}
    # The SDK's names for the body's `environment` (its `environment` is the query one).
    renamed = {n for n in sdk if n.endswith("_request_environment")}
    assert (sdk & in_spec) | renamed <= ours
