"""Base classes shared by every wire model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ResponseModel(BaseModel):
    """A schema the server sends: unknown fields are kept, so a newer server never
    breaks an older client. Schema building is deferred to first use to keep
    ``import humanloop_core`` cheap."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        protected_namespaces=(),
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict the wire carries: unset and ``None`` fields omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class RequestModel(ResponseModel):
    """A schema the client sends. The spec closes these (``additionalProperties:
    false``), so an unknown field fails here, naming it, before anything is sent."""

    model_config = ConfigDict(extra="forbid")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
