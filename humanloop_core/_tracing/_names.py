"""Attribute, metric and value names from the OpenTelemetry GenAI and HTTP conventions.

Spelled out here rather than imported from ``opentelemetry-semantic-conventions`` because
that package is not a runtime dependency (only ``opentelemetry-api`` is), and because the
GenAI names are still in Development: pinning them in one module keeps a rename to one edit.
"""

from __future__ import annotations

from typing import Final

INSTRUMENTATION_NAME: Final = "humanloop_core"
CAPTURE_CONTENT_ENV: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
# The GenAI utils accept these as well as a plain boolean; any of them means "on spans".
CAPTURE_CONTENT_ON: Final = frozenset({"true", "1", "span_only", "span_and_event"})

# Operations that are model inference; everything else gets a plain HTTP client span.
CHAT_OPERATIONS: Final = frozenset({"prompts.call"})
CHAT: Final = "chat"
DEFAULT_PROVIDER: Final = "humanloop"

# GenAI span attributes.
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
REQUEST_SEED: Final = "gen_ai.request.seed"
REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
REQUEST_STREAM: Final = "gen_ai.request.stream"
OUTPUT_TYPE: Final = "gen_ai.output.type"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
PROMPT_NAME: Final = "gen_ai.prompt.name"
INPUT_MESSAGES: Final = "gen_ai.input.messages"
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
TOKEN_TYPE: Final = "gen_ai.token.type"

# General attributes (stable conventions).
ERROR_TYPE: Final = "error.type"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
HTTP_METHOD: Final = "http.request.method"
HTTP_STATUS: Final = "http.response.status_code"
HTTP_RESEND_COUNT: Final = "http.request.resend_count"
URL_FULL: Final = "url.full"

# Humanloop-specific attributes: what the conventions have no name for. The registry has
# ``gen_ai.prompt.name`` but no prompt version attribute, so the version id lives here.
HL_OPERATION: Final = "humanloop.operation"
HL_PROMPT_ID: Final = "humanloop.prompt.id"
HL_PROMPT_VERSION_ID: Final = "humanloop.prompt.version_id"
HL_ENVIRONMENT: Final = "humanloop.environment"
HL_LOG_ID: Final = "humanloop.log.id"
HL_TRACE_ID: Final = "humanloop.trace.id"
HL_COST: Final = "humanloop.cost"

# Metrics, with the conventions' advised explicit bucket boundaries.
DURATION_METRIC: Final = "gen_ai.client.operation.duration"
TOKEN_USAGE_METRIC: Final = "gen_ai.client.token.usage"
TTFC_METRIC: Final = "gen_ai.client.operation.time_to_first_chunk"
SECONDS_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)
TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)

# Humanloop provider ids -> the conventions' well-known provider names; unknown ones pass through.
PROVIDER_NAMES: Final = {
    "openai_azure": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "google": "gcp.gen_ai",
    "mistral": "mistral_ai",
}

# Metric attributes are the low-cardinality subset of the span's (the conventions' list).
METRIC_KEYS: Final = (
    OPERATION_NAME, PROVIDER_NAME, REQUEST_MODEL, RESPONSE_MODEL, SERVER_ADDRESS, SERVER_PORT,
)

# A finish reason for a choice whose stream ended before the model said why.
CUT_FINISH_REASON: Final = "error"
# error.type of a stream that ended before every sample reported a finish reason.
CUT_ERROR_TYPE: Final = "incomplete_stream"
