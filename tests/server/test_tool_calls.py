"""``POST /tools/call`` with the official SDK (0.8.38): Python tools run in the sandbox."""

from __future__ import annotations

import pytest

humanloop = pytest.importorskip("humanloop")
from humanloop import Humanloop  # noqa: E402

from humanloop_core.server import LocalServer  # noqa: E402

ADD = {"name": "add", "description": "Add two numbers",
       "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}


@pytest.fixture
def sdk(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


def test_a_python_tool_is_called_with_its_inputs_and_logged(sdk: Humanloop, unique_path: str) -> None:
    code = "import math\ndef helper(x):\n    return x\ndef add(a, b):\n    print('adding')\n    return {'sum': a + b}\n"
    sdk.tools.upsert(path=unique_path, function=ADD, source_code=code)
    called = sdk.tools.call(path=unique_path, inputs={"a": 2, "b": 3.5}, metadata={"case": 1})
    assert called.output == '{"sum": 5.5}' and called.error is None
    assert called.tool.path == unique_path and called.stdout == "adding\n"
    stored = sdk.logs.get(id=called.id)
    output = stored["output"] if isinstance(stored, dict) else stored.output
    assert output == '{"sum": 5.5}'


def test_a_failing_tool_answers_with_the_error_logged(sdk: Humanloop, unique_path: str) -> None:
    sdk.tools.upsert(path=unique_path, function=ADD, source_code="def add(a, b):\n    return a / b\n")
    called = sdk.tools.call(path=unique_path, inputs={"a": 1, "b": 0})
    assert called.output is None and "ZeroDivisionError: division by zero" in called.error
    sdk.tools.upsert(path=unique_path + "-net", function=ADD,
                     source_code="def add(a, b):\n    import urllib.request\n    return 1\n")
    refused = sdk.tools.call(path=unique_path + "-net", inputs={"a": 1, "b": 2})
    assert "not available in the sandbox" in refused.error


def test_a_tool_without_source_code_is_refused(sdk: Humanloop, unique_path: str) -> None:
    sdk.tools.upsert(path=unique_path, function=ADD)
    with pytest.raises(humanloop.core.api_error.ApiError) as raised:
        sdk.tools.call(path=unique_path, inputs={"a": 1, "b": 2})
    assert raised.value.status_code == 422 and "no source_code" in str(raised.value.body)
