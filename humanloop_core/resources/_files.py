"""Operations every file type (prompts, tools, datasets, evaluators, flows) shares, written once.

A ``FileKind`` names the path prefix and the models of one file type; the pure builders
below turn it and the arguments into an ``Operation``; ``SyncFileResource`` and
``AsyncFileResource`` are the thin shells that send them.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from ..core._operation import Operation
from ..core.errors import RequestValidationError
from ._base import AsyncResource, SyncResource, body, path, query, rename, split

if TYPE_CHECKING:
    from ..core._pagination import AsyncPager, SyncPager
    from ..core.request_options import RequestOptions
    from ..types import FileEnvironmentResponse
    from ..types._base import RequestModel

F = TypeVar("F")  # the file's response model, e.g. PromptResponse
V = TypeVar("V")  # its versions list, e.g. ListPrompts
T = TypeVar("T")

# ``list`` is a method name below, so the builtin is spelled out in annotations.
_Environments: TypeAlias = builtins.list["FileEnvironmentResponse"]


@dataclass(frozen=True, slots=True)
class FileKind(Generic[F, V]):
    """One file type: where it lives and what its endpoints return."""

    prefix: str  # "prompts"
    model: type[F]
    page: type[Any]  # PaginatedData_<Model>_
    versions: type[V]
    update: type[RequestModel]  # body of PATCH /<prefix>/{id} (move / rename)
    # Whether GET /<prefix>/{id}/versions takes `evaluator_aggregates` (datasets: no).
    aggregates: bool = True


def op(kind: FileKind[Any, Any], name: str, method: str, url: str, cast_to: Any,
       options: RequestOptions | None, params: Mapping[str, Any] | None = None,
       json: Any = None) -> Operation[Any]:
    """An operation named ``<prefix>.<name>``, e.g. ``prompts.get``."""
    return Operation(name=f"{kind.prefix}.{name}", method=method, path=url, cast_to=cast_to,
                     params=params, json=json, options=options)


def get_op(kind: FileKind[F, Any], id: str, version_id: str | None, environment: str | None,
           options: RequestOptions | None) -> Operation[F]:
    params = {"version_id": version_id, "environment": environment}
    return op(kind, "get", "GET", path(kind.prefix, id), kind.model, options, params)


def list_op(kind: FileKind[Any, Any], args: Mapping[str, Any]) -> Callable[[int], Operation[Any]]:
    """Page ``n`` of ``GET /<prefix>``; ``args`` are the list method's locals."""
    params = query(args)
    params.pop("page", None)
    options = args.get("request_options")
    return lambda n: op(kind, "list", "GET", path(kind.prefix), kind.page, options,
                        {**params, "page": n})


def upsert_op(kind: FileKind[F, Any], request: type[RequestModel], args: Mapping[str, Any],
              in_query: tuple[str, ...] = ()) -> Operation[F]:
    params, fields = split(args, in_query)
    json = body(f"{kind.prefix}.upsert", request, fields)
    return op(kind, "upsert", "POST", path(kind.prefix), kind.model,
              args.get("request_options"), params, json)


def log_op(kind: FileKind[Any, Any], request: type[RequestModel], cast_to: type[T],
           args: Mapping[str, Any]) -> Operation[T]:
    """``POST /<prefix>/log``: version selectors go in the query, the rest in the body."""
    params, fields = split(args, ("version_id", "environment"))
    # The official SDK calls the body's `environment` e.g. `tool_log_request_environment`.
    for key in [k for k in fields if k.endswith("_request_environment")]:
        rename(fields, key, "environment")
    return op(kind, "log", "POST", path(kind.prefix, "log"), cast_to,
              args.get("request_options"), params, body(f"{kind.prefix}.log", request, fields))


def delete_op(kind: FileKind[Any, Any], id: str, options: RequestOptions | None) -> Operation[None]:
    return op(kind, "delete", "DELETE", path(kind.prefix, id), None, options)


def move_op(kind: FileKind[F, Any], args: Mapping[str, Any]) -> Operation[F]:
    _, fields = split(args, ())
    id = fields.pop("id")
    json = body(f"{kind.prefix}.move", kind.update, fields)
    return op(kind, "move", "PATCH", path(kind.prefix, id), kind.model,
              args.get("request_options"), None, json)


def list_versions_op(kind: FileKind[Any, V], args: Mapping[str, Any]) -> Operation[V]:
    params = query(args)
    id = params.pop("id")
    if not kind.aggregates and "evaluator_aggregates" in params:
        raise RequestValidationError(
            f"{kind.prefix}.list_versions: evaluator_aggregates is not a parameter of this "
            "endpoint; nothing was sent", fields=["evaluator_aggregates"])
    return op(kind, "list_versions", "GET", path(kind.prefix, id, "versions"), kind.versions,
              args.get("request_options"), params)


def update_version_op(kind: FileKind[F, Any], id: str, version_id: str, name: str | None,
                      description: str | None, options: RequestOptions | None) -> Operation[F]:
    """``PATCH /<prefix>/{id}/versions/{version_id}``: the version's name and description."""
    json = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    if not json:
        raise RequestValidationError(
            f"{kind.prefix}.update_version: give `name` and/or `description`; nothing was sent",
            fields=["name", "description"])
    return op(kind, "update_version", "PATCH", path(kind.prefix, id, "versions", version_id),
              kind.model, options, None, json)


def delete_version_op(kind: FileKind[Any, Any], id: str, version_id: str,
                      options: RequestOptions | None) -> Operation[None]:
    return op(kind, "delete_version", "DELETE", path(kind.prefix, id, "versions", version_id),
              None, options)


def set_deployment_op(kind: FileKind[F, Any], id: str, environment_id: str, version_id: str,
                      options: RequestOptions | None) -> Operation[F]:
    url = path(kind.prefix, id, "environments", environment_id)
    return op(kind, "set_deployment", "POST", url, kind.model, options, {"version_id": version_id})


def remove_deployment_op(kind: FileKind[Any, Any], id: str, environment_id: str,
                         options: RequestOptions | None) -> Operation[None]:
    url = path(kind.prefix, id, "environments", environment_id)
    return op(kind, "remove_deployment", "DELETE", url, None, options)


def list_environments_op(kind: FileKind[Any, Any], id: str,
                         options: RequestOptions | None) -> Operation[_Environments]:
    from ..types import FileEnvironmentResponse

    return op(kind, "list_environments", "GET", path(kind.prefix, id, "environments"),
              builtins.list[FileEnvironmentResponse], options)


class SyncFileResource(SyncResource, Generic[F, V]):
    """get, list, delete, move, versions and deployments of one file type."""

    _kind: FileKind[F, V]

    def get(self, id: str, *, version_id: str | None = None, environment: str | None = None,
            request_options: RequestOptions | None = None) -> F:
        """Retrieve the file with ``id``: a given version, the one deployed to
        ``environment``, else the default deployed version."""
        return self._transport.execute(get_op(self._kind, id, version_id, environment,
                                              request_options))

    def list(self, *, page: int | None = None, size: int | None = None, name: str | None = None,
             user_filter: str | None = None, sort_by: str | None = None, order: str | None = None,
             request_options: RequestOptions | None = None) -> SyncPager[F]:
        """All files of this type, page by page as you iterate."""
        return self._transport.paginate(list_op(self._kind, locals()), page, size)

    def delete(self, id: str, *, request_options: RequestOptions | None = None) -> None:
        """Delete the file and all its versions."""
        self._transport.execute(delete_op(self._kind, id, request_options))

    def move(self, id: str, *, path: str | None = None, name: str | None = None,
             request_options: RequestOptions | None = None) -> F:
        """Move the file to ``path`` or rename it."""
        return self._transport.execute(move_op(self._kind, locals()))

    def list_versions(self, id: str, *, status: str | None = None,
                      evaluator_aggregates: bool | None = None,
                      request_options: RequestOptions | None = None) -> V:
        """Every version of the file."""
        return self._transport.execute(list_versions_op(self._kind, locals()))

    def update_version(self, id: str, version_id: str, *, name: str | None = None,
                       description: str | None = None,
                       request_options: RequestOptions | None = None) -> F:
        """Name (unique per file) and/or describe one version."""
        return self._transport.execute(update_version_op(self._kind, id, version_id, name,
                                                         description, request_options))

    def delete_version(self, id: str, version_id: str, *,
                       request_options: RequestOptions | None = None) -> None:
        """Delete one version (not a deployed one, nor the file's last)."""
        self._transport.execute(delete_version_op(self._kind, id, version_id, request_options))

    def set_deployment(self, id: str, environment_id: str, *, version_id: str,
                       request_options: RequestOptions | None = None) -> F:
        """Deploy ``version_id`` to the environment."""
        return self._transport.execute(set_deployment_op(self._kind, id, environment_id,
                                                         version_id, request_options))

    def remove_deployment(self, id: str, environment_id: str, *,
                          request_options: RequestOptions | None = None) -> None:
        """Remove whatever version is deployed to the environment."""
        self._transport.execute(remove_deployment_op(self._kind, id, environment_id,
                                                     request_options))

    def list_environments(self, id: str, *,
                          request_options: RequestOptions | None = None) -> _Environments:
        """The environments and the version deployed to each."""
        return self._transport.execute(list_environments_op(self._kind, id, request_options))


class AsyncFileResource(AsyncResource, Generic[F, V]):
    """get, list, delete, move, versions and deployments of one file type."""

    _kind: FileKind[F, V]

    async def get(self, id: str, *, version_id: str | None = None,
                  environment: str | None = None,
                  request_options: RequestOptions | None = None) -> F:
        """Retrieve the file with ``id``: a given version, the one deployed to
        ``environment``, else the default deployed version."""
        return await self._transport.execute(get_op(self._kind, id, version_id, environment,
                                                    request_options))

    async def list(self, *, page: int | None = None, size: int | None = None,
                   name: str | None = None, user_filter: str | None = None,
                   sort_by: str | None = None, order: str | None = None,
                   request_options: RequestOptions | None = None) -> AsyncPager[F]:
        """All files of this type, page by page as you iterate (``async for``)."""
        return await self._transport.paginate(list_op(self._kind, locals()), page, size)

    async def delete(self, id: str, *, request_options: RequestOptions | None = None) -> None:
        """Delete the file and all its versions."""
        await self._transport.execute(delete_op(self._kind, id, request_options))

    async def move(self, id: str, *, path: str | None = None, name: str | None = None,
                   request_options: RequestOptions | None = None) -> F:
        """Move the file to ``path`` or rename it."""
        return await self._transport.execute(move_op(self._kind, locals()))

    async def list_versions(self, id: str, *, status: str | None = None,
                            evaluator_aggregates: bool | None = None,
                            request_options: RequestOptions | None = None) -> V:
        """Every version of the file."""
        return await self._transport.execute(list_versions_op(self._kind, locals()))

    async def update_version(self, id: str, version_id: str, *, name: str | None = None,
                             description: str | None = None,
                             request_options: RequestOptions | None = None) -> F:
        """Name (unique per file) and/or describe one version."""
        return await self._transport.execute(update_version_op(
            self._kind, id, version_id, name, description, request_options))

    async def delete_version(self, id: str, version_id: str, *,
                             request_options: RequestOptions | None = None) -> None:
        """Delete one version (not a deployed one, nor the file's last)."""
        await self._transport.execute(delete_version_op(self._kind, id, version_id,
                                                        request_options))

    async def set_deployment(self, id: str, environment_id: str, *, version_id: str,
                             request_options: RequestOptions | None = None) -> F:
        """Deploy ``version_id`` to the environment."""
        return await self._transport.execute(set_deployment_op(self._kind, id, environment_id,
                                                               version_id, request_options))

    async def remove_deployment(self, id: str, environment_id: str, *,
                                request_options: RequestOptions | None = None) -> None:
        """Remove whatever version is deployed to the environment."""
        await self._transport.execute(remove_deployment_op(self._kind, id, environment_id,
                                                           request_options))

    async def list_environments(self, id: str, *,
                                request_options: RequestOptions | None = None) -> _Environments:
        """The environments and the version deployed to each."""
        return await self._transport.execute(list_environments_op(self._kind, id,
                                                                  request_options))
