"""OTLP ingestion: spans become prompt, tool and flow logs with their trace tree.

Each log span gets a log id derived from its trace and span ids, so an exporter that
resends a batch (after a timeout, say) stores nothing twice, and a child can point at its
parent's log before the parent has arrived: children end, and so are exported, first.

A log's ``trace_parent_id`` is the log of its nearest ancestor span that is a log,
walking ``parent_span_id`` through spans that are not logs (HTTP spans, chain steps). An
explicit ``humanloop.log.trace_parent_id`` (the official SDK's spans carry no parent span
id) wins. When the walk reaches a span not seen yet, the log points at that span's would-be
log and is re-pointed if the span turns out not to be a log. Spans that are not logs are
stored (``otlp_spans``), so a batch sent to another server process (``--workers``, a
replica) still walks through them, and the logs another process hung under such a span's
would-be log are found through ``logs.trace_parent_id`` and re-pointed; each process also
keeps the spans it saw, up to :data:`SPAN_MEMORY`, to walk most batches without a query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from humanloop_core import types as t

from . import files, logs
from .errors import ApiProblem
from .otlp_map import LogPlan, plan
from .otlp_wire import OtelSpan
from .store import Row, Store

SPAN_MEMORY = 200_000
# The model of a new prompt's first version when its span names none.
UNKNOWN_MODEL = "unknown"
_MAX_HOPS = 256
_LOG_REQUESTS: dict[str, type[BaseModel]] = {
    "prompt": t.PromptLogRequest, "tool": t.ToolLogRequest, "flow": t.FlowLogRequest,
}

SpanKey = tuple[str, str]


@dataclass
class IngestResult:
    """Log ids stored or updated (in span order) and the spans refused, with why."""

    records: list[str] = field(default_factory=list)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def message(self) -> str:
        shown = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return shown + more


def log_id_for(trace_id: str, span_id: str) -> str:
    return "log_" + hashlib.sha256(f"{trace_id}:{span_id}".encode()).hexdigest()[:20]


class OtlpIngest:
    """Turns decoded spans into logs in ``store``; one per app, safe across threads."""

    def __init__(self, store: Store, memory: int = SPAN_MEMORY) -> None:
        self.store = store
        self._memory = memory
        self._lock = threading.Lock()
        # span -> (parent span, its log id or None); what later batches walk through.
        self._spans: OrderedDict[SpanKey, tuple[SpanKey | None, str | None]] = OrderedDict()

    def ingest(self, spans: list[OtelSpan]) -> IngestResult:
        result = IngestResult()
        plans = [(span, self._plan(span, result)) for span in spans]
        with self._lock:
            for span, log_plan in plans:
                log_id = None
                if log_plan is not None:
                    log_id = log_plan.existing_log_id or log_id_for(span.trace_id, span.span_id)
                self._remember((span.trace_id, span.span_id), span, log_id)
        self._recall_ancestors([s for s, _ in plans])
        versions: dict[str, tuple[Row, Row]] = {}  # one resolve per file and kernel per batch
        rows: list[Row] = []
        for span, log_plan in plans:
            if log_plan is None:
                continue
            try:
                log_id, row = self._prepare(span, log_plan, versions)
            except ApiProblem as exc:
                result.rejected += 1
                result.problems.append(f"span {span.name!r} ({span.span_id}): {exc.detail}")
                continue
            result.records.append(log_id)
            if row is not None:
                rows.append(row)
        # One transaction for the batch; ids already stored (a resent batch) are skipped.
        self.store.insert_logs(rows)
        non_logs = [s for s, p in plans if p is None]
        self.store.put_otlp_spans([(s.trace_id, s.span_id, s.parent_span_id) for s in non_logs])
        self._settle_pending(non_logs)
        return result

    # -- planning and storing --------------------------------------------------------------
    @staticmethod
    def _plan(span: OtelSpan, result: IngestResult) -> LogPlan | None:
        try:
            return plan(span)
        except (ValueError, TypeError, KeyError) as exc:  # attributes of unexpected shapes
            result.rejected += 1
            result.problems.append(f"span {span.name!r} ({span.span_id}): unreadable attributes: {exc}")
            return None

    def _prepare(self, span: OtelSpan, log_plan: LogPlan,
                 versions: dict[str, tuple[Row, Row]]) -> tuple[str, Row | None]:
        """The log id, and the row to insert (None when an existing log was updated)."""
        if log_plan.existing_log_id:
            existing = self.store.get_log(log_plan.existing_log_id)
            if existing is not None:
                return self._update_existing(span, existing, log_plan), None
        log_id = log_id_for(span.trace_id, span.span_id)
        if (log_plan.kind == "prompt" and log_plan.kernel is None
                and files.find_file(self.store, files.KINDS["prompt"], path=log_plan.path, id=None) is None):
            # A prompt log nobody reported a model for (a @prompt whose model call went to
            # another party's tracer): a log with an unknown model beats no log.
            log_plan = dataclasses.replace(log_plan, kernel={"model": UNKNOWN_MODEL})
        request = _validated(log_plan)
        key = json.dumps([log_plan.kind, log_plan.path, log_plan.kernel], sort_keys=True, default=str)
        if key not in versions:
            kernel_field = log_plan.kind if log_plan.kernel is not None else None
            versions[key] = logs.resolve_for_log(self.store, files.KINDS[log_plan.kind], request,
                                                 kernel_field, None, None)
        file, version = versions[key]
        fields = logs.log_fields(request)
        explicit_parent = fields.pop("trace_parent_id", None)
        parent = explicit_parent or self._parent_log(span)
        return log_id, logs.log_row(log_plan.kind, file, version, fields, trace_parent_id=parent,
                                    log_id=log_id)

    def _update_existing(self, span: OtelSpan, existing: Row, log_plan: LogPlan) -> str:
        """An official-SDK flow log closed by its span, or a prompts.call log the server
        stored itself: merge what the span states and hang it in the trace if it is loose."""
        changes = {k: v for k, v in log_plan.explicit.items() if k not in ("trace_parent_id",)}
        if changes or log_plan.kind == "flow":
            changes.setdefault("end_time", log_plan.body.get("end_time"))
            if existing["type"] == "flow":
                changes.setdefault("trace_status", "complete")
            self.store.update_log(existing["id"], {**existing["body"], **changes})
        if existing.get("trace_parent_id") is None:
            parent = log_plan.explicit.get("trace_parent_id") or self._parent_log(span)
            if parent and parent != existing["id"]:
                self.store.set_trace_parent([existing["id"]], parent)
        return str(existing["id"])

    # -- the span tree ---------------------------------------------------------------------
    def _remember(self, key: SpanKey, span: OtelSpan, log_id: str | None) -> None:
        parent = (span.trace_id, span.parent_span_id) if span.parent_span_id else None
        self._spans[key] = (parent, log_id)
        self._spans.move_to_end(key)
        while len(self._spans) > self._memory:
            self._spans.popitem(last=False)

    def _recall_ancestors(self, spans: list[OtelSpan]) -> None:
        """Learn from the store the non-log ancestors of this batch's spans that this process
        has not seen (another worker or replica stored them, or this one forgot them)."""
        with self._lock:
            wanted = {(s.trace_id, s.parent_span_id) for s in spans if s.parent_span_id} - self._spans.keys()
        for _ in range(_MAX_HOPS):
            if not wanted:
                return
            found = self.store.otlp_span_parents(sorted(wanted))
            with self._lock:
                for (trace_id, span_id), parent in found.items():
                    self._spans[(trace_id, span_id)] = ((trace_id, parent) if parent else None, None)
                wanted = {(t, p) for (t, _), p in found.items() if p} - self._spans.keys()

    def _parent_log(self, span: OtelSpan) -> str | None:
        with self._lock:
            return self._resolve((span.trace_id, span.parent_span_id) if span.parent_span_id else None)

    def _resolve(self, key: SpanKey | None) -> str | None:
        """The nearest log at or above ``key``; a span unknown here and in the store is
        assumed to be a log (children usually arrive first), and the logs pointing at it
        are re-pointed if it turns out not to be one (see ``_settle_pending``)."""
        for _ in range(_MAX_HOPS):
            if key is None:
                return None
            known = self._spans.get(key)
            if known is None:
                return log_id_for(*key)
            parent, log_id = known
            if log_id is not None:
                return log_id
            key = parent
        return None

    def _settle_pending(self, non_log_spans: list[OtelSpan]) -> None:
        """Logs stored pointing at one of these spans' would-be logs (by any process, in
        this batch or before) move to its nearest log."""
        moves: dict[str | None, list[str]] = {}
        for span in non_log_spans:
            waiting = self.store.child_logs("trace_parent_id", log_id_for(span.trace_id, span.span_id))
            if waiting:
                parent_key = (span.trace_id, span.parent_span_id) if span.parent_span_id else None
                with self._lock:
                    parent = self._resolve(parent_key)
                moves.setdefault(parent, []).extend(str(row["id"]) for row in waiting)
        for parent, log_ids in moves.items():
            self.store.set_trace_parent(log_ids, parent)


def _validated(log_plan: LogPlan) -> BaseModel:
    """The span's log as the kind's ``/log`` request; fields of the wrong shape are dropped
    (a log with less beats no log) and the rest must pass."""
    model = _LOG_REQUESTS[log_plan.kind]
    data: dict[str, Any] = {**log_plan.body, "path": log_plan.path}
    if log_plan.kernel is not None:
        data[log_plan.kind] = log_plan.kernel
    for _ in range(3):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
            if not bad or bad & {"path", log_plan.kind} or not bad <= set(data):
                raise ApiProblem(422, f"not a valid {log_plan.kind} log: {_short(exc)}") from None
            for name in bad:
                data.pop(name, None)
    raise ApiProblem(422, f"not a valid {log_plan.kind} log")


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                     for e in exc.errors()[:3])
