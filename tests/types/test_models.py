"""The wire models are the spec, mechanically: regenerate and compare, then spot-check rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from humanloop_core import types
from scripts.gen_types import OUT, SDK_OVERLAY, class_name, load_contract, render

SPEC = Path(__file__).resolve().parents[2] / "spec" / "humanloop-openapi-v5.json"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "humanloop-openapi-v5.json"


def test_vendored_spec_is_the_shared_contract() -> None:
    # CI lays shared/ beside the clone; the vendored copy must not drift from it. Only the
    # prose of info.description (install instructions for other SDKs) is left out.
    assert SHARED.exists(), f"expected the shared contract at {SHARED}"
    shared = json.loads(SHARED.read_text())
    shared["info"].pop("description", None)
    assert json.loads(SPEC.read_text()) == shared


def test_generated_models_match_spec() -> None:
    assert OUT.read_text() == render(load_contract()), (
        "humanloop_core/types/_models.py is stale: run `make types`"
    )


def test_sdk_overlay_is_what_the_installed_official_sdk_speaks() -> None:
    # The overlay is derived from humanloop 0.8.38 (its raw clients and types); rederive it
    # from the installed SDK: a drift in either the script or the SDK shows here.
    from scripts.sdk_overlay import build_overlay

    derived = json.loads(json.dumps(build_overlay(json.loads(SPEC.read_text()))))
    committed = json.loads(SDK_OVERLAY.read_text())
    stale = [
        f"{part}: {name}"
        for part, key in (("schema", "components"), ("path", "paths"))
        for name in sorted(
            set(_section(committed, key)) | set(_section(derived, key)),
        )
        if _section(committed, key).get(name) != _section(derived, key).get(name)
    ]
    assert stale == [], "spec/humanloop-sdk-0.8.38.json is stale: run `make types`"


def _section(overlay: dict, key: str) -> dict:
    return overlay[key]["schemas"] if key == "components" else overlay[key]


def test_overlay_covers_every_operation_of_the_official_sdk() -> None:
    from scripts.sdk_overlay import sdk_operations

    contract = load_contract()
    ops = sdk_operations()
    assert len(ops) > 100  # introspection found the clients (0.8.38 has 121 methods)
    missing = [
        f"{op.group}.{op.method}"
        for op in ops
        if op.http_method.lower() not in contract["paths"].get(op.path, {})
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("PromptRequest", {"version_name", "version_description", "description", "tags", "readme"}),
        ("PromptKernelRequest", {"template_language", "reasoning_effort", "provider"}),
        ("PromptResponse", {"raw_file_content", "version_name", "commit_message"}),
        ("PromptLogRequest", {"log_status", "messages", "run_id"}),
        ("FlowLogRequest", {"log_status", "run_id"}),
        ("UpdateTraceRequest", {"log_status"}),
        ("AgentKernelRequest", {"tools", "max_iterations"}),
        ("AgentsCallStreamRequest", {"messages", "agent", "stream"}),
        ("EvaluationRunResponse", {"id", "status"}),
    ],
)
def test_newer_sdk_fields_exist(model: str, fields: set[str]) -> None:
    cls = getattr(types, model)
    names = {info.alias or name for name, info in cls.model_fields.items()}
    assert fields <= names, fields - names


def test_deepseek_is_a_provider() -> None:
    kernel = types.PromptKernelRequest(model="deepseek-chat", provider="deepseek")
    assert kernel.to_wire()["provider"] == "deepseek"


def test_every_schema_has_a_model() -> None:
    spec = load_contract()
    missing = [raw for raw in spec["components"]["schemas"] if class_name(raw) not in types.__all__]
    assert missing == []


def test_required_fields_are_required() -> None:
    with pytest.raises(ValidationError) as info:
        types.ChatMessage.model_validate({"content": "hi"})
    assert "role" in str(info.value)


def test_request_models_reject_unknown_fields_naming_them() -> None:
    with pytest.raises(ValidationError) as info:
        types.PromptKernelRequest.model_validate({"model": "m", "temprature": 0.2})
    assert "temprature" in str(info.value)


def test_enums_are_checked() -> None:
    with pytest.raises(ValidationError) as info:
        types.ChatMessage.model_validate({"role": "robot"})
    assert "role" in str(info.value)


def test_response_models_keep_unknown_fields() -> None:
    log = types.PromptCallLogResponse.model_validate({"index": 0, "from_a_newer_server": 1})
    assert log.model_extra == {"from_a_newer_server": 1}


def test_to_wire_omits_unset_and_none() -> None:
    kernel = types.PromptKernelRequest(model="mock-1", temperature=None)
    assert kernel.to_wire() == {"model": "mock-1"}
    message = types.ChatMessage(role="user", content="hi")
    assert message.to_wire() == {"role": "user", "content": "hi"}
