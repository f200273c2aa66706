"""Hostile input to the operations newer than the v5 description (agents, serialize, populate,
environment variables, CSV upload, ...): generated from the SDK overlay of the contract,
every answer is below 500 and a 4xx says what to fix."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.server.test_bad_input import _says_what_to_fix, json_values
from tests.spec import SPEC_PATH, contract

# Multipart generation is covered by hand in test_sdk_extras (schemathesis cannot send files
# the way the SDK does); every other operation the v5 description lacks is generated here.
_v5 = json.loads(SPEC_PATH.read_text())["paths"]
_spec = contract()
_spec["paths"] = {
    path: {m: op for m, op in item.items() if m not in _v5.get(path, {})}
    for path, item in _spec["paths"].items()
    if path != "/datasets/{id}/datapoints/csv" and any(m not in _v5.get(path, {}) for m in item)
}
schema = schemathesis.openapi.from_dict(_spec)


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_generated_requests_never_500(case: Any, local_server: Any) -> None:
    response = case.call(base_url=local_server.base_url,
                         headers={"X-API-KEY": local_server.api_key})
    case.validate_response(response, checks=[not_a_server_error])
    _says_what_to_fix(response)


ROUTES = ["/agents", "/agents/call", "/agents/continue", "/agents/log", "/agents/deserialize",
          "/prompts/deserialize", "/tools/tl_missing/environment-variables"]


@pytest.fixture(scope="module")
def raw(local_server: Any) -> Any:
    with httpx.Client(base_url=local_server.base_url,
                      headers={"X-API-KEY": local_server.api_key}) as client:
        yield client


@given(route=st.sampled_from(ROUTES), body=json_values)
@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_arbitrary_json_bodies_never_500(raw: httpx.Client, route: str, body: Any) -> None:
    response = raw.post(route, json=body)
    assert response.status_code < 500, response.text
    _says_what_to_fix(response)


@given(text=st.text(max_size=200))
@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_any_prompt_file_text_is_parsed_or_refused(raw: httpx.Client, text: str) -> None:
    for route, field in (("/prompts/deserialize", "prompt"), ("/agents/deserialize", "agent")):
        response = raw.post(route, json={field: "---\n" + text})
        assert response.status_code in (200, 422), response.text
        _says_what_to_fix(response)


def test_yaml_alias_bomb_is_refused(raw: httpx.Client) -> None:
    bomb = "---\nmodel: m\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n---\nhi\n"
    response = raw.post("/prompts/deserialize", json={"prompt": bomb})
    assert response.status_code == 422 and "aliases" in response.text
