"""The wire models are the spec, mechanically: regenerate and compare, then spot-check rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from humanloop_core import types
from scripts.gen_types import OUT, class_name, render

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
    assert OUT.read_text() == render(json.loads(SPEC.read_text())), (
        "humanloop_core/types/_models.py is stale: run scripts/gen_types.py"
    )


def test_every_schema_has_a_model() -> None:
    spec = json.loads(SPEC.read_text())
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
