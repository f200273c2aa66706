"""The loopback fake OpenAI the tracing tests use: the one ``make demo`` serves, kept in
examples/ so the demo needs nothing from the test tree."""

from examples._fake_openai import COMPLETION_TOKENS, PROMPT_TOKENS, fake_openai, reply_for

__all__ = ["COMPLETION_TOKENS", "PROMPT_TOKENS", "fake_openai", "reply_for"]
