"""The span attributes that turn a span into a Humanloop log, shared by every producer (the
decorators, the LangChain and LlamaIndex handlers) and the server that reads them.

The ``humanloop.file.*`` and ``humanloop.log.*`` names are the official Humanloop SDK's, so
spans from its decorators and from ours read the same. Structured values (inputs, kernels,
messages) travel as JSON strings; the official SDK flattens them into dotted keys instead
(``humanloop.log.inputs.city``), and the server reads both. Model calls use the
OpenTelemetry GenAI conventions (``gen_ai.*``) rather than anything of ours.
"""

from __future__ import annotations

from typing import Final

FILE_TYPE: Final = "humanloop.file.type"
FILE_PATH: Final = "humanloop.file.path"
# The file's kernel as JSON (a tool's function and source, a flow's attributes).
FILE_KERNEL: Final = "humanloop.file.kernel"
FILE_PREFIX: Final = "humanloop.file"
LOG_PREFIX: Final = "humanloop.log"
# Log fields, each a JSON value: inputs, output, error, messages, output_message, metadata.
LOG_INPUTS: Final = "humanloop.log.inputs"
LOG_OUTPUT: Final = "humanloop.log.output"
LOG_ERROR: Final = "humanloop.log.error"
LOG_MESSAGES: Final = "humanloop.log.messages"
LOG_OUTPUT_MESSAGE: Final = "humanloop.log.output_message"
LOG_METADATA: Final = "humanloop.log.metadata"
LOG_ID: Final = "humanloop.log.id"
LOG_TRACE_PARENT_ID: Final = "humanloop.log.trace_parent_id"

SPAN_NAMES: Final = {"flow": "humanloop.flow", "prompt": "humanloop.prompt", "tool": "humanloop.tool"}
FILE_TYPES: Final = frozenset(SPAN_NAMES)
