"""client.agents through both clients: a server-side tool completes the loop; a client-side
tool suspends the call until continue_call, plain and streamed; .agent files round-trip;
the newer prompt operations (populate, serialize) and CSV upload as typed results."""

from __future__ import annotations

from typing import Any

from humanloop_core import types
from tests.resources.conftest import MOCK_KERNEL, Api

WEATHER = {"name": "get_weather", "description": "Weather of a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}
ASK = {"name": "ask_human", "description": "Ask the user",
       "parameters": {"type": "object", "properties": {"question": {"type": "string"}}}}
SOURCE = "def get_weather(city):\n    return f'sunny in {city}'\n"


async def _agent(hl: Api, path: str) -> Any:
    tool = await hl.tools.upsert(path=path + "/weather", function=WEATHER, source_code=SOURCE)
    return await hl.agents.upsert(path=path + "/agent", **MOCK_KERNEL, max_iterations=4, tools=[
        {"type": "file", "link": {"file_id": tool.id}, "on_agent_call": "continue"},
        {"type": "inline", "json_schema": ASK}])


async def test_server_side_tool_then_client_side_tool(hl: Api, unique_path: str) -> None:
    agent = await _agent(hl, unique_path)
    assert isinstance(agent, types.AgentResponse) and agent.max_iterations == 4
    done = await hl.agents.call(path=agent.path, messages=[
        {"role": "user", "content": "weather in 'Lima'"}])
    assert isinstance(done, types.AgentCallResponse)
    assert done.output == "The tool returned: get_weather -> sunny in Lima"
    assert done.log_status == "complete"

    waiting = await hl.agents.call(id=agent.id, messages=[{"role": "user", "content": "ask human"}])
    assert waiting.log_status == "incomplete" and waiting.finish_reason == "tool_call"
    assert waiting.output_message is not None and waiting.output_message.tool_calls
    call = waiting.output_message.tool_calls[0]
    resumed = await hl.agents.continue_call(log_id=waiting.id, messages=[
        {"role": "tool", "tool_call_id": call.id, "content": "green"}])
    assert isinstance(resumed, types.AgentContinueCallResponse)
    assert resumed.output == "The tool returned: ask_human -> green"


async def test_streamed_agent_turns(hl: Api, unique_path: str) -> None:
    agent = await _agent(hl, unique_path)
    events = await hl.chunks(await hl.agents.call_stream(
        path=agent.path, messages=[{"role": "user", "content": "ask human"}]))
    assert [e.type for e in events] == ["agent_turn_start", "agent_turn_suspend"]
    last = events[-1]
    assert isinstance(last, types.AgentCallStreamResponse)
    call_id = last.payload.output_message.tool_calls[0].id  # type: ignore[union-attr]
    resumed = await hl.chunks(await hl.agents.continue_call_stream(
        log_id=last.log_id, messages=[{"role": "tool", "tool_call_id": call_id, "content": "x"}]))
    assert resumed[-1].type == "agent_turn_end"


async def test_agent_and_prompt_files(hl: Api, unique_path: str) -> None:
    agent = await _agent(hl, unique_path)
    text = await hl.agents.serialize(agent.id)
    assert isinstance(text, str) and text.startswith("---\nmodel: mock-1\n")
    kernel = await hl.agents.deserialize(agent=text)
    assert isinstance(kernel, types.AgentKernelRequest) and kernel.max_iterations == 4
    prompt = await hl.prompts.upsert(path=unique_path + "/p", **MOCK_KERNEL,
                                     template=[{"role": "user", "content": "Hi {{name}}"}])
    populated = await hl.prompts.populate(prompt.id, request={"name": "Ada"})
    assert isinstance(populated, types.PopulateTemplateResponse)
    assert populated.populated_template[0].content == "Hi Ada"  # type: ignore[union-attr,index]
    prompt_text = await hl.prompts.serialize(prompt.id)
    assert "<user>\nHi {{name}}\n</user>" in prompt_text
    assert (await hl.prompts.deserialize(prompt=prompt_text)).model == "mock-1"


async def test_csv_upload_and_environment_variables(hl: Api, unique_path: str) -> None:
    dataset = await hl.datasets.upsert(path=unique_path + "/d", datapoints=[{"inputs": {"q": "a"}}])
    updated = await hl.datasets.upload_csv(dataset.id, file=("rows.csv", b"q\nb\nc\n"),
                                           version_name="csv")
    assert isinstance(updated, types.DatasetResponse) and updated.datapoints_count == 3
    tool = await hl.tools.upsert(path=unique_path + "/t", function=WEATHER)
    listed = await hl.tools.add_environment_variable(tool.id, request=[{"name": "K", "value": "v"}])
    assert [(v.name, v.value) for v in listed] == [("K", "********")]  # values come back masked
    assert await hl.tools.delete_environment_variable(tool.id, "K") == []
