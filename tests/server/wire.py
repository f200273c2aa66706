"""Response validation against the v5 spec, with the spec's one self-contradiction fixed.

``LogResponse`` is ``anyOf`` the four log schemas *and* ``additionalProperties: false``
with no ``properties`` of its own, which under JSON Schema forbids every field, so no
log (from the hosted API or anywhere) could validate. The patch drops that keyword; every
branch still closes itself with ``additionalProperties: false``.
"""

from __future__ import annotations

from functools import cache

import httpx
from openapi_core import OpenAPI

from tests.spec import _Request, _Response, load_spec


@cache
def patched_openapi() -> OpenAPI:
    spec = load_spec()
    spec["components"]["schemas"]["LogResponse"].pop("additionalProperties", None)
    return OpenAPI.from_dict(spec)


def validate_response(request: httpx.Request, response: httpx.Response) -> None:
    """Raise unless the (read) ``response`` is one the spec allows for ``request``."""
    patched_openapi().validate_response(_Request(request), _Response(response))


@cache
def _components() -> dict:
    spec = load_spec()
    spec["components"]["schemas"]["LogResponse"].pop("additionalProperties", None)
    return spec["components"]


def validate_schema(name: str, instance: object) -> None:
    """Raise unless ``instance`` is valid for the spec's component schema ``name`` (used for
    what openapi-core can't reach, such as the JSON inside server-sent events)."""
    from openapi_schema_validator import OAS30Validator

    OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": _components()}).validate(instance)
