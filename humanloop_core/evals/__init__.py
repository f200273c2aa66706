"""Evaluations run from code: ``client.evaluations.run(...)`` and what it returns.

``EvaluationResult.passed`` is what a CI job exits on::

    result = client.evaluations.run(file=..., dataset=..., evaluators=[{..., "threshold": 0.8}])
    raise SystemExit(0 if result.passed else 1)
"""

from __future__ import annotations

from ._config import EvaluationConfigError
from ._summary import EvaluationResult, EvaluatorSummary

__all__ = ["EvaluationConfigError", "EvaluationResult", "EvaluatorSummary"]
