"""Agents through the official SDK 0.8.38: the server runs the model/tool loop, runs linked
code tools itself, suspends on tools it cannot run until continue_call, streamed and not."""

from __future__ import annotations

import pytest

humanloop = pytest.importorskip("humanloop")
from humanloop import Humanloop  # noqa: E402

from humanloop_core.server import LocalServer  # noqa: E402

MOCK = {"model": "mock-1", "provider": "mock"}
WEATHER = {"name": "get_weather", "description": "Weather of a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}
ASK = {"name": "ask_human", "description": "Ask the user",
       "parameters": {"type": "object", "properties": {"question": {"type": "string"}}}}
SOURCE = "def get_weather(city):\n    return f'sunny in {city}'\n"


@pytest.fixture
def sdk(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


def _agent(sdk: Humanloop, path: str, on_call: str = "continue", **kernel: object) -> tuple[str, str]:
    tool = sdk.tools.upsert(path=path + "/weather", function=WEATHER, source_code=SOURCE)
    agent = sdk.agents.upsert(path=path + "/agent", **MOCK, template=[
        {"role": "system", "content": "You help with {{topic}}."}], tools=[
        {"type": "file", "link": {"file_id": tool.id}, "on_agent_call": on_call},
        {"type": "inline", "json_schema": ASK}], **kernel)
    return agent.path, tool.id


def test_server_side_tool_runs_and_the_loop_finishes(sdk: Humanloop, unique_path: str) -> None:
    path, tool_id = _agent(sdk, unique_path)
    result = sdk.agents.call(path=path, inputs={"topic": "travel"},
                             messages=[{"role": "user", "content": "weather in 'Oslo'"}])
    # model -> get_weather (run here, in the sandbox) -> model reads the result
    assert result.output == "The tool returned: get_weather -> sunny in Oslo"
    assert result.finish_reason == "stop" and result.log_status == "complete"
    roles = [m.role for m in result.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert result.messages[0].content == "You help with travel."
    # each step is in the agent log's trace: model turn, tool run, model turn
    log = sdk.logs.get(id=result.id)
    children = log.trace_children if not isinstance(log, dict) else log["trace_children"]
    steps = [c if isinstance(c, dict) else c.dict() for c in children]
    kinds = ["tool" if s.get("tool") else "turn" for s in steps]
    assert sorted(kinds) == ["tool", "turn", "turn"]
    tool_step = next(s for s in steps if s.get("tool"))
    assert tool_step["tool"]["id"] == tool_id and tool_step["output"] == "sunny in Oslo"
    turns = sorted((s for s in steps if not s.get("tool")), key=lambda s: len(s["messages"]))
    assert [s["source"] for s in turns] == ["agent_turn", "agent_turn"]
    assert turns[0]["output_message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert turns[1]["output"] == result.output


def test_client_side_tool_suspends_then_continue_call_finishes(sdk: Humanloop, unique_path: str) -> None:
    path, _ = _agent(sdk, unique_path)
    first = sdk.agents.call(path=path, inputs={"topic": "x"},
                            messages=[{"role": "user", "content": "ask human please"}])
    assert first.log_status == "incomplete" and first.finish_reason == "tool_call"
    pending = first.output_message.tool_calls
    assert [c.function.name for c in pending] == ["ask_human"]
    done = sdk.agents.continue_call(log_id=first.id, messages=[
        {"role": "tool", "tool_call_id": pending[0].id, "content": "blue"}])
    assert done.output == "The tool returned: ask_human -> blue"
    assert done.log_status == "complete"
    assert done.previous_agent_message is not None
    # continuing a finished turn is refused, naming why
    with pytest.raises(humanloop.core.api_error.ApiError) as info:
        sdk.agents.continue_call(log_id=first.id, messages=[
            {"role": "tool", "tool_call_id": pending[0].id, "content": "again"}])
    assert info.value.status_code == 409


def test_continue_call_needs_an_answer_for_each_pending_call(sdk: Humanloop, unique_path: str) -> None:
    path, _ = _agent(sdk, unique_path)
    first = sdk.agents.call(path=path, inputs={"topic": "x"},
                            messages=[{"role": "user", "content": "ask human"}])
    with pytest.raises(humanloop.errors.UnprocessableEntityError) as info:
        sdk.agents.continue_call(log_id=first.id, messages=[{"role": "user", "content": "hm"}])
    assert "tool_call_id" in str(info.value.body)


def test_streamed_call_and_continue(sdk: Humanloop, unique_path: str) -> None:
    path, _ = _agent(sdk, unique_path)
    events = list(sdk.agents.call_stream(path=path, inputs={"topic": "x"},
                                         messages=[{"role": "user", "content": "weather in 'Rome'"}]))
    kinds = [e.type for e in events]
    assert kinds == ["agent_turn_start", "tool_start", "tool_end", "agent_turn_end"]
    assert events[-1].payload.output == "The tool returned: get_weather -> sunny in Rome"
    suspended = list(sdk.agents.call_stream(path=path, inputs={"topic": "x"},
                                            messages=[{"role": "user", "content": "ask human"}]))
    assert suspended[-1].type == "agent_turn_suspend"
    log_id = suspended[-1].log_id
    call_id = suspended[-1].payload.output_message.tool_calls[0].id
    resumed = list(sdk.agents.continue_call_stream(log_id=log_id, messages=[
        {"role": "tool", "tool_call_id": call_id, "content": "ok"}]))
    assert resumed[-1].type == "agent_turn_end"
    assert resumed[-1].payload.output == "The tool returned: ask_human -> ok"


def test_stop_rule_and_max_iterations(sdk: Humanloop, unique_path: str) -> None:
    path, _ = _agent(sdk, unique_path, on_call="stop")
    stopped = sdk.agents.call(path=path, inputs={"topic": "x"},
                              messages=[{"role": "user", "content": "weather in 'Oslo'"}])
    assert stopped.finish_reason == "tool_call" and stopped.log_status == "complete"
    assert stopped.messages[-1].role == "tool"  # the tool ran, the model was not called again
    capped, _ = _agent(sdk, unique_path + "/capped", max_iterations=1)
    result = sdk.agents.call(path=capped, inputs={"topic": "x"},
                             messages=[{"role": "user", "content": "weather in 'Oslo'"}])
    assert result.finish_reason == "max_iterations"


def test_agent_file_round_trips_and_call_takes_its_text(sdk: Humanloop, unique_path: str) -> None:
    path, _ = _agent(sdk, unique_path)
    agent = sdk.agents.get(id=sdk.files.retrieve_by_path(path=path).id)
    text = sdk.agents.serialize(id=agent.id)
    assert text.startswith("---\nmodel: mock-1\n") and "<system>\nYou help with {{topic}}.\n</system>" in text
    kernel = sdk.agents.deserialize(agent=text)
    assert kernel.model == "mock-1" and len(kernel.tools) == 2
    result = sdk.agents.call(path=unique_path + "/from-text", agent=text, inputs={"topic": "t"},
                             messages=[{"role": "user", "content": "hi"}])
    assert result.output == "You said: hi"


def test_save_false_stores_nothing(sdk: Humanloop, unique_path: str) -> None:
    path, tool_id = _agent(sdk, unique_path)
    result = sdk.agents.call(path=path, inputs={"topic": "x"}, save=False,
                             messages=[{"role": "user", "content": "weather in 'Oslo'"}])
    assert result.output == "The tool returned: get_weather -> sunny in Oslo"
    agent_id = sdk.files.retrieve_by_path(path=path).id
    assert list(sdk.logs.list(file_id=agent_id)) == []
    assert list(sdk.logs.list(file_id=tool_id)) == []


def test_server_side_tool_gets_its_environment_variables(
        sdk: Humanloop, unique_path: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    secret = "agent-tool-secret-0123456789"
    path, tool_id = _agent(sdk, unique_path)
    # the tool answers whether its variable holds the value (reversed, so no output holds it)
    sdk.tools.upsert(path=path.rsplit("/", 1)[0] + "/weather", function=WEATHER, source_code=(
        "import os\ndef get_weather(city):\n"
        "    return f'{city}: {os.environ.get(\"WEATHER_KEY\", \"\")[::-1]!r}'\n"))
    sdk.tools.add_environment_variable(id=tool_id, request=[{"name": "WEATHER_KEY", "value": secret}])
    result = sdk.agents.call(path=path, inputs={"topic": "travel"},
                             messages=[{"role": "user", "content": "weather in 'Oslo'"}])
    assert result.output == f"The tool returned: get_weather -> Oslo: {secret[::-1]!r}"
    log = sdk.logs.get(id=result.id)
    stored = log.json() if not isinstance(log, dict) else str(log)
    assert secret[::-1] in stored and secret not in stored and secret not in result.json()
    assert secret not in caplog.text


def test_linked_prompt_and_agent_run_as_tools_server_side(sdk: Humanloop, unique_path: str) -> None:
    prompt = sdk.prompts.upsert(path=unique_path + "/translator", **MOCK, template=[
        {"role": "user", "content": "Translate {{text}}"}], description="Translates text")
    helper = sdk.agents.upsert(path=unique_path + "/helper", **MOCK, template=[
        {"role": "user", "content": "Help with {{topic}}"}])
    agent = sdk.agents.upsert(path=unique_path + "/agent", **MOCK, template=[
        {"role": "system", "content": "You route."}], tools=[
        {"type": "file", "link": {"file_id": prompt.id}, "on_agent_call": "continue"},
        {"type": "file", "link": {"file_id": helper.id}, "on_agent_call": "continue"}])
    fetched = sdk.agents.get(id=agent.id)
    assert fetched.id == agent.id
    # the model calls the prompt by its file name with its inputs; the server runs it
    result = sdk.agents.call(id=agent.id, messages=[{"role": "user", "content": "translator 'hello'"}])
    assert result.log_status == "complete" and result.finish_reason == "stop"
    tool_message = next(m for m in result.messages if m.role == "tool")
    assert tool_message.content and not tool_message.content.startswith("error")
    assert result.output == f"The tool returned: translator -> {tool_message.content}"
    log = sdk.logs.get(id=result.id)
    children = [c if isinstance(c, dict) else c.dict() for c in (
        log.trace_children if not isinstance(log, dict) else log["trace_children"])]
    called = [c for c in children if (c.get("prompt") or {}).get("id") == prompt.id]
    assert len(called) == 1 and called[0]["inputs"] == {"text": "hello"}
    assert called[0]["messages"][0]["content"] == "Translate hello"
    assert called[0]["output"] == tool_message.content
    # an agent as a tool: run to its end, its answer goes back; its log joins the trace
    result = sdk.agents.call(id=agent.id, messages=[{"role": "user", "content": "helper 'maps'"}])
    tool_message = next(m for m in result.messages if m.role == "tool")
    assert result.log_status == "complete" and tool_message.content
    assert not tool_message.content.startswith("error")
    log = sdk.logs.get(id=result.id)
    children = [c if isinstance(c, dict) else c.dict() for c in (
        log.trace_children if not isinstance(log, dict) else log["trace_children"])]
    nested = [c for c in children if (c.get("agent") or {}).get("id") == helper.id
              and c.get("source") != "agent_turn"]
    assert len(nested) == 1 and nested[0]["inputs"] == {"topic": "maps"}
    assert nested[0]["output"] == tool_message.content


def test_an_agent_linking_itself_stops_at_the_depth_limit(sdk: Humanloop, unique_path: str) -> None:
    first = sdk.agents.upsert(path=unique_path + "/loop", **MOCK, template=[
        {"role": "user", "content": "Go {{x}}"}])
    sdk.agents.upsert(path=unique_path + "/loop", **MOCK, template=[
        {"role": "user", "content": "Go {{x}}"}], tools=[
        {"type": "file", "link": {"file_id": first.id}, "on_agent_call": "continue"}],
        max_iterations=2)
    # each level's message names the tool again ("Go loop"), so each calls itself once more
    result = sdk.agents.call(path=unique_path + "/loop", inputs={"x": "loop 'loop'"})
    assert result.log_status == "complete"
    # three agents run (the called one and two nested), the third's call of itself is refused
    assert result.output == ("The tool returned: loop -> " * 3
                             + "error: agents run as tools nest at most 3 deep")
