"""Which version of a file a request gets, and how versions come into being: one rule for
every file kind in ``files.KINDS`` (prompts, tools, datasets, evaluators, flows, and any
kind added to that table later).

The rule (README "Versions and deployments"):

* ``version_id`` names one version; ``environment`` the version deployed there.
* Otherwise the *default* version: the one deployed to the default environment
  (``production``), as on Humanloop ("the default deployed version").
* A file with nothing deployed there uses its newest *explicitly saved* version (an
  upsert: ``POST /prompts``, ``POST /datasets``, ...), else its first version.
* A version that exists because a ``call`` or ``log`` carried a kernel is recorded (its
  logs point at it, it is listed) but is never saved by that: it never becomes the
  default, however many calls carry it. Only a deployment, or an upsert of a file with
  no default deployment, changes what callers without a version get.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiProblem, not_found
from .store import Conflict, Row, Store


def environment(store: Store, key: str) -> Row:
    """The environment with id or name ``key``."""
    for env in store.list_environments():
        if key in (env["id"], env["name"]):
            return env
    names = ", ".join(e["name"] for e in store.list_environments())
    raise ApiProblem(404, f"environment not found: {key!r} (this server has: {names})")


def live(version: Row | None) -> bool:
    return version is not None and bool(version) and version.get("status") != "deleted"


def resolve_version(store: Store, file: Row, version_id: str | None = None,
                    environment_name: str | None = None) -> Row:
    """The version a read, call or log uses (see the module docstring)."""
    if version_id:
        version = store.get_version(version_id)
        if version is None or version["file_id"] != file["id"] or not live(version):
            raise not_found(f"version of {file['path']!r}", version_id)
        return version
    deployed = store.deployments(file["id"])
    if environment_name:
        env = environment(store, environment_name)
        if env["id"] not in deployed:
            raise ApiProblem(404, f"no version of {file['path']!r} is deployed to {env['name']!r}")
        return store.get_version(deployed[env["id"]]) or {}
    return default_version(store, file, deployed)


def default_version(store: Store, file: Row, deployed: dict[str, str] | None = None) -> Row:
    """What a request naming neither a version nor an environment gets."""
    deployed = store.deployments(file["id"]) if deployed is None else deployed
    default = next((e for e in store.list_environments() if e["tag"] == "default"), None)
    if default and default["id"] in deployed:
        version = store.get_version(deployed[default["id"]])
        if live(version):
            return version or {}
    saved = store.newest_saved_version(file["id"])
    if saved is not None:
        return saved
    first = next((v for v in reversed(store.list_versions(file["id"])) if live(v)), None)
    if first is None:
        raise ApiProblem(404, f"{file['path']!r} has no versions")
    return first


def save(store: Store, file: Row, prefix: str, kernel_hash: str, kernel: dict[str, Any], *,
         explicit: bool, name: str | None = None, description: str | None = None,
         commit_message: str | None = None) -> Row:
    """The version of ``file`` holding ``kernel``, created when new.

    ``explicit`` is true for upserts only: the version then becomes the file's newest saved
    one (what the file resolves to while nothing is deployed). A kernel carried by a call or
    log passes ``explicit=False`` and changes nothing callers get.
    """
    if name is not None:
        holder = next((v for v in store.list_versions(file["id"])
                       if v.get("version_name") == name and live(v)), None)
        if holder is not None and holder["hash"] != kernel_hash:
            raise ApiProblem(409, f"version name {name!r} is already used by version "
                                  f"{holder['id']!r} of {file['path']!r}; names are unique per file")
    version = store.put_version(file["id"], prefix, kernel_hash, kernel, commit_message)
    changes: dict[str, Any] = {}
    if version.get("status") == "deleted":
        # The kernel of a deleted version comes back: the version is live again, nameless
        # (its old name may have been reused meanwhile) unless this request names it.
        changes.update(status="committed", version_name=None)
    if name is not None and version.get("version_name") not in (None, name) and not changes:
        raise ApiProblem(409, f"this kernel is already version {version['id']!r} of "
                              f"{file['path']!r}, named {version['version_name']!r}; rename it "
                              "with PATCH .../versions/{version_id}")
    if name is not None:
        changes["version_name"] = name
    description = description if description is not None else (commit_message if explicit else None)
    if description is not None and description != version.get("version_description"):
        changes["version_description"] = description
    if changes:
        version = update(store, file, version, changes)
    if explicit:
        store.mark_saved(version["id"])
    return version


def update(store: Store, file: Row, version: Row, changes: dict[str, Any]) -> Row:
    """Apply name/description/status changes; a name another live version holds is a 409."""
    try:
        return store.update_version(version["id"], changes)
    except Conflict:
        raise ApiProblem(409, f"version name {changes.get('version_name')!r} is already used by "
                              f"another version of {file['path']!r}; names are unique per file") from None


def rename(store: Store, file: Row, version_id: str, name: str | None,
           description: str | None) -> Row:
    """``PATCH /<kind>/{id}/versions/{version_id}``: name and/or describe a version."""
    version = resolve_version(store, file, version_id=version_id)
    changes: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise ApiProblem(422, [{"loc": ["body", "name"], "msg": "a version name can't be empty",
                                    "type": "value_error"}])
        changes["version_name"] = name
    if description is not None:
        changes["version_description"] = description
    return update(store, file, version, changes) if changes else version


def delete(store: Store, file: Row, version_id: str) -> None:
    """``DELETE /<kind>/{id}/versions/{version_id}``: the version is marked deleted (its
    logs keep pointing at it, as they must stay readable). A deployed version, or a file's
    last live version, can't be deleted: that would leave callers with nothing to run."""
    version = resolve_version(store, file, version_id=version_id)
    envs = {e["id"]: e["name"] for e in store.list_environments()}
    deployed_to = [envs.get(env, env) for env, vid in store.deployments(file["id"]).items()
                   if vid == version["id"]]
    if deployed_to:
        raise ApiProblem(409, f"version {version_id!r} is deployed to {', '.join(deployed_to)}; "
                              "deploy another version there (or remove the deployment) first")
    if not any(live(v) and v["id"] != version["id"] for v in store.list_versions(file["id"])):
        raise ApiProblem(409, f"version {version_id!r} is the last version of {file['path']!r}; "
                              "delete the file instead")
    store.update_version(version["id"], {"status": "deleted"})
