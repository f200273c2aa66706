"""tools.*, evaluators.* and flows.* against the local server, sync and async."""

from __future__ import annotations

import pytest

from humanloop_core import NotFoundError
from humanloop_core.types import (
    CreateEvaluatorLogResponse,
    CreateFlowLogResponse,
    CreateToolLogResponse,
    EvaluatorResponse,
    FlowLogResponse,
    FlowResponse,
    ToolFunction,
    ToolResponse,
)
from tests.resources.conftest import MOCK_KERNEL, Api

WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
EXTERNAL = {"arguments_type": "target_free", "return_type": "boolean", "evaluator_type": "external"}


async def test_tool_upsert_get_list_log_delete(hl: Api, unique_path: str) -> None:
    tool = await hl.tools.upsert(path=unique_path, function=ToolFunction(**WEATHER))
    assert isinstance(tool, ToolResponse) and tool.function is not None
    assert tool.function.name == "get_weather"
    assert (await hl.tools.get(tool.id)).version_id == tool.version_id
    listed = await hl.items(await hl.tools.list(size=50, name=unique_path.rsplit("/", 1)[-1]))
    assert [t.id for t in listed] == [tool.id]
    log = await hl.tools.log(path=unique_path, inputs={"city": "Paris"}, output="sunny",
                             tool={"function": WEATHER})
    assert isinstance(log, CreateToolLogResponse) and log.tool_id == tool.id
    assert (await hl.logs.get(log.id)).output == "sunny"
    await hl.tools.delete(tool.id)
    with pytest.raises(NotFoundError):
        await hl.tools.get(tool.id)


async def test_evaluator_upsert_get_list_log_delete(hl: Api, prompt: object,
                                                    unique_path: str) -> None:
    evaluator = await hl.evaluators.upsert(path=f"{unique_path}-judge", spec=EXTERNAL)
    assert isinstance(evaluator, EvaluatorResponse)
    assert evaluator.spec.return_type == "boolean"
    assert (await hl.evaluators.get(evaluator.id)).id == evaluator.id
    listed = await hl.items(await hl.evaluators.list(name=unique_path.rsplit("/", 1)[-1] + "-judge"))
    assert [e.id for e in listed] == [evaluator.id]
    call = await hl.prompts.call(id=prompt.id, messages=[{"role": "user", "content": "hi"}],  # type: ignore[attr-defined]
                                 inputs={"name": "x"})
    judged = await hl.evaluators.log(parent_id=call.id, id=evaluator.id, judgment=True)
    assert isinstance(judged, CreateEvaluatorLogResponse) and judged.parent_id == call.id
    await hl.evaluators.delete(evaluator.id)
    with pytest.raises(NotFoundError):
        await hl.evaluators.get(evaluator.id)


async def test_flow_trace_lifecycle(hl: Api, unique_path: str) -> None:
    flow = await hl.flows.upsert(path=unique_path, attributes={"kind": "rag"})
    assert isinstance(flow, FlowResponse) and flow.attributes == {"kind": "rag"}
    trace = await hl.flows.log(id=flow.id, inputs={"question": "why"}, trace_status="incomplete")
    assert isinstance(trace, CreateFlowLogResponse) and trace.flow_id == flow.id
    step = await hl.prompts.log(path=f"{unique_path}-step", prompt=MOCK_KERNEL, output="because",
                                trace_parent_id=trace.id)
    closed = await hl.flows.update_log(trace.id, trace_status="complete", output="because")
    assert isinstance(closed, FlowLogResponse)
    assert closed.trace_status == "complete" and closed.output == "because"
    assert step.id in [child.id for child in (closed.trace_children or [])]
    assert (await hl.flows.get(flow.id)).id == flow.id
    listed = await hl.items(await hl.flows.list(name=unique_path.rsplit("/", 1)[-1]))
    assert [f.id for f in listed] == [flow.id]
    await hl.flows.delete(flow.id)
    with pytest.raises(NotFoundError):
        await hl.flows.get(flow.id)
