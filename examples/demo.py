"""``make demo``: the whole library on an embedded server, no account needed.

Starts the Humanloop-compatible local server, saves a prompt, then: calls it, streams
it, pages through prompts, handles an error, runs a LangChain LCEL chain with a tool
call, and a LlamaIndex FunctionAgent; last, traces a ChatOpenAI chain that never calls
Humanloop (served by a loopback fake OpenAI) into the server with the callback handler;
and evaluates two prompt versions on a dataset. Every request is an OpenTelemetry span, printed
as one line as it ends (indented under the demo step that made it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from _local import MOCK_PROMPT, backend, console_tracer_provider
from opentelemetry import trace

from humanloop_core import Humanloop, NotFoundError

PATH = "demo/assistant"
tracer = trace.get_tracer("examples.demo")


@contextmanager
def step(number: int, title: str) -> Iterator[None]:
    print(f"\n== {number}. {title}")
    with tracer.start_as_current_span(f"demo {number}: {title}"):
        yield


def client_steps(client: Humanloop) -> None:
    with step(1, "Save a prompt"):
        prompt = client.prompts.upsert(path=PATH, **MOCK_PROMPT)
        print(f"saved {prompt.path!r}: model={prompt.model} provider={prompt.provider} version={prompt.version_id}")

    with step(2, "Call it"):
        response = client.prompts.call(path=PATH, messages=[{"role": "user", "content": "What is a lighthouse?"}])
        log = response.logs[0]
        print(f"answer: {log.output!r} ({log.prompt_tokens} + {log.output_tokens} tokens, log {response.id})")

    with step(3, "Stream it"):
        print("streamed: ", end="", flush=True)
        with client.prompts.call(
            path=PATH, messages=[{"role": "user", "content": "Describe the sea at night."}], stream=True
        ) as stream:
            chunks = []
            for event in stream:
                chunks.append(event)
                # The newline comes with the last chunk: the span's line prints when the stream ends.
                print(event.output or "", end="\n" if event.finish_reason else "", flush=True)
        print(f"{len(chunks)} chunks, finish_reason={chunks[-1].finish_reason}")

    with step(4, "Paginate"):
        for i in range(4):
            client.prompts.upsert(path=f"demo/more/prompt-{i}", **MOCK_PROMPT)
        pager = client.prompts.list(size=2)
        print(f"page 1: {[p.path for p in pager.items]}, has_next={pager.has_next}")
        pages = list(pager.iter_pages())
        print(f"{len(pages)} pages of 2; every prompt: {sorted(p.path for p in client.prompts.list(size=2))}")

    with step(5, "Handle an error"):
        try:
            client.prompts.get("pr_does_not_exist")
        except NotFoundError as err:
            print(f"caught {type(err).__name__}: status={err.status_code}")


def langchain_step(base_url: str, api_key: str) -> None:
    from langchain_core.messages import HumanMessage
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.tools import tool
    from langchain_humanloop import ChatHumanloop

    @tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"18°C and sunny in {city}"

    with step(6, "LangChain: LCEL chain, then a tool call"):
        llm = ChatHumanloop(path=PATH, api_key=api_key, base_url=base_url)
        chain = ChatPromptTemplate.from_messages([("human", "A tagline for {product}.")]) | llm | StrOutputParser()
        print(f"chain.invoke: {chain.invoke({'product': 'a solar kettle'})!r}")

        llm_with_tools = llm.bind_tools([get_weather])
        question = HumanMessage('Use get_weather: what is the weather in "Lisbon"?')
        ai = llm_with_tools.invoke([question])
        call = ai.tool_calls[0]
        result = get_weather.invoke(call)
        print(f"tool call: {call['name']}({call['args']}) -> {result.content!r}")
        final = llm_with_tools.invoke([question, ai, result])
        print(f"final answer: {final.content!r}")


def llama_index_step(base_url: str, api_key: str) -> None:
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
    from llama_index.llms.humanloop import Humanloop as HumanloopLLM

    def multiply(a: int, b: int) -> int:
        """Multiply two integers and return the product."""
        return a * b

    async def run() -> None:
        llm = HumanloopLLM(path=PATH, api_key=api_key, base_url=base_url)
        agent = FunctionAgent(tools=[multiply], llm=llm, system_prompt="Use tools for arithmetic.")
        handler = agent.run(user_msg="Use multiply to compute 6 times 7.")
        async for event in handler.stream_events():
            if isinstance(event, ToolCallResult):
                print(f"tool call: {event.tool_name}({event.tool_kwargs}) -> {event.tool_output.content}")
        print(f"agent answer: {await handler}")

    with step(7, "LlamaIndex: FunctionAgent with a tool"):
        asyncio.run(run())


def traced_app_step(client: Humanloop) -> None:
    """An app calling OpenAI directly (here a loopback fake), traced into Humanloop."""
    from _fake_openai import fake_openai
    from langchain_core.messages import AIMessage
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda
    from langchain_core.tools import tool
    from langchain_humanloop import HumanloopCallbackHandler
    from langchain_openai import ChatOpenAI

    @tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"18°C and sunny in {city}"

    def run_tools(message: AIMessage) -> str:
        return "; ".join(get_weather.invoke(call["args"]) for call in message.tool_calls)

    with step(8, "Trace an app that calls OpenAI directly: ChatOpenAI chain -> HumanloopCallbackHandler"):
        handler = HumanloopCallbackHandler(client, directory="demo/traced")
        with fake_openai() as (openai_url, _):
            llm = ChatOpenAI(model="gpt-4o-mini", base_url=openai_url, api_key="sk-demo-fake")
            chain = (ChatPromptTemplate.from_messages([("human", "Weather in {city}?")])
                     | llm.bind_tools([get_weather]) | RunnableLambda(run_tools)).with_config(run_name="weather")
            print(f"chain.invoke: {chain.invoke({'city': 'Paris'}, config={'callbacks': [handler]})!r}")
        handler.flush()  # spans go out in background batches; a short script waits for them
        flow = next(f for f in client.flows.list(size=100) if f.path == "demo/traced/weather")
        root = client.logs.get(next(iter(client.logs.list(file_id=flow.id, size=1))).id)
        print(f"flow log {flow.path}: inputs={root.inputs} output={root.output!r}")
        for child in root.trace_children or []:
            prompt = getattr(child, "prompt", None)
            file = prompt or child.tool  # type: ignore[union-attr]
            tokens = f", {child.prompt_tokens}+{child.output_tokens} tokens" if prompt else ""
            print(f"  child {type(child).__name__}: {file.path}{tokens}, {child.provider_latency * 1000:.1f} ms")


def evaluation_step(client: Humanloop) -> None:
    """Two versions of a prompt evaluated on one dataset by a code evaluator (run in the
    server's sandbox) and an LLM judge; the second run is compared with the first."""
    import sys

    judge_code = "def matches(log, testcase):\n    return log['output'].endswith(testcase['target']['reply'])\n"
    client.evaluators.upsert(path="demo/evals/matches", spec={
        "evaluator_type": "python", "arguments_type": "target_required", "return_type": "boolean",
        "code": judge_code})
    client.evaluators.upsert(path="demo/evals/llm-judge", spec={
        "evaluator_type": "llm", "arguments_type": "target_free", "return_type": "number",
        "prompt": {"model": "mock-1", "provider": "mock",
                   "template": [{"role": "user", "content": "Rate 0-10: {{log.output}}"}]}})
    dataset = {"path": "demo/evals/numbers",
               "datapoints": [{"inputs": {"n": str(n)}, "target": {"reply": f"Echo {n}"}} for n in range(1, 11)]}
    evaluators = [{"path": "demo/evals/matches", "threshold": 0.9}, {"path": "demo/evals/llm-judge"}]
    with step(9, "Evaluate two prompt versions on a dataset (server-run evaluators, summary, CI gate)"):
        for template in ("Echo {{n}}", "Repeat {{n}}"):
            result = client.evaluations.run(
                name="demo", file={"path": "demo/evals/echo", "type": "prompt", "version": {
                    "model": "mock-1", "provider": "mock", "template": [{"role": "user", "content": template}]}},
                dataset=dataset, evaluators=evaluators, stream=sys.stdout)
            print(f"template {template!r}: passed={result.passed} (a CI job exits {0 if result.passed else 1})")


def main() -> None:
    provider = console_tracer_provider()
    # Global, so the adapters' own clients are traced too, not only the one built here.
    trace.set_tracer_provider(provider)
    print("humanloop-core demo: every request is an OpenTelemetry span, printed as it ends")
    print("  [span] <name> <duration> <attributes>; indented spans are children of the step's span")
    with backend() as (base_url, api_key):
        with Humanloop(api_key=api_key, base_url=base_url) as client:
            client_steps(client)
        langchain_step(base_url, api_key)
        llama_index_step(base_url, api_key)
        with Humanloop(api_key=api_key, base_url=base_url) as client:
            traced_app_step(client)
            evaluation_step(client)
    provider.shutdown()
    print("\ndemo complete: call, stream, paginate, error, LangChain, LlamaIndex, tracing, traced app,"
          " evaluation")


if __name__ == "__main__":
    main()
