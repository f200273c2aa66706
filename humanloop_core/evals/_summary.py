"""What an evaluation run amounts to: a score per evaluator, the change since the previous
run of the same evaluation, threshold checks, and the table printed at the end.

Pure functions of the server's stats (``GET /evaluations/{id}/stats``, run form), shared by
the sync and async runners and by the server's own text report, so the numbers agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FINAL_STATUSES = ("completed", "cancelled", "failed")


def score(stats: Mapping[str, Any]) -> float | None:
    """One number per evaluator and run: the mean of a numeric evaluator, the share of true
    judgments (among all its judgments, errors included: a broken judge does not pass) of a
    boolean one; ``None`` for other kinds or when nothing was judged."""
    if stats.get("num_true") is not None:
        total = stats.get("total_logs") or 0
        return float(stats["num_true"]) / total if total else None
    mean = stats.get("mean")
    return float(mean) if mean is not None else None


def format_score(value: float | None, return_type: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if return_type == "boolean" else f"{value:.2f}"


def format_change(now: float | None, before: float | None, return_type: str) -> str:
    if now is None or before is None:
        return "-"
    return f"{now - before:+.1%}" if return_type == "boolean" else f"{now - before:+.2f}"


@dataclass(frozen=True)
class EvaluatorSummary:
    """One evaluator's result in a run. ``passed`` is None without a threshold."""

    path: str
    version_id: str
    return_type: str
    score: float | None
    previous: float | None
    judgments: int
    errors: int
    threshold: float | None = None

    @property
    def delta(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous

    @property
    def passed(self) -> bool | None:
        if self.threshold is None:
            return None
        return self.score is not None and self.score >= self.threshold


@dataclass(frozen=True)
class EvaluationResult:
    """The outcome of ``evaluations.run``. ``passed`` is what a CI job exits on: the run
    completed and every evaluator with a threshold reached it."""

    evaluation_id: str
    run_id: str
    status: str
    evaluators: list[EvaluatorSummary] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "completed" and all(e.passed is not False for e in self.evaluators)

    @property
    def failed_checks(self) -> list[EvaluatorSummary]:
        return [e for e in self.evaluators if e.passed is False]

    def table(self) -> str:
        """The summary table: per evaluator its score, the change since the previous run,
        errors, and the threshold check."""
        rows = [("evaluator", "score", "change", "errors", "threshold")]
        for e in self.evaluators:
            check = "-" if e.threshold is None else \
                f"{format_score(e.threshold, e.return_type)} {'pass' if e.passed else 'FAIL'}"
            rows.append((e.path, format_score(e.score, e.return_type),
                         format_change(e.score, e.previous, e.return_type), str(e.errors), check))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"Run {self.run_id}: {self.status}" + (f" ({self.error})" if self.error else "")]
        for row in rows:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                                   enumerate(zip(row, widths, strict=True))))
        verdict = "PASSED" if self.passed else "FAILED"
        if self.failed_checks:
            verdict += ": below threshold: " + ", ".join(e.path for e in self.failed_checks)
        elif self.status != "completed":
            verdict += f": the run is {self.status}"
        return "\n".join([*lines, verdict]) + "\n"


def summarize(evaluation_id: str, run_id: str, run_stats: Sequence[Mapping[str, Any]],
              evaluators: Mapping[str, tuple[str, str]], thresholds: Mapping[str, float],
              error: str | None = None) -> EvaluationResult:
    """The result of run ``run_id`` from the evaluation's ``run_stats`` (newest first).

    Args:
        evaluators: Evaluator version id -> (path, return type), in the order to show.
        thresholds: Evaluator path -> the score it must reach.
    """
    index = next((i for i, s in enumerate(run_stats) if s["run_id"] == run_id), None)
    if index is None:
        return EvaluationResult(evaluation_id, run_id, "unknown", [], error or "the run has no stats")
    latest = run_stats[index]
    earlier = [s for s in run_stats[index + 1:] if s.get("status") == "completed"]
    by_version = {s["evaluator_version_id"]: s for s in latest.get("evaluator_stats", [])}
    before = {s["evaluator_version_id"]: s for s in earlier[0].get("evaluator_stats", [])} if earlier else {}
    summaries = []
    for version_id, (path, return_type) in evaluators.items():
        stats = by_version.get(version_id, {})
        summaries.append(EvaluatorSummary(
            path=path, version_id=version_id, return_type=return_type, score=score(stats),
            previous=score(before[version_id]) if version_id in before else None,
            judgments=int(stats.get("num_judgments") or 0), errors=int(stats.get("num_errors") or 0),
            threshold=thresholds.get(path)))
    return EvaluationResult(evaluation_id, run_id, str(latest.get("status")), summaries,
                            error or latest.get("error"))
