"""Property-based bad input on the client: a wrong argument fails before anything is sent,
with an error that names the field and does not echo the value.

The clients point at a closed port with no retries: if a bad argument slipped through
and the request were attempted, the call would fail with ``APIConnectionError`` instead
of ``RequestValidationError``, and the property would fail. (The server side of bad
input is property-tested by schemathesis in ``test_server_bad_input.py``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanloop_core import ApiError, AsyncHumanloop, Humanloop
from humanloop_core.resources._base import RequestValidationError
from tests.reliability.fault_server import closed_port

MARKER = "Zq7vSECRETVALUE"  # a value that must never be echoed into an error message
_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
# Strings pydantic's lax mode would coerce to a bool or a number are not wrong values.
_not_coercible = _words.filter(
    lambda w: w not in {"true", "false", "yes", "no", "on", "off", "t", "f", "y", "n"}
)
_scalars = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans())
_containers = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=3),
    st.dictionaries(_words, st.integers(), min_size=1, max_size=3),
)

# argument of prompts.call -> values of the wrong type for it
WRONG: dict[str, st.SearchStrategy[Any]] = {
    "messages": st.one_of(
        _scalars,
        _not_coercible,
        st.lists(st.integers(), min_size=1, max_size=3),
        st.builds(lambda r: [{"role": r, "content": "x"}], _not_coercible),
    ),
    "num_samples": st.one_of(_not_coercible, _containers),
    "inputs": st.one_of(_scalars, _not_coercible, st.lists(st.integers(), min_size=1)),
    "metadata": st.one_of(_scalars, _not_coercible, st.lists(st.integers(), min_size=1)),
    "tool_choice": st.one_of(
        _not_coercible.filter(lambda w: w not in {"none", "auto", "required"}),
        st.integers(),
        st.lists(st.integers(), min_size=1),
    ),
    # A plain string is a valid `prompt` since the SDK 0.8.38 contract (a serialized
    # .prompt file), so only non-strings are wrong here.
    "prompt": st.one_of(
        st.integers(), _containers.filter(lambda c: isinstance(c, list)),
        st.fixed_dictionaries({"temperature": _not_coercible}),
    ),
    "save": st.one_of(_not_coercible, _containers),
    "source": st.one_of(st.integers(), _containers),
    "user": st.one_of(st.integers(), _containers),
}

bad_arguments = st.sampled_from(sorted(WRONG)).flatmap(
    lambda name: st.tuples(st.just(name), WRONG[name])
)


@pytest.fixture(scope="module")
def unreachable() -> Iterator[tuple[Humanloop, AsyncHumanloop, asyncio.AbstractEventLoop]]:
    url = f"http://127.0.0.1:{closed_port()}/v5"
    loop = asyncio.new_event_loop()
    sync = Humanloop(api_key="hl-test", base_url=url, max_retries=0)
    aio = AsyncHumanloop(api_key="hl-test", base_url=url, max_retries=0)
    yield sync, aio, loop
    sync.close()
    loop.run_until_complete(aio.aclose())
    loop.close()


def _both(unreachable: Any, kwargs: dict[str, Any]) -> Iterator[ApiError]:
    """Call ``prompts.call(**kwargs)`` on both clients; yield the error each raised."""
    sync, aio, loop = unreachable
    calls: list[Callable[[], Any]] = [
        lambda: sync.prompts.call(**kwargs),
        lambda: loop.run_until_complete(aio.prompts.call(**kwargs)),
    ]
    for call in calls:
        with pytest.raises(RequestValidationError) as caught:
            call()
        yield caught.value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bad=bad_arguments)
def test_wrong_argument_type_names_the_field(unreachable: Any, bad: tuple[str, Any]) -> None:
    name, value = bad
    for error in _both(unreachable, {"path": "p", name: value}):
        assert isinstance(error, ApiError) and isinstance(error, ValueError)
        assert error.status_code is None
        assert error.fields and all(f.split(".")[0] == name for f in error.fields), error.fields
        assert name in str(error)
        assert "nothing was sent" in str(error)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["source", "user", "inputs", "provider_api_keys"]),
    wrap=st.sampled_from([lambda v: [v], lambda v: {"k": [v]}, lambda v: {"k": {"deep": v}}]),
)
def test_rejected_values_are_not_echoed(
    unreachable: Any, name: str, wrap: Callable[[str], Any]
) -> None:
    # Bad values may be secrets (provider keys pasted in the wrong place): never repeat them.
    value = wrap(MARKER) if name != "provider_api_keys" else {"openai": wrap(MARKER)}
    if name == "inputs" and isinstance(value, dict):
        value = [MARKER]  # any dict is valid inputs; a list is not
    for error in _both(unreachable, {"path": "p", name: value}):
        assert MARKER not in str(error) and MARKER not in repr(error)
        assert all(MARKER not in repr(a) for a in error.args)


def test_bad_nested_value_names_its_full_location(unreachable: Any) -> None:
    for error in _both(unreachable, {"path": "p", "messages": [{"role": "robot", "content": "x"}]}):
        assert error.fields == ["messages.0.role"]
        assert "messages.0.role" in str(error)
