"""``GET /evaluations/{id}/stats``: per-run evaluator statistics, progress and a text report.

The shape of each evaluator's stats follows its declared ``return_type`` (boolean: true and
false counts; number: mean, sum, std and percentiles; select/multi_select: counts per
option; text: counts only), so an evaluator whose every judgment failed still reports the
right kind of stats. A run's *score* for an evaluator (used by the report and the change
against the previous run) is the client runner's (``humanloop_core.evals._summary.score``),
so the server's report and the client's summary agree.
"""

from __future__ import annotations

import statistics
from typing import Any

from humanloop_core.evals._summary import format_change, format_score, score

from . import evaluations, judging, runs
from .store import Row, Store


def evaluator_stats(version_id: str, return_type: str, judgments: list[Row]) -> dict[str, Any]:
    """Stats of one evaluator version over the evaluator logs ``judgments``."""
    errors = sum(1 for j in judgments if j["body"].get("error"))
    values = [j["body"].get("judgment") for j in judgments if not j["body"].get("error")]
    present = [v for v in values if v is not None]
    stats: dict[str, Any] = {"evaluator_version_id": version_id, "total_logs": len(judgments),
                             "num_judgments": len(present), "num_nulls": len(values) - len(present),
                             "num_errors": errors}
    if return_type == "boolean":
        true = sum(1 for v in present if v is True)
        stats.update(num_true=true, num_false=len(present) - true)
    elif return_type == "number":
        numbers = sorted(float(v) for v in present if isinstance(v, (int, float)))
        stats["percentiles"] = {str(p): numbers[min(len(numbers) - 1, int(p / 100 * len(numbers)))]
                                for p in (25, 50, 75)} if numbers else {}
        if numbers:
            stats.update(mean=statistics.fmean(numbers), sum=sum(numbers), std=statistics.pstdev(numbers))
    elif return_type in ("select", "multi_select"):
        counts: dict[str, int] = {}
        for value in present:
            for option in value if isinstance(value, list) else [value]:
                counts[str(option)] = counts.get(str(option), 0) + 1
        stats["num_judgments_per_option"] = counts
    return stats


def _run_stats(store: Store, evaluation: Row, run: Row, evaluators: list[tuple[Row, str, str]]) -> dict[str, Any]:
    links = store.run_log_links(run["id"])
    judged = [j for link in links for j in store.child_logs("parent_id", link["log_id"])]
    return {"run_id": run["id"], "version_id": (run.get("version") or {}).get("version_id"),
            "num_logs": len(links), "status": run["status"],
            "evaluator_stats": [evaluator_stats(version_id, return_type,
                                                [j for j in judged if j["version_id"] == version_id])
                                for _, version_id, return_type in evaluators]}


def _evaluators(store: Store, evaluation: Row) -> list[tuple[Row, str, str]]:
    """(file, version id, return type) of each evaluator of the evaluation still stored."""
    found = []
    for evaluator in evaluation.get("evaluators", []):
        version, file = store.get_version(evaluator["version_id"]), store.get_file(evaluator["file_id"])
        if version is not None and file is not None:
            found.append((file, version["id"], str(judging.spec_of(version).get("return_type", "text"))))
    return found


def report(evaluation: Row, run_stats: list[dict[str, Any]], evaluators: list[tuple[Row, str, str]]) -> str:
    """A plain-text table of the newest run: per evaluator its score and the change since
    the run before it."""
    if not run_stats:
        return f"Evaluation {evaluation['id']}: no runs yet.\n"
    latest = run_stats[0]
    previous = next((s for s in run_stats[1:] if s["status"] == "completed"), None)
    lines = [f"Evaluation {evaluation.get('name') or evaluation['id']}, run {latest['run_id']}"
             f" ({latest['status']}, {latest['num_logs']} logs)",
             f"{'evaluator':<40} {'score':>10} {'change':>10} {'errors':>7}"]
    for (file, version_id, return_type), stats in zip(evaluators, latest["evaluator_stats"], strict=True):
        now_score = score(stats)
        before = score(next((s for s in previous["evaluator_stats"] if s["evaluator_version_id"] == version_id),
                            {})) if previous else None
        change = format_change(now_score, before, return_type)
        lines.append(f"{file['path'][-40:]:<40} {format_score(now_score, return_type):>10} {change:>10}"
                     f" {stats['num_errors']:>7}")
    return "\n".join(lines) + "\n"


def stats(store: Store, evaluation_id: str) -> dict[str, Any]:
    """The old per-version form (``overall_stats``, ``version_stats``) and the per-run form
    (``run_stats``, newest run first) side by side: clients of either read theirs."""
    body = evaluations.stats(store, evaluation_id)
    evaluation = evaluations.get(store, evaluation_id)
    evaluators = _evaluators(store, evaluation)
    all_runs = runs.runs_of(store, evaluation)
    run_stats = [_run_stats(store, evaluation, run, evaluators) for run in all_runs]
    progress = [f"Run {s['run_id']}: {s['status']}, {s['num_logs']} logs, "
                f"{sum(e['total_logs'] for e in s['evaluator_stats'])} judgments" for s in run_stats]
    body.update(run_stats=run_stats, status=runs.overall_status(evaluation["status"], [r["status"] for r in all_runs]),
                report=report(evaluation, run_stats, evaluators),
                progress="\n".join(progress) + "\n" if progress else body.get("progress"))
    return body
