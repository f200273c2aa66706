"""Run by test_otlp_official.py in a child interpreter (the official client instruments the
openai SDK process-wide): the official SDK 0.8.38's decorators around an OpenAI call served
by the loopback fake. Prints the app's results as JSON on the last line."""

# No `from __future__ import annotations`: the official @tool reads real type hints.

import json
import sys

import openai
from humanloop import Humanloop

from tests.tracing.fake_openai import fake_openai


def main(base_url: str, api_key: str, prefix: str, nested: bool) -> None:
    hl = Humanloop(api_key=api_key, base_url=base_url)
    with fake_openai() as (url, _):
        oai = openai.OpenAI(base_url=url, api_key="sk-fake-official")

        @hl.tool(path=f"{prefix}/calculator")
        def calculator(a: int, b: int) -> int:
            """Add two numbers."""
            return a + b

        @hl.prompt(path=f"{prefix}/answerer")
        def answer(question: str) -> str | None:
            r = oai.chat.completions.create(model="gpt-4o-mini", temperature=0.3,
                                            messages=[{"role": "user", "content": question}])
            return r.choices[0].message.content

        @hl.flow(path=f"{prefix}/agent")
        def agent(question: str) -> str | None:
            return answer(f"{question} {calculator(2, 3)}")

        out = [agent("sum?")] if nested else [calculator(2, 3), answer("hi there")]
        hl._tracer_provider.force_flush()
        hl._tracer_provider.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "nested")
