"""``Humanloop.evaluations.run``: evaluate a function or a Humanloop file over a dataset.

Steps, each one request or a few: resolve the file (upserting ``version`` when given), the
dataset (upserting inline ``datapoints``) and the evaluators (registering local ones as
external evaluators), get the evaluation by name (created if new, so runs of one name are
compared), create a run. Then either the server makes the logs (a Humanloop file: an
orchestrated run) or ``workers`` threads call the local function on each datapoint, log
the output to the run and post the local evaluators' judgments. Remote evaluators judge on
the server. The runner waits for the run to finish, showing progress on a terminal, and
returns an :class:`EvaluationResult` whose ``passed`` a CI job exits on.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

import httpx

from ..core.errors import ApiError
from ._config import (
    DatasetSpec,
    EvaluatorSpec,
    FileSpec,
    Plan,
    call_evaluator,
    call_file,
    parse_dataset,
    parse_evaluators,
    parse_file,
)
from ._progress import Progress
from ._summary import FINAL_STATUSES, EvaluationResult, summarize

if TYPE_CHECKING:
    from ..core._client import AsyncTransport, SyncTransport

POLL_INTERVAL = 0.5


class Humanloop:
    """The resources the runner uses, over the caller's transport (so ``client.evaluations``
    needs no reference back to its client)."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def __getattr__(self, name: str) -> Any:
        module = importlib.import_module(f"humanloop_core.resources.{name}")
        resource = getattr(module, f"{name.capitalize()}Resource")(self._transport)
        setattr(self, name, resource)
        return resource


def _wire(model: Any) -> dict[str, Any]:
    if isinstance(model, Mapping):
        return dict(model)
    return dict(model.model_dump(mode="json", exclude_none=True))


def _resource(client: Humanloop, type_: str) -> Any:
    return getattr(client, {"prompt": "prompts", "flow": "flows", "agent": "agents"}[type_])


def _resolve_file(client: Humanloop, spec: FileSpec) -> Any:
    resource = _resource(client, spec.type)
    if spec.version is not None:
        version = dict(spec.version)
        if spec.type == "flow" and "attributes" not in version:
            version = {"attributes": version}
        return resource.upsert(path=spec.path, id=spec.id, **version)
    try:
        if spec.id:
            return resource.get(spec.id, version_id=spec.version_id, environment=spec.environment)
        assert spec.path is not None
        found = client.files.retrieve_by_path(path=spec.path, environment=spec.environment)
    except ApiError as exc:
        if exc.status_code == 404 and spec.type == "flow" and spec.path:
            return resource.upsert(path=spec.path, attributes={})
        raise
    if found.type != spec.type:
        raise ValueError(f"{spec.path!r} is a {found.type}, not a {spec.type}")
    return found


def _resolve_dataset(client: Humanloop, spec: DatasetSpec) -> tuple[str, list[Any]]:
    if spec.datapoints is not None:
        dataset = client.datasets.upsert(path=spec.path, id=spec.id, datapoints=spec.datapoints,
                                         action=spec.action)
    elif spec.id:
        dataset = client.datasets.get(spec.id, version_id=spec.version_id)
    else:
        assert spec.path is not None
        dataset = client.datasets.get(client.files.retrieve_by_path(path=spec.path).id)
    points = list(client.datasets.list_datapoints(dataset.id, version_id=dataset.version_id, size=100))
    return dataset.version_id, points


def _resolve_evaluator(client: Humanloop, spec: EvaluatorSpec) -> Any:
    if spec.local:
        return client.evaluators.upsert(path=spec.path, spec=spec.external_spec())
    if spec.id:
        return client.evaluators.get(spec.id, version_id=spec.version_id)
    if spec.path:
        return client.files.retrieve_by_path(path=spec.path)
    raise ValueError("an evaluator given by version_id alone needs its `id` too")


def _evaluation(client: Humanloop, name: str | None, file_id: str, evaluator_version_ids: list[str]) -> Any:
    refs = [{"version_id": v} for v in evaluator_version_ids]
    try:
        return client.evaluations.create(name=name, file={"id": file_id}, evaluators=refs)
    except ApiError as exc:
        if exc.status_code != 409 or not name:
            raise
    existing = next(e for e in client.evaluations.list(file_id=file_id, size=100) if e.name == name)
    present = {e.version.version_id for e in existing.evaluators}
    missing = [r for r in refs if r["version_id"] not in present]
    return client.evaluations.add_evaluators(existing.id, evaluators=missing) if missing else existing


def plan(client: Humanloop, file: FileSpec, dataset: DatasetSpec, evaluators: list[EvaluatorSpec]) -> Plan:
    """Resolve everything on the server (creating what the arguments define)."""
    hl_file = _resolve_file(client, file)
    version_id, points = _resolve_dataset(client, dataset)
    resolved = Plan(hl_file, version_id, points)
    for spec in evaluators:
        resolved.evaluators.append((spec, _resolve_evaluator(client, spec)))
    return resolved


def _log_datapoint(client: Humanloop, spec: FileSpec, resolved: Plan, evaluation_id: str, run_id: str,
                   datapoint: Any) -> None:
    point = _wire(datapoint)
    started = datetime.now(timezone.utc)
    fields: dict[str, Any] = {"inputs": point.get("inputs") or {}, "source_datapoint_id": point["id"],
                              "start_time": started}
    assert spec.callable is not None
    try:
        fields["output"] = call_file(spec.callable, point)
    except Exception as exc:  # the evaluated function failing is a result, logged as such
        fields["error"] = f"{type(exc).__name__}: {exc}"
    fields["end_time"] = datetime.now(timezone.utc)
    if point.get("messages") and spec.type == "prompt":
        fields["messages"] = point["messages"]
    resource = _resource(client, spec.type)
    # run_id joins the log to the run in the same request (the server links it and queues
    # the run's remote judgments); no add_logs_to_run round trip per datapoint.
    log = resource.log(id=resolved.file.id, version_id=resolved.file.version_id, run_id=run_id, **fields)
    wire = _wire(client.logs.get(log.id))
    for evaluator_spec, evaluator in resolved.evaluators:
        if not evaluator_spec.local:
            continue
        try:
            judgment = call_evaluator(evaluator_spec, wire, point)
            client.evaluators.log(parent_id=log.id, id=evaluator.id, version_id=evaluator.version_id,
                                  judgment=judgment)
        except Exception as exc:  # a failing local evaluator is an error judgment
            client.evaluators.log(parent_id=log.id, id=evaluator.id, version_id=evaluator.version_id,
                                  error=f"{type(exc).__name__}: {exc}")


def wait(client: Humanloop, evaluation_id: str, run_id: str, progress: Progress | None,
         timeout: float) -> list[dict[str, Any]]:
    """Poll the stats until the run finishes; its ``run_stats`` (newest run first)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = _wire(client.evaluations.get_stats(evaluation_id))
        run = next((s for s in stats.get("run_stats", []) if s["run_id"] == run_id), None)
        if run is not None and progress is not None:
            progress.update(int(run.get("num_logs") or 0))
        if run is not None and run.get("status") in FINAL_STATUSES:
            return list(stats["run_stats"])
        if time.monotonic() > deadline:
            return list(stats.get("run_stats", []))
        time.sleep(POLL_INTERVAL)


def run(transport: SyncTransport, *, file: Mapping[str, Any], dataset: Mapping[str, Any],
        evaluators: Sequence[Mapping[str, Any]] | None = None, name: str | None = None,
        workers: int = 4, timeout: float = 600.0, progress: bool | None = None,
        stream: TextIO | None = None) -> EvaluationResult:
    """See :meth:`humanloop_core.resources.evaluations.EvaluationsResource.run`."""
    client = Humanloop(transport)
    out = stream or sys.stderr
    file_spec = parse_file(file)
    specs = parse_evaluators(evaluators, file_spec)
    resolved = plan(client, file_spec, parse_dataset(dataset), specs)
    evaluation = _evaluation(client, name, resolved.file.id, [ev.version_id for _, ev in resolved.evaluators])
    created = client.evaluations.create_run(
        evaluation.id, dataset={"version_id": resolved.dataset_version_id},
        version={"version_id": resolved.file.version_id}, orchestrated=file_spec.callable is None)
    bar = Progress(len(resolved.datapoints), f"{resolved.file.path} run {created.id}", out, progress)
    try:
        if file_spec.callable is not None:
            with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
                for _ in pool.map(lambda point: _log_datapoint(client, file_spec, resolved, evaluation.id,
                                                               created.id, point), resolved.datapoints):
                    bar.advance()
        run_stats = wait(client, evaluation.id, created.id, bar, timeout)
    finally:
        bar.close()
    result = summarize(evaluation.id, created.id, run_stats, resolved.evaluator_names(), resolved.thresholds(),
                       None if run_stats else "timed out waiting for the run")
    out.write(result.table())
    return result


def _on_loop(function: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """A coroutine function as a blocking one that runs it on ``loop`` (the caller's)."""
    if not inspect.iscoroutinefunction(function):
        return function

    @functools.wraps(function)  # its source stays the one registered for a local evaluator
    def blocking(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(function(*args, **kwargs), loop).result()

    return blocking


async def run_async(transport: AsyncTransport, *, file: Mapping[str, Any], dataset: Mapping[str, Any],
                    evaluators: Sequence[Mapping[str, Any]] | None = None, **options: Any) -> EvaluationResult:
    """:func:`run` for ``AsyncHumanloop``: the same steps on worker threads (with a blocking
    transport of the same settings), so the caller's loop stays free; ``async def``
    callables run on the caller's loop."""
    from ..core._client import SyncTransport

    loop = asyncio.get_running_loop()
    headers = {k: v for k, v in transport._headers.items() if k not in ("X-API-KEY", "User-Agent", "Accept")}
    timeout = transport._timeout.read if isinstance(transport._timeout, httpx.Timeout) else None
    blocking = SyncTransport(api_key=transport._headers["X-API-KEY"], base_url=transport.base_url,
                             timeout=timeout, max_retries=transport.max_retries, default_headers=headers)
    file = {**file, **({"callable": _on_loop(file["callable"], loop)} if file.get("callable") else {})}
    evaluators = [{**e, **({"callable": _on_loop(e["callable"], loop)} if e.get("callable") else {})}
                  for e in evaluators or []]
    try:
        return await asyncio.to_thread(run, blocking, file=file, dataset=dataset, evaluators=evaluators,
                                       **options)
    finally:
        blocking.close()
