"""How the LangChain and LlamaIndex adapters report a failed ``prompts.call``, in one place.

One model failure must look the same whichever way it was called. The server reports it
as an HTTP error (400 or 502) to a plain call, but inside the stream to a streamed one,
where the client raises :class:`~humanloop_core.PromptCallError`; so the adapters raise
``PromptCallError`` for both. Its ``body["id"]`` is the log that recorded the failure,
``status_code`` the HTTP status when there was one, and ``__cause__`` the HTTP error.

A call to a prompt that does not exist, with nothing to create it from, gets the
server's 404 with a message naming the adapter's own arguments (the server's names the
API's ``prompt`` field, which an adapter user never sees).
"""

from __future__ import annotations

import re
from typing import Any

from .core.errors import ApiError, NotFoundError, PromptCallError

__all__ = ["adapter_error", "adapter_errors"]

# How the server's detail names the log that recorded a model failure (server/calls.py).
_LOGGED_AS = re.compile(r"\(logged as (log_[A-Za-z0-9_-]+)\)\s*$")
_MODEL_FAILURE_STATUSES = frozenset({400, 502})
# The server's advice for a missing prompt, in the API's words (its `prompt` field).
_SERVER_HINT = "pass `prompt` to create it"


def _detail(body: Any) -> str | None:
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None


def adapter_error(exc: ApiError, *, adapter: str, create_hint: str) -> ApiError:
    """The error an adapter raises for ``exc`` raised by ``prompts.call``.

    Args:
        exc: What the client raised.
        adapter: The adapter's class name, for the message.
        create_hint: What the adapter's user passes to create a missing prompt, e.g.
            "`model=` (and `provider=`)".

    Returns:
        A ``PromptCallError`` for a model failure the server logged, a ``NotFoundError``
        naming ``create_hint`` for a missing prompt, else ``exc`` itself.
    """
    if isinstance(exc, PromptCallError):
        return exc
    detail = _detail(exc.body)
    if detail is None:
        return exc
    logged = _LOGGED_AS.search(detail)
    if logged and exc.status_code in _MODEL_FAILURE_STATUSES:
        body = {**exc.body, "id": logged.group(1), "error": detail}
        return PromptCallError(exc.status_code, body, exc.headers, message=str(exc),
                               response=exc.response)
    if isinstance(exc, NotFoundError) and _SERVER_HINT in str(exc):
        hint = (f"pass {create_hint} to {adapter}(...) to create it on first call, or point "
                "`path`/`id` at a stored prompt")
        return NotFoundError(exc.status_code, exc.body, exc.headers,
                             message=str(exc).replace(_SERVER_HINT, hint), response=exc.response)
    return exc


class adapter_errors:  # noqa: N801  (used like a function: ``with adapter_errors(...):``)
    """Raise :func:`adapter_error`'s error for an ``ApiError`` leaving the block (chained
    to the original); works around a generator's ``yield`` too. Stateless, so one
    instance may be built once and reused for every call."""

    __slots__ = ("_adapter", "_create_hint")

    def __init__(self, *, adapter: str, create_hint: str) -> None:
        self._adapter = adapter
        self._create_hint = create_hint

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        if isinstance(exc, ApiError):
            error = adapter_error(exc, adapter=self._adapter, create_hint=self._create_hint)
            if error is not exc:
                raise error from exc
