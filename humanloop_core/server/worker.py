"""The background worker: scans new logs for monitors and runs, and runs the queued jobs.

It lives on the server's event loop for the app's lifetime (started and stopped by the
app's lifespan). Store calls go to threads, provider calls are async and user code runs in
the sandbox, so the loop keeps serving requests. At most ``concurrency`` jobs run at once.

Restarts and replicas: each claimed job carries a lease that its process renews while it
runs; only jobs whose lease expired (their process stopped or died) are queued again, by
any live worker (their effects are keyed by job, see ``jobs.py``), so a job a live replica
or ``--workers`` sibling is running is never taken from it, and logs committed but not scanned wait in the store's outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from humanloop_core import types as t

from . import agents, calls, evaluations, jobs, judging, monitoring, runs
from .errors import ApiProblem
from .judging import Runtime
from .providers import ProviderError
from .store import Row, now

logger = logging.getLogger("humanloop_core.server.worker")
_ALL = 1_000_000
LEASE_ENV = "HUMANLOOP_JOB_LEASE_SECONDS"
DEFAULT_LEASE = 15.0


def _stamp(moment: datetime) -> str:
    """A fixed-width UTC stamp, so leases compare as strings in SQL."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Worker:
    """Runs evaluation work in the background of one server process.

    Args:
        runtime: The store, providers and sandbox jobs use.
        concurrency: Jobs running at once.
        poll_interval: Seconds an idle worker waits before looking for new logs again.
        lease: Seconds a claimed job stays this process's without renewal (renewed every
            third of it); a job of a dead process is taken back that long after its death.
            Default: ``$HUMANLOOP_JOB_LEASE_SECONDS``, else 15.
    """

    def __init__(self, runtime: Runtime, concurrency: int = 8, poll_interval: float = 0.05,
                 lease: float | None = None) -> None:
        self.rt = runtime
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease = lease if lease is not None else float(os.environ.get(LEASE_ENV, DEFAULT_LEASE))
        self.owner = f"{os.getpid()}-{secrets.token_hex(6)}"
        self._leases_checked = 0.0
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: dict[asyncio.Task[None], Row] = {}
        self._cancelled_runs: set[str] = set()
        self._wake = asyncio.Event()
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._datapoints: dict[str, dict[str, dict[str, Any]]] = {}

    async def start(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._tend_leases)
        self._loop_task = asyncio.create_task(self._serve(), name="humanloop-worker")

    async def stop(self) -> None:
        """Stop taking work; work in flight is abandoned and handed back to the queue."""
        tasks = [self._loop_task, *self._tasks] if self._loop_task else list(self._tasks)
        for task in tasks:
            if task is not None:
                task.cancel()
        for task in tasks:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._loop_task = None
        with contextlib.suppress(Exception):  # else they are taken back when their leases end
            await asyncio.to_thread(self.rt.store.release_jobs, self.owner, now())
        await self.rt.sandbox.close()

    def wake(self) -> None:
        """Look for work now rather than at the next poll (callable from any thread)."""
        if self._event_loop is not None and not self._event_loop.is_closed():
            self._event_loop.call_soon_threadsafe(self._wake.set)

    def cancel_run(self, run_id: str) -> None:
        """Abandon the run's jobs in flight (its queued ones were dropped by the store);
        callable from any thread."""
        if self._event_loop is not None and not self._event_loop.is_closed():
            self._event_loop.call_soon_threadsafe(self._cancel_run, run_id)

    def _cancel_run(self, run_id: str) -> None:
        self._cancelled_runs.add(run_id)
        for task, job in list(self._tasks.items()):
            if job.get("run_id") == run_id:
                task.cancel()

    def _lease_until(self) -> str:
        return _stamp(datetime.now(timezone.utc) + timedelta(seconds=self.lease))

    def _tend_leases(self) -> None:
        """Renew this process's leases and take back jobs whose lease expired."""
        self._leases_checked = time.monotonic()
        store = self.rt.store
        store.renew_leases(self.owner, self._lease_until())
        requeued = store.requeue_expired_jobs(_stamp(datetime.now(timezone.utc)))
        if requeued:
            logger.info("requeued %d jobs whose process stopped running them", requeued)

    async def _serve(self) -> None:
        store = self.rt.store
        while True:
            try:
                if time.monotonic() - self._leases_checked > self.lease / 3:
                    await asyncio.to_thread(self._tend_leases)
                scanned = await asyncio.to_thread(monitoring.scan, store)
                claimed: list[Row] = []
                free = self.concurrency - len(self._tasks)
                if free > 0 and await asyncio.to_thread(store.has_queued_jobs):
                    claimed = await asyncio.to_thread(store.claim_jobs, free, now(), self.owner,
                                                      self._lease_until())
                for job in claimed:
                    task = asyncio.create_task(self._run(job))
                    self._tasks[task] = job
                    task.add_done_callback(self._forget)
                # A partial batch means the scan caught up: wait for the next poll (or a
                # wake) rather than scanning again at once. Under steady calls an eager
                # rescan found one new log each time and took the write lock per call.
                if scanned < monitoring.BATCH and not claimed:
                    self._wake.clear()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must outlive a bad row or a store hiccup
                logger.exception("the evaluation worker failed a round; retrying")
                await asyncio.sleep(1)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        if not task.cancelled() or self._cancelled_runs:
            self._wake.set()  # a slot is free

    async def _run(self, job: Row) -> None:
        store = self.rt.store
        state, error = "done", None
        try:
            if job["kind"] == jobs.JUDGE:
                await self._judge(job)
            elif job["kind"] == jobs.GENERATE:
                await self._generate(job)
            else:
                state, error = "failed", f"unknown job kind {job['kind']!r}"
        except asyncio.CancelledError:
            if job.get("run_id") not in self._cancelled_runs:
                raise  # the server is stopping: the job stays running, taken back when its lease ends
            state = "cancelled"
        except Exception as exc:
            logger.exception("job %s failed", job["id"])
            state, error = "failed", f"{type(exc).__name__}: {getattr(exc, 'detail', exc)}"[:1000]
        await asyncio.to_thread(store.finish_job, job["id"], state, now(), error)
        if job.get("run_id"):
            try:
                await asyncio.to_thread(self._refresh, job["run_id"])
            except Exception:  # e.g. the evaluation was deleted meanwhile; stats refresh on read
                logger.exception("could not refresh run %s", job["run_id"])

    def _refresh(self, run_id: str) -> None:
        store = self.rt.store
        run = store.get_run(run_id)
        for evaluation_id in store.run_evaluations(run_id)[:1]:
            if run is not None:
                runs.refresh(store, evaluations.get(store, evaluation_id), run)

    def _datapoint(self, dataset_version_id: str, datapoint_id: str | None) -> dict[str, Any] | None:
        if datapoint_id is None:
            return None
        if dataset_version_id not in self._datapoints:
            if len(self._datapoints) > 32:
                self._datapoints.clear()
            points = self.rt.store.list_datapoints(dataset_version_id, 1, _ALL)[0]
            self._datapoints[dataset_version_id] = {p["id"]: p for p in points}
        return self._datapoints[dataset_version_id].get(datapoint_id)

    async def _judge(self, job: Row) -> None:
        payload, store = job["payload"], self.rt.store
        judgment_id = jobs.effect_id(job["id"])

        def load() -> tuple[Row | None, Row | None, Row | None, dict[str, Any] | None, dict[str, Any] | None]:
            if store.get_log(judgment_id) is not None:
                return None, None, None, None, None  # judged before a restart
            log, version = store.get_log(payload["log_id"]), store.get_version(payload["evaluator_version_id"])
            run = store.get_run(job["run_id"]) if job.get("run_id") else None
            if log is None or version is None or (run is not None and run["status"] == "cancelled"):
                return None, None, None, None, None
            evaluator = store.get_file(version["file_id"])
            dataset = (run or {}).get("dataset")
            datapoint_id = payload.get("datapoint_id") or log.get("source_datapoint_id")
            datapoint = self._datapoint(dataset["version_id"], datapoint_id) if dataset else None
            return log, version, evaluator, judging.render_log(store, log), datapoint

        log, version, evaluator, wire, datapoint = await asyncio.to_thread(load)
        if log is None or version is None or evaluator is None or wire is None:
            return
        await judging.judge(self.rt, evaluator, version, log, wire, datapoint, judgment_id)

    async def _generate(self, job: Row) -> None:
        """One datapoint of an orchestrated run: call the version, link the log, queue its
        judgments. A provider failure is a log with ``error``, as with ``prompts.call``."""
        store, payload = self.rt.store, job["payload"]
        run = await asyncio.to_thread(store.get_run, payload["run_id"])
        if run is None or run["status"] == "cancelled":
            return
        log_id = jobs.effect_id(job["id"])
        if await asyncio.to_thread(store.get_log, log_id) is None:
            datapoint = await asyncio.to_thread(self._datapoint, run["dataset"]["version_id"], payload["datapoint_id"])
            if datapoint is None:
                raise LookupError(f"datapoint {payload['datapoint_id']!r} is not in the run's dataset")
            if run["version"].get("type") == "agent":
                await self._call_agent(run, datapoint, log_id)
            else:
                await self._call_prompt(run, datapoint, log_id)
        await asyncio.to_thread(self._link, run, log_id, payload["datapoint_id"])

    async def _call_prompt(self, run: Row, datapoint: dict[str, Any], log_id: str) -> None:
        store = self.rt.store
        request = t.PromptCallRequest(id=run["version"]["file_id"], inputs=datapoint.get("inputs") or {},
                                      messages=datapoint.get("messages"), source_datapoint_id=datapoint["id"])
        try:
            plan = await asyncio.to_thread(calls.prepare, store, request, run["version"]["version_id"], None)
        except ApiProblem as exc:
            raise LookupError(f"cannot call the run's version: {exc.detail}") from None
        plan.log_id = log_id
        try:
            completion = await calls._complete(self.rt.providers, plan)
            await asyncio.to_thread(calls.record, store, plan, completion, None)
        except ProviderError as exc:
            await asyncio.to_thread(calls.record, store, plan, None, str(exc))

    async def _call_agent(self, run: Row, datapoint: dict[str, Any], log_id: str) -> None:
        """The agent's whole model/tool loop, as ``agents.call`` runs it; a turn suspended
        on a tool the server cannot run leaves an incomplete log, judged as it stands."""
        request = t.AgentsCallStreamRequest(id=run["version"]["file_id"], inputs=datapoint.get("inputs") or {},
                                            messages=datapoint.get("messages"), source_datapoint_id=datapoint["id"],
                                            log_id=log_id)
        try:
            state = await asyncio.to_thread(agents.start, self.rt.store, request, run["version"]["version_id"], None)
        except ApiProblem as exc:
            raise LookupError(f"cannot call the run's version: {exc.detail}") from None
        async for _ in agents.loop(state, self.rt.providers, self.rt.sandbox):
            pass

    def _link(self, run: Row, log_id: str, datapoint_id: str) -> None:
        store = self.rt.store
        store.link_run_logs(run["id"], [(log_id, datapoint_id)])
        for evaluation_id in store.run_evaluations(run["id"]):
            evaluation = evaluations.get(store, evaluation_id)
            store.enqueue_jobs(runs.judge_jobs(store, evaluation, [(log_id, datapoint_id)], run["id"]))
