"""OpenTelemetry GenAI spans and metrics for every API call (``opentelemetry-api`` only).

Public names are re-exported from :mod:`humanloop_core.tracing`.
"""

from ._telemetry import NOOP, SUPPRESSED, Invocation, Telemetry

__all__ = ["NOOP", "SUPPRESSED", "Invocation", "Telemetry"]
