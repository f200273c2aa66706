"""The runner's arguments, checked before anything is sent, and what they resolve to.

The argument shapes are the official SDK's ``evaluations.run`` ones (``file``, ``dataset``,
``evaluators`` as dicts), so code written for it moves over unchanged; what differs is the
result (:class:`~._summary.EvaluationResult`, which a CI job exits on).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FILE_TYPES = ("prompt", "flow", "agent")
RETURN_TYPES = ("boolean", "number", "select", "multi_select", "text")


class EvaluationConfigError(ValueError):
    """An argument of ``evaluations.run`` that cannot work, said before anything is sent."""


@dataclass(frozen=True)
class FileSpec:
    type: str
    path: str | None
    id: str | None
    version: dict[str, Any] | None
    callable: Callable[..., Any] | None
    version_id: str | None = None
    environment: str | None = None


@dataclass(frozen=True)
class EvaluatorSpec:
    path: str | None
    id: str | None
    version_id: str | None
    callable: Callable[..., Any] | None
    args_type: str
    return_type: str | None
    threshold: float | None

    @property
    def local(self) -> bool:
        return self.callable is not None

    def external_spec(self) -> dict[str, Any]:
        """How a local evaluator is registered: an external evaluator carrying its source."""
        try:
            source = inspect.getsource(self.callable) if self.callable else ""
        except (OSError, TypeError):  # a lambda typed at a prompt has no source file
            source = ""
        return {"arguments_type": self.args_type, "return_type": self.return_type,
                "evaluator_type": "external", "attributes": {"code": source}}


@dataclass(frozen=True)
class DatasetSpec:
    path: str | None
    id: str | None
    datapoints: list[dict[str, Any]] | None
    action: str = "set"
    version_id: str | None = None


@dataclass
class Plan:
    """Everything resolved on the server: the run to make and who judges it."""

    file: Any
    dataset_version_id: str
    datapoints: list[Any]
    evaluators: list[tuple[EvaluatorSpec, Any]] = field(default_factory=list)

    def evaluator_names(self) -> dict[str, tuple[str, str]]:
        return {ev.version_id: (ev.path, ev.spec.return_type) for _, ev in self.evaluators}

    def thresholds(self) -> dict[str, float]:
        return {ev.path: spec.threshold for spec, ev in self.evaluators if spec.threshold is not None}


def parse_file(file: Mapping[str, Any]) -> FileSpec:
    type_ = file.get("type", "flow")
    if type_ not in FILE_TYPES:
        raise EvaluationConfigError(f"file type {type_!r} cannot be evaluated; use one of {FILE_TYPES}")
    if not file.get("path") and not file.get("id"):
        raise EvaluationConfigError("give the file's `path` or `id`")
    function = file.get("callable")
    if function is not None and not callable(function):
        raise EvaluationConfigError("the file's `callable` is not callable")
    if function is None and type_ == "flow":
        raise EvaluationConfigError("a flow runs in your code: give its `callable`")
    if function is not None and (file.get("version_id") or file.get("environment")):
        raise EvaluationConfigError("a local `callable` makes its own logs: do not pick a `version_id`"
                                    " or `environment` too")
    return FileSpec(type=type_, path=file.get("path"), id=file.get("id"), version=file.get("version"),
                    callable=function, version_id=file.get("version_id"), environment=file.get("environment"))


def parse_dataset(dataset: Mapping[str, Any]) -> DatasetSpec:
    if not dataset.get("path") and not dataset.get("id"):
        raise EvaluationConfigError("give the dataset's `path` or `id`")
    points = dataset.get("datapoints")
    if points is not None and not isinstance(points, Sequence):
        raise EvaluationConfigError("`datapoints` must be a list of datapoints")
    return DatasetSpec(path=dataset.get("path"), id=dataset.get("id"),
                       datapoints=[dict(p) for p in points] if points is not None else None,
                       action=dataset.get("action", "set"), version_id=dataset.get("version_id"))


def parse_evaluators(evaluators: Sequence[Mapping[str, Any]] | None, file: FileSpec) -> list[EvaluatorSpec]:
    specs = []
    for item in evaluators or []:
        if not item.get("path") and not item.get("id") and not item.get("version_id"):
            raise EvaluationConfigError("each evaluator needs a `path`, `id` or `version_id`")
        function = item.get("callable")
        if function is not None:
            if file.callable is None:
                raise EvaluationConfigError(
                    f"local evaluator {item.get('path')!r} needs logs made here: give the file a `callable`")
            if item.get("return_type") not in RETURN_TYPES:
                raise EvaluationConfigError(f"local evaluator {item.get('path')!r} needs a `return_type`"
                                            f" in {RETURN_TYPES}")
            if not item.get("path"):
                raise EvaluationConfigError("a local evaluator needs the `path` to register it under")
        threshold = item.get("threshold")
        if threshold is not None and not isinstance(threshold, (int, float)):
            raise EvaluationConfigError(f"threshold of {item.get('path')!r} must be a number")
        specs.append(EvaluatorSpec(path=item.get("path"), id=item.get("id"), version_id=item.get("version_id"),
                                   callable=function, args_type=item.get("args_type", "target_free"),
                                   return_type=item.get("return_type"),
                                   threshold=float(threshold) if threshold is not None else None))
    return specs


def call_file(function: Callable[..., Any], datapoint: Mapping[str, Any]) -> str:
    """Call the evaluated function on a datapoint as the official runner does:
    ``function(**inputs)``, with ``messages=`` when the datapoint has messages; the output
    as a string (JSON for anything else)."""
    kwargs = dict(datapoint.get("inputs") or {})
    if datapoint.get("messages"):
        kwargs["messages"] = datapoint["messages"]
    output = function(**kwargs)
    return output if isinstance(output, str) else json.dumps(output, default=str)


def call_evaluator(spec: EvaluatorSpec, log: Mapping[str, Any], datapoint: Mapping[str, Any]) -> Any:
    assert spec.callable is not None
    if spec.args_type == "target_required":
        return spec.callable(log, datapoint)
    return spec.callable(log)
