"""OpenTelemetry tracing for humanloop-core, following the GenAI semantic conventions.

Every API call gets one CLIENT span. ``prompts.call`` (streamed or not) is a GenAI
inference span named ``chat {model}`` with ``gen_ai.*`` request, response and usage
attributes, and records ``gen_ai.client.operation.duration``,
``gen_ai.client.token.usage`` and (streams) ``gen_ai.client.operation.time_to_first_chunk``.
Other calls get a plain HTTP client span (``{METHOD} {operation}``).

Only ``opentelemetry-api`` is used: with no SDK configured this costs next to nothing.
Message content is recorded only when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
is ``true``. The transport drives :class:`Telemetry` through the :class:`Invocation` hooks.

Attributes without a convention name use the ``humanloop.`` prefix: ``humanloop.log.id``,
``humanloop.prompt.id``, ``humanloop.prompt.version_id``, ``humanloop.environment``,
``humanloop.trace.id``, ``humanloop.cost`` and ``humanloop.operation``.
"""

from ._tracing import Invocation, Telemetry

__all__ = ["Invocation", "Telemetry"]
