"""One prompt resolver: find a stored prompt at a version, cache it, merge a call's changes.

Both framework adapters (LangChain ``ChatHumanloop``, LlamaIndex ``Humanloop``) and any
user who builds ``prompts.call`` arguments from a stored prompt use this module, so the
rules below hold everywhere:

* **Lookup**: one request per cache miss: ``prompts.get`` for an id, else
  ``files.retrieve_by_path``, at the target's ``version_id`` or ``environment`` (else the
  default version). A prompt that does not exist yet resolves to ``None``; a version or
  environment that does not exist raises ``NotFoundError``.
* **Cache**: each resolver keeps what it resolved (``None`` included) per target for
  ``cache_seconds`` (default 60; 0 disables), the same for sync and async, so a new
  deployment reaches a long-lived adapter within that time. Concurrent misses of one
  target (threads, or tasks of one event loop) share a single request.
* **Merge**: a call that changes nothing sends only the address and the server runs the
  stored version exactly, stored tools included. A call with overrides sends a kernel:
  the stored version's, with each override replacing its field (``other``, the dict of
  provider parameters, merges key by key). **Bound tools are what
  the model sees**: they replace the stored prompt's ``tools`` and ``linked_tools`` (as
  ``ChatOpenAI.bind_tools`` / ``llm.chat_with_tools`` do); without bound tools the stored
  ones stay. The kernel names the version, so ``version_id``/``environment`` are not sent
  with it; the server files it as a version of the prompt without making it the default.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AsyncHumanloop, Humanloop
    from .types import PromptResponse

DEFAULT_CACHE_SECONDS = 60.0
# Kernel fields that are dicts of provider parameters: an override merges key by key.
_MERGED_FIELDS = frozenset({"other"})


@functools.cache
def kernel_fields() -> tuple[str, ...]:
    """The fields of a stored version that make up its kernel: those of the generated
    ``PromptKernelRequest``; the rest of a ``PromptResponse`` (ids, counts, timestamps)
    describes the version."""
    from .types import PromptKernelRequest

    return tuple(PromptKernelRequest.model_fields)


@dataclass(frozen=True)
class PromptTarget:
    """Which stored prompt, and which of its versions, a call addresses.

    Args:
        path: The prompt's path (surrounding slashes do not matter).
        id: The prompt's id (instead of ``path``).
        version_id: One version.
        environment: The version deployed to this environment.
    """

    path: str | None = None
    id: str | None = None
    version_id: str | None = None
    environment: str | None = None

    def __post_init__(self) -> None:
        if not (self.path or self.id):
            raise ValueError("a prompt target needs the prompt's `path` or `id`")
        if self.path is not None:
            object.__setattr__(self, "path", self.path.strip().strip("/"))

    def address(self) -> dict[str, str]:
        """The ``prompts.call`` arguments naming the prompt (not its version)."""
        return {k: v for k, v in (("path", self.path), ("id", self.id)) if v}

    def selection(self) -> dict[str, str]:
        """The ``prompts.call`` arguments choosing the version."""
        return {k: v for k, v in (("version_id", self.version_id),
                                  ("environment", self.environment)) if v}


def kernel_of(prompt: PromptResponse | Mapping[str, Any]) -> dict[str, Any]:
    """The kernel of a stored version as ``prompts.call``'s ``prompt`` fields."""
    data = prompt if isinstance(prompt, Mapping) else prompt.to_wire()
    kernel = {key: data[key] for key in kernel_fields() if data.get(key) is not None}
    if "linked_tools" in kernel:  # a version lists linked tools in full; a request by id
        kernel["linked_tools"] = [t if isinstance(t, str) else t["id"] for t in kernel["linked_tools"]
                                  if isinstance(t, str) or t.get("id")]
    return kernel


def merge_kernel(stored: PromptResponse | Mapping[str, Any] | None, overrides: Mapping[str, Any],
                 tools: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The kernel a call sends: ``stored`` with ``overrides`` (``None`` values ignored) and,
    when any are bound, exactly the bound ``tools`` in place of the stored tools.

    Raises:
        ValueError: nothing (neither the stored prompt nor an override) names a model.
    """
    kernel = kernel_of(stored) if stored is not None else {}
    for key, value in overrides.items():
        if value is None:
            continue
        merged = key in _MERGED_FIELDS and isinstance(kernel.get(key), Mapping)
        kernel[key] = {**kernel[key], **value} if merged else value
    if tools:
        kernel["tools"] = [dict(tool) for tool in tools]
        kernel.pop("linked_tools", None)
    if not kernel.get("model"):
        raise ValueError(
            "no stored prompt names a model to build on: pass `model` (and `provider`), or point "
            "`path`/`id` at a stored prompt")
    return kernel


def changes_kernel(overrides: Mapping[str, Any], tools: Sequence[Mapping[str, Any]] | None) -> bool:
    """Whether a call must send a kernel (and so needs the stored one to build on)."""
    return bool(tools) or any(value is not None for value in overrides.values())


def call_arguments(target: PromptTarget, stored: PromptResponse | Mapping[str, Any] | None,
                   overrides: Mapping[str, Any],
                   tools: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The ``prompts.call`` arguments that address the prompt and carry the call's changes
    (messages, inputs and the like are the caller's to add)."""
    if not changes_kernel(overrides, tools):
        return {**target.address(), **target.selection()}
    return {**target.address(), "prompt": merge_kernel(stored, overrides, tools)}


class PromptCache:
    """Resolved prompts per target for ``seconds``; ``clock`` is injectable for tests."""

    def __init__(self, seconds: float = DEFAULT_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if seconds < 0:
            raise ValueError("cache seconds can't be negative")
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[PromptTarget, tuple[float, Any]] = {}
        # Concurrent misses wait for the one lookup in flight: threads on a lock per
        # target, tasks on a future of their own event loop.
        self._guard = threading.Lock()
        self._locks: dict[PromptTarget, threading.Lock] = {}
        self.inflight: dict[PromptTarget, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}

    def get(self, target: PromptTarget) -> tuple[bool, PromptResponse | None]:
        """(hit, prompt): a hit when resolved less than ``seconds`` ago."""
        entry = self._entries.get(target)
        if entry is not None and self._clock() - entry[0] < self.seconds:
            return True, entry[1]
        return False, None

    def put(self, target: PromptTarget, prompt: PromptResponse | None) -> PromptResponse | None:
        if self.seconds > 0:
            self._entries[target] = (self._clock(), prompt)
        return prompt

    def clear(self) -> None:
        self._entries.clear()

    def lock(self, target: PromptTarget) -> threading.Lock:
        """The lock a thread holds while it looks ``target`` up."""
        with self._guard:
            return self._locks.setdefault(target, threading.Lock())


def _checked(target: PromptTarget, found: Any) -> PromptResponse:
    kind = getattr(found, "type", None)
    if kind not in (None, "prompt"):
        raise ValueError(f"{target.path or target.id!r} is a {kind}, not a prompt")
    return found  # type: ignore[no-any-return]


def _lookup(client: Any, target: PromptTarget) -> Any:
    """The one request of a cache miss (awaitable for an async client): ``prompts.get``
    for an id, else ``files.retrieve_by_path``, at the target's version or environment."""
    if target.id:
        return client.prompts.get(target.id, version_id=target.version_id,
                                  environment=target.environment)
    return client.files.retrieve_by_path(path=target.path or "", version_id=target.version_id,
                                         environment=target.environment)


def _absent(target: PromptTarget) -> bool:
    """A 404 means "no such prompt yet" only when no version was asked for; a missing
    version or environment is the caller's mistake and is raised."""
    return not (target.version_id or target.environment)


class _Base:
    def __init__(self, *, cache_seconds: float, cache: PromptCache | None) -> None:
        self.cache = cache if cache is not None else PromptCache(cache_seconds)

    def invalidate(self) -> None:
        """Forget every resolved prompt: the next lookup of each goes to the server."""
        self.cache.clear()


class PromptResolver(_Base):
    """Resolve stored prompts through a ``Humanloop`` client, with the cache above.

    Args:
        client: The client lookups go through.
        cache_seconds: How long a resolved prompt is reused (0: never).
        cache: A ``PromptCache`` to share (e.g. with an ``AsyncPromptResolver``).

    Example:
        .. code-block:: python

            resolver = PromptResolver(client)
            target = PromptTarget(path="support/answer", environment="production")
            args = resolver.call_arguments(target, overrides={"temperature": 0}, tools=[weather])
            client.prompts.call(**args, messages=[{"role": "user", "content": "Paris?"}])
    """

    def __init__(self, client: Humanloop, *, cache_seconds: float = DEFAULT_CACHE_SECONDS,
                 cache: PromptCache | None = None) -> None:
        super().__init__(cache_seconds=cache_seconds, cache=cache)
        self.client = client

    def resolve(self, target: PromptTarget) -> PromptResponse | None:
        """The stored version ``target`` names, or ``None`` if the prompt does not exist."""
        from .core.errors import NotFoundError

        hit, prompt = self.cache.get(target)
        if hit:
            return prompt
        with self.cache.lock(target):
            hit, prompt = self.cache.get(target)  # another thread may have just looked it up
            if hit:
                return prompt
            try:
                found = _lookup(self.client, target)
            except NotFoundError:
                if not _absent(target):
                    raise
                return self.cache.put(target, None)
            return self.cache.put(target, _checked(target, found))

    def call_arguments(self, target: PromptTarget, overrides: Mapping[str, Any] | None = None,
                       tools: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """``call_arguments`` with the stored prompt looked up only when a kernel is sent."""
        overrides = overrides or {}
        stored = self.resolve(target) if changes_kernel(overrides, tools) else None
        return call_arguments(target, stored, overrides, tools)


class AsyncPromptResolver(_Base):
    """``PromptResolver`` for an ``AsyncHumanloop`` client (same rules, same cache type)."""

    def __init__(self, client: AsyncHumanloop, *, cache_seconds: float = DEFAULT_CACHE_SECONDS,
                 cache: PromptCache | None = None) -> None:
        super().__init__(cache_seconds=cache_seconds, cache=cache)
        self.client = client

    async def resolve(self, target: PromptTarget) -> PromptResponse | None:
        """The stored version ``target`` names, or ``None`` if the prompt does not exist."""
        hit, prompt = self.cache.get(target)
        if hit:
            return prompt
        loop = asyncio.get_running_loop()
        pending = self.cache.inflight.get(target)
        if pending is not None and pending[0] is loop:
            try:
                return await asyncio.shield(pending[1])
            except asyncio.CancelledError:
                if not pending[1].cancelled():
                    raise  # this task itself was cancelled
                # The task doing the lookup was cancelled, not this one: look up anew.
        future: asyncio.Future[Any] = loop.create_future()
        self.cache.inflight[target] = (loop, future)
        try:
            result = await self._fetch(target)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: no warning when nobody else was waiting
            raise
        else:
            future.set_result(result)
            return result
        finally:
            if self.cache.inflight.get(target, (None, None))[1] is future:
                del self.cache.inflight[target]

    async def _fetch(self, target: PromptTarget) -> PromptResponse | None:
        from .core.errors import NotFoundError

        try:
            found = await _lookup(self.client, target)
        except NotFoundError:
            if not _absent(target):
                raise
            return self.cache.put(target, None)
        return self.cache.put(target, _checked(target, found))

    async def call_arguments(self, target: PromptTarget, overrides: Mapping[str, Any] | None = None,
                             tools: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """``call_arguments`` with the stored prompt looked up only when a kernel is sent."""
        overrides = overrides or {}
        stored = await self.resolve(target) if changes_kernel(overrides, tools) else None
        return call_arguments(target, stored, overrides, tools)
