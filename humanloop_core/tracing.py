"""OpenTelemetry tracing for humanloop-core, following the GenAI semantic conventions.

Every API call gets one CLIENT span, started in the caller's context (so it nests under
whatever span is current) and never left attached. ``prompts.call``, streamed or not, is
a GenAI inference span named ``chat {model}`` carrying
``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.*``,
``gen_ai.response.*``, ``gen_ai.usage.*``, ``server.*`` and ``gen_ai.prompt.name`` (the
prompt's path), and records the ``gen_ai.client.operation.duration``,
``gen_ai.client.token.usage`` and, for streams,
``gen_ai.client.operation.time_to_first_chunk`` histograms with the advised buckets.
Other calls get a plain HTTP client span named ``{METHOD} {operation}``.

Choices where the conventions leave room:

- ``gen_ai.provider.name``: the kernel's provider, else the one of the version the server
  ran, else ``humanloop``; Humanloop ids map to the well-known names (``openai_azure`` ->
  ``azure.ai.openai``, ``bedrock`` -> ``aws.bedrock``, ``google`` -> ``gcp.gen_ai``).
- The registry has no prompt-version attribute, so the version id is
  ``humanloop.prompt.version_id``; ``gen_ai.response.id`` is the Humanloop log id.
- ``error.type`` is the HTTP status for HTTP errors, else the exception's class name.
  A retried call that then succeeds is not an error (``http.request.resend_count`` says
  how many times it was resent).
- A stream that ends before a sample reports its finish reason (closed, broken off,
  collected, failed) reports ``error`` for that sample, and the span ends with an ERROR
  status (``error.type`` the exception's, else ``incomplete_stream``).
- A stored prompt called by streaming (no kernel sent): the v5 stream items do not name
  the model, so the span is renamed ``chat {model}`` from the ``model``/``provider``
  fields this project's server adds to its items (a server without them leaves ``chat``
  and provider ``humanloop``). With a kernel sent, ``gen_ai.response.model`` of a stream
  is the kernel's model, which is what Humanloop runs.
- The call's span is current while each attempt is sent, so HTTP instrumentation
  (``opentelemetry-instrumentation-httpx``) nests under it: app > ``chat {model}`` >
  HTTP client span > the server's span. It is never left attached.
- Metrics carry the refined attributes (request and response model, provider) from the
  first chunk or the response on, so one model's calls, plain or streamed, with or
  without a kernel, share one attribute set.

Other ``humanloop.`` attributes: ``humanloop.log.id``, ``humanloop.prompt.id``,
``humanloop.environment``, ``humanloop.trace.id``, ``humanloop.cost`` (sum of prompt and
output cost) and, on plain spans, ``humanloop.operation``.

Only ``opentelemetry-api`` is used. With no SDK configured a call costs well under a
microsecond; with an SDK whose sampler drops the span, nothing is serialised. Message
content (``gen_ai.input.messages`` / ``gen_ai.output.messages``, as JSON in the
conventions' message format) is recorded only when
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is ``true``. No API key or auth
header is ever recorded. Suppressed instrumentation (the API's suppression context key)
records nothing. Telemetry never raises into the caller; its own failures are logged at
debug level on the ``humanloop_core.tracing`` logger.

The transport drives :class:`Telemetry` through the :class:`Invocation` hooks.
"""

from ._tracing import Invocation, Telemetry

__all__ = ["Invocation", "Telemetry"]
