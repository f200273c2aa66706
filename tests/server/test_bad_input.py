"""Bad input never breaks the server: generated and malformed requests get a 4xx that
says what to fix, never a 500 or a stack trace.

Schemathesis generates valid and invalid requests for every operation of the v5 spec
the server implements; hypothesis throws arbitrary JSON at every body-taking route.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.spec import SPEC_PATH, contract

# The one spec operation not served: CSV upload needs multipart parsing (python-multipart).
NOT_IMPLEMENTED = "/datasets/{id}/datapoints/csv"

# The operations of the v5 description, with the SDK overlay's shapes; operations newer than v5
# are walked by tests/server/test_sdk_walk.py.
_v5_paths = json.loads(SPEC_PATH.read_text())["paths"]
_spec = contract()
_spec["paths"] = {
    path: {m: op for m, op in item.items() if m in _v5_paths.get(path, {})}
    for path, item in _spec["paths"].items()
    if path in _v5_paths
}
_spec["components"]["schemas"]["LogResponse"].pop(
    "additionalProperties", None
)  # see tests/server/wire.py
schema = schemathesis.openapi.from_dict(_spec).exclude(path=NOT_IMPLEMENTED)


def _says_what_to_fix(response: Any) -> None:
    """A 4xx carries a JSON ``detail``: a sentence, or FastAPI's list of located errors."""
    if 400 <= response.status_code < 500:
        detail = json.loads(response.content)["detail"]
        assert detail, "empty detail"
        if isinstance(detail, list):
            assert all({"loc", "msg", "type"} <= set(item) for item in detail)
    assert b"Traceback" not in response.content


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_500(case: Any, local_server: Any) -> None:
    response = case.call(
        base_url=local_server.base_url, headers={"X-API-KEY": local_server.api_key}
    )
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    _says_what_to_fix(response)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
BODY_ROUTES = [
    "/prompts",
    "/prompts/call",
    "/prompts/log",
    "/tools",
    "/tools/log",
    "/datasets",
    "/evaluators",
    "/evaluators/log",
    "/flows",
    "/flows/log",
    "/evaluations",
    "/directories",
]


@pytest.fixture(scope="module")
def raw(local_server: Any) -> Any:
    with httpx.Client(
        base_url=local_server.base_url, headers={"X-API-KEY": local_server.api_key}
    ) as client:
        yield client


@given(route=st.sampled_from(BODY_ROUTES), body=json_values)
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_arbitrary_json_bodies_never_500(raw: httpx.Client, route: str, body: Any) -> None:
    response = raw.post(route, json=body)
    assert response.status_code < 500, response.text
    _says_what_to_fix(response)


@given(body=st.binary(max_size=64))
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_bytes_that_are_not_json_never_500(raw: httpx.Client, body: bytes) -> None:
    response = raw.post("/prompts/call", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 or (response.status_code < 500 and body.strip()), (
        response.text
    )
    _says_what_to_fix(response)
