"""datasets.* and evaluations.* against the local server, sync and async."""

from __future__ import annotations

import pytest

from humanloop_core import NotFoundError
from humanloop_core.types import (
    CreateDatapointRequest,
    DatasetResponse,
    EvaluationResponse,
    EvaluationStats,
    PaginatedDataEvaluationLogResponse,
)
from tests.resources.conftest import Api

POINTS = [
    {"inputs": {"name": "Ada"}, "messages": [{"role": "user", "content": "hi"}]},
    {"inputs": {"name": "Bob"}, "target": {"answer": "hello"}},
    CreateDatapointRequest(inputs={"name": "Cy"}),
]


async def test_dataset_versions_and_datapoints(hl: Api, unique_path: str) -> None:
    dataset = await hl.datasets.upsert(path=unique_path, datapoints=POINTS, commit_message="v1")
    assert isinstance(dataset, DatasetResponse) and dataset.datapoints_count == 3
    grown = await hl.datasets.upsert(id=dataset.id, datapoints=[{"inputs": {"name": "Di"}}],
                                     action="add", version_id=dataset.version_id)
    assert grown.datapoints_count == 4 and grown.version_id != dataset.version_id
    first = await hl.datasets.get(dataset.id, version_id=dataset.version_id,
                                  include_datapoints=True)
    assert [d.inputs for d in first.datapoints or []] == [
        {"name": "Ada"}, {"name": "Bob"}, {"name": "Cy"}]
    pager = await hl.datasets.list_datapoints(dataset.id, size=3)
    assert len(await hl.items(pager)) == 4 and pager.has_next
    versions = await hl.datasets.list_versions(dataset.id)
    assert {v.version_id for v in versions.records} == {dataset.version_id, grown.version_id}
    listed = await hl.items(await hl.datasets.list(name=unique_path.rsplit("/", 1)[-1]))
    assert [d.id for d in listed] == [dataset.id]
    await hl.datasets.delete(dataset.id)
    with pytest.raises(NotFoundError):
        await hl.datasets.get(dataset.id)


async def test_evaluation_lifecycle(hl: Api, prompt: object, unique_path: str) -> None:
    dataset = await hl.datasets.upsert(path=f"{unique_path}-data", datapoints=POINTS[:2])
    evaluator = await hl.evaluators.upsert(path=f"{unique_path}-judge", spec={
        "arguments_type": "target_free", "return_type": "boolean", "evaluator_type": "external"})
    evaluation = await hl.evaluations.create(
        dataset={"file_id": dataset.id}, evaluators=[{"file_id": evaluator.id}],
        evaluatees=[{"file_id": prompt.id}], name="smoke",  # type: ignore[attr-defined]
    )
    assert isinstance(evaluation, EvaluationResponse) and evaluation.name == "smoke"
    assert (await hl.evaluations.get(evaluation.id)).id == evaluation.id
    listed = await hl.items(await hl.evaluations.list(file_id=prompt.id))  # type: ignore[attr-defined]
    assert evaluation.id in [e.id for e in listed]
    stats = await hl.evaluations.get_stats(evaluation.id)
    assert isinstance(stats, EvaluationStats)
    logs = await hl.evaluations.get_logs(evaluation.id, size=10)
    assert isinstance(logs, PaginatedDataEvaluationLogResponse)
    await hl.evaluations.delete(evaluation.id)
    with pytest.raises(NotFoundError):
        await hl.evaluations.get(evaluation.id)
