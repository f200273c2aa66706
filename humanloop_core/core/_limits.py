"""The client's default limits on what a server may send (a light module: no httpx, no pydantic)."""

# The largest response body read into memory, counted decoded (a gzip bomb counts inflated).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# The longest server-sent-event line, in characters: one unending line would otherwise
# grow memory without bound.
DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024
