"""The error for arguments that fail client-side validation (kept free of pydantic imports
so ``humanloop_core`` can export it without importing the models)."""

from __future__ import annotations

from ..core.errors import ApiError


class RequestValidationError(ApiError, ValueError):
    """An argument does not fit the spec's request model; raised before anything is sent.

    Also a ``ValueError``, as a wrong argument is one. ``status_code`` is ``None``.

    Attributes:
        fields: Dotted locations of the bad fields, e.g. ``["messages.0.role"]``.
    """

    def __init__(self, message: str, *, fields: list[str]) -> None:
        super().__init__(None, None, None, message=message)
        self.fields = fields
