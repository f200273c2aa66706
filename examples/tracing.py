"""Tracing: every client call becomes an OpenTelemetry span (GenAI conventions).

    python examples/tracing.py
    OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 python examples/tracing.py   # to a collector

Spans print as one line each: name, duration, key attributes. Message content is only
recorded when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.
"""

from __future__ import annotations

from _local import MOCK_PROMPT, backend, console_tracer_provider

from humanloop_core import Humanloop, NotFoundError


def main() -> None:
    provider = console_tracer_provider()
    tracer = provider.get_tracer("examples.tracing")
    with backend() as (base_url, api_key), Humanloop(
        api_key=api_key, base_url=base_url, tracer_provider=provider
    ) as client:
        client.prompts.upsert(path="examples/tracing", **MOCK_PROMPT)
        # An application span: the client's spans nest under it and share its trace id.
        with tracer.start_as_current_span("answer_question"):
            response = client.prompts.call(
                path="examples/tracing", messages=[{"role": "user", "content": "Why is the sky blue?"}]
            )
            print(f"call: {response.logs[0].output!r}")
            stream = client.prompts.call(
                path="examples/tracing", messages=[{"role": "user", "content": "Stream a haiku."}], stream=True
            )
            print(f"stream: {''.join(event.output or '' for event in stream)!r}")
            try:
                client.prompts.get("pr_missing")
            except NotFoundError:
                print("a failed call is a span with status ERROR and error.type")
    provider.shutdown()  # flushes a batch exporter (OTLP)
    print("tracing done")


if __name__ == "__main__":
    main()
