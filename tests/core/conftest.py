"""The ``make`` fixture: a transport harness of each flavour (sync, async)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.core.harness import Handler, Harness


@pytest.fixture(params=["sync", "async"])
def make(request: pytest.FixtureRequest) -> Callable[..., Harness]:
    """``make(handler, **transport_options) -> Harness`` of the parametrised flavour."""

    def factory(handler: Handler, **options: Any) -> Harness:
        return Harness(request.param, handler, **options)

    return factory
