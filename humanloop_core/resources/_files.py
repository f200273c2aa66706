"""Operations every file type (prompts, tools, datasets, evaluators, flows) shares, written once.

A ``FileKind`` names the path prefix and the models of one file type; each operation is one
pure builder below (kind first, then the method's arguments) turning them into an
``Operation``; ``SyncFileResource`` and ``AsyncFileResource`` are made from the builders by
the shells of ``_shells`` (the kind comes from the resource's ``_kind``).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from ..core._operation import Operation
from ..core.errors import RequestValidationError
from ._base import body, path, query, rename, split
from ._shells import (
    Pages,
    _AsyncFileShell,
    _FileShell,
    async_file,
    async_file_pages,
    async_kind,
    async_versions,
    sync_file,
    sync_file_pages,
    sync_kind,
    sync_versions,
)

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ..types import FileEnvironmentResponse
    from ..types._base import RequestModel
    from ._params import Json

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


def get_op(kind: FileKind[F, Any], id: str, *, version_id: str | None = None,
           environment: str | None = None,
           request_options: RequestOptions | None = None) -> Operation[F]:
    """Retrieve the file with ``id``: a given version, the one deployed to
    ``environment``, else the default deployed version."""
    params = {"version_id": version_id, "environment": environment}
    return op(kind, "get", "GET", path(kind.prefix, id), kind.model, request_options, params)


def list_op(kind: FileKind[F, Any], *, page: int | None = None, size: int | None = None,
            name: str | None = None, user_filter: str | None = None,
            sort_by: str | None = None, order: str | None = None,
            request_options: RequestOptions | None = None) -> Pages[F]:
    """All files of this type, page by page as you iterate."""
    params = query(locals())
    params.pop("kind")
    params.pop("page", None)
    return Pages(lambda n: op(kind, "list", "GET", path(kind.prefix), kind.page,
                              request_options, {**params, "page": n}), page, size)


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


def update_log_op(kind: FileKind[Any, Any], request: type[RequestModel], cast_to: Any,
                  args: Mapping[str, Any]) -> Operation[Any]:
    """``PATCH`` of one log: ``/<prefix>/{id}/log/{log_id}`` when the method names the file
    (``id``), else ``/<prefix>/logs/{log_id}`` (a flow's trace is found by its log alone).
    ``cast_to`` may be a union (prompts' ``LogResponse``), so the caller types the result."""
    _, fields = split(args, ())
    log_id = fields.pop("log_id")
    url = (path(kind.prefix, fields.pop("id"), "log", log_id) if "id" in fields
           else path(kind.prefix, "logs", log_id))
    return op(kind, "update_log", "PATCH", url, cast_to, args.get("request_options"), None,
              body(f"{kind.prefix}.update_log", request, fields))


def serialize_op(kind: FileKind[Any, Any], id: str, *, version_id: str | None = None,
                 environment: str | None = None,
                 request_options: RequestOptions | None = None) -> Operation[str]:
    """The version as the text of a file (``.prompt``, ``.agent``)."""
    params = {"version_id": version_id, "environment": environment}
    return op(kind, "serialize", "GET", path(kind.prefix, id, "serialize"), str,
              request_options, params)


def deserialize_op(kind: FileKind[Any, Any], cast_to: type[T], text: str,
                   request_options: RequestOptions | None) -> Operation[T]:
    """The kernel a file's text describes; the body names the type in the singular
    (``{"prompt": text}``), as the SDK's keyword does."""
    return op(kind, "deserialize", "POST", path(kind.prefix, "deserialize"), cast_to,
              request_options, None, {kind.prefix.removesuffix("s"): text})


def delete_op(kind: FileKind[Any, Any], id: str, *,
              request_options: RequestOptions | None = None) -> Operation[None]:
    """Delete the file and all its versions."""
    return op(kind, "delete", "DELETE", path(kind.prefix, id), None, request_options)


def move_op(kind: FileKind[F, Any], id: str, *, path: str | None = None,
            name: str | None = None, directory_id: str | None = None,
            request_options: RequestOptions | None = None) -> Operation[F]:
    """Move the file to ``path`` (or into ``directory_id``) or rename it."""
    fields = {k: v for k, v in (("path", path), ("name", name), ("directory_id", directory_id))
              if v is not None}
    json = body(f"{kind.prefix}.move", kind.update, fields)
    return op(kind, "move", "PATCH", _path(kind.prefix, id), kind.model, request_options,
              None, json)


def list_versions_op(kind: FileKind[Any, V], id: str, *, status: str | None = None,
                     evaluator_aggregates: bool | None = None,
                     include_datapoints: bool | None = None,
                     request_options: RequestOptions | None = None) -> Operation[V]:
    """Every version of the file (a dataset's with its datapoints if asked)."""
    if include_datapoints is not None and kind.aggregates:
        raise RequestValidationError(
            f"{kind.prefix}.list_versions: include_datapoints is a parameter of datasets only; "
            "nothing was sent", fields=["include_datapoints"])
    if not kind.aggregates and evaluator_aggregates is not None:
        raise RequestValidationError(
            f"{kind.prefix}.list_versions: evaluator_aggregates is not a parameter of this "
            "endpoint; nothing was sent", fields=["evaluator_aggregates"])
    params = {"status": status, "evaluator_aggregates": evaluator_aggregates,
              "include_datapoints": include_datapoints}
    return op(kind, "list_versions", "GET", path(kind.prefix, id, "versions"), kind.versions,
              request_options, {k: v for k, v in params.items() if v is not None})


def update_version_op(kind: FileKind[F, Any], id: str, version_id: str, *,
                      name: str | None = None, description: str | None = None,
                      request_options: RequestOptions | None = None) -> Operation[F]:
    """Name (unique per file) and/or describe one version."""
    json = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    if not json:
        raise RequestValidationError(
            f"{kind.prefix}.update_version: give `name` and/or `description`; nothing was sent",
            fields=["name", "description"])
    return op(kind, "update_version", "PATCH", path(kind.prefix, id, "versions", version_id),
              kind.model, request_options, None, json)


def delete_version_op(kind: FileKind[Any, Any], id: str, version_id: str, *,
                      request_options: RequestOptions | None = None) -> Operation[None]:
    """Delete one version (not a deployed one, nor the file's last)."""
    return op(kind, "delete_version", "DELETE", path(kind.prefix, id, "versions", version_id),
              None, request_options)


def set_deployment_op(kind: FileKind[F, Any], id: str, environment_id: str, *,
                      version_id: str,
                      request_options: RequestOptions | None = None) -> Operation[F]:
    """Deploy ``version_id`` to the environment."""
    url = path(kind.prefix, id, "environments", environment_id)
    return op(kind, "set_deployment", "POST", url, kind.model, request_options,
              {"version_id": version_id})


def remove_deployment_op(kind: FileKind[Any, Any], id: str, environment_id: str, *,
                         request_options: RequestOptions | None = None) -> Operation[None]:
    """Remove whatever version is deployed to the environment."""
    url = path(kind.prefix, id, "environments", environment_id)
    return op(kind, "remove_deployment", "DELETE", url, None, request_options)


def list_environments_op(kind: FileKind[Any, Any], id: str, *,
                         request_options: RequestOptions | None = None,
                         ) -> Operation[_Environments]:
    """The environments and the version deployed to each."""
    from ..types import FileEnvironmentResponse

    return op(kind, "list_environments", "GET", path(kind.prefix, id, "environments"),
              builtins.list[FileEnvironmentResponse], request_options)


def update_monitoring_op(kind: FileKind[F, Any], id: str, *,
                         activate: builtins.list[Json] | None = None,
                         deactivate: builtins.list[Json] | None = None,
                         request_options: RequestOptions | None = None) -> Operation[F]:
    """Activate and/or deactivate monitoring evaluators (by ``evaluator_version_id`` or
    ``evaluator_id`` + ``environment_id``) on the file."""
    from ..types import EvaluatorActivationDeactivationRequest

    fields = {k: v for k, v in (("activate", activate), ("deactivate", deactivate)) if v is not None}
    json = body(f"{kind.prefix}.update_monitoring", EvaluatorActivationDeactivationRequest, fields)
    return op(kind, "update_monitoring", "POST", path(kind.prefix, id, "evaluators"), kind.model,
              request_options, None, json)


_path = path  # move_op's `path` argument shadows the helper


class SyncFileResource(_FileShell[F, V]):
    """get, list, delete, move, versions and deployments of one file type."""

    get = sync_file(get_op)
    list = sync_file_pages(list_op)
    delete = sync_kind(delete_op)
    move = sync_file(move_op)
    list_versions = sync_versions(list_versions_op)
    update_version = sync_file(update_version_op)
    delete_version = sync_kind(delete_version_op)
    set_deployment = sync_file(set_deployment_op)
    remove_deployment = sync_kind(remove_deployment_op)
    list_environments = sync_kind(list_environments_op)


class AsyncFileResource(_AsyncFileShell[F, V]):
    """get, list, delete, move, versions and deployments of one file type."""

    get = async_file(get_op)
    list = async_file_pages(list_op)
    delete = async_kind(delete_op)
    move = async_file(move_op)
    list_versions = async_versions(list_versions_op)
    update_version = async_file(update_version_op)
    delete_version = async_kind(delete_version_op)
    set_deployment = async_file(set_deployment_op)
    remove_deployment = async_kind(remove_deployment_op)
    list_environments = async_kind(list_environments_op)


class SyncLoggedFileResource(SyncFileResource[F, V]):
    """The file types that log (all but datasets): they also take monitoring evaluators."""

    update_monitoring = sync_file(update_monitoring_op)


class AsyncLoggedFileResource(AsyncFileResource[F, V]):
    """The file types that log (all but datasets): they also take monitoring evaluators."""

    update_monitoring = async_file(update_monitoring_op)
