"""Storage of the OTLP span tree: the spans that are not logs, so that any server process
(``--workers``, replicas) can walk a later batch's log up through them to its nearest log.

Spans that are logs need no row: their log id derives from their trace and span ids, and
a log hanging under one is found through ``logs.trace_parent_id``. A mixin over a store's
``_all`` and ``_write``, in SQL that SQLite and PostgreSQL share, as ``evalstore`` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Row = dict[str, Any]
SpanKey = tuple[str, str]  # (trace id, span id), lower-case hex

SCHEMA = """
CREATE TABLE IF NOT EXISTS otlp_spans(
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
    PRIMARY KEY (trace_id, span_id));
"""
# Keys looked up per statement: far under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 400


class SpanTables(Protocol):
    """The methods, shared by inheritance; the host class supplies ``_all`` and ``_write``."""

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...
    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> Any: ...

    def put_otlp_spans(self, spans: Sequence[tuple[str, str, str | None]]) -> None:
        """Remember spans that are not logs, as (trace id, span id, parent span id); a span
        already known is left as it is (a resent batch)."""
        if spans:
            self._write([("INSERT INTO otlp_spans(trace_id, span_id, parent_span_id) VALUES (?,?,?)"
                          " ON CONFLICT DO NOTHING", span) for span in spans])

    def otlp_span_parents(self, keys: Sequence[SpanKey]) -> dict[SpanKey, str | None]:
        """The parent span id of each of ``keys`` remembered as not a log (absent: a log,
        or not seen yet)."""
        found: dict[SpanKey, str | None] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start:start + _CHUNK]
            where = " OR ".join(["(trace_id=? AND span_id=?)"] * len(chunk))
            rows = self._all(f"SELECT trace_id, span_id, parent_span_id FROM otlp_spans WHERE {where}",
                             [part for key in chunk for part in key])
            found.update({(r["trace_id"], r["span_id"]): r["parent_span_id"] for r in rows})
        return found
