"""``from humanloop_core.core.api_error import ApiError``, as the seed README spells it."""

from .errors import ApiError

__all__ = ["ApiError"]
