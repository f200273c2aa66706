"""The README's provider table, built from each provider's ``Capabilities`` so the two
cannot disagree (a test compares the README with ``markdown()``)."""

from __future__ import annotations

from . import PROVIDERS

# What an operator sets, in each provider's own conventions, and the extra it needs.
SETTINGS: dict[str, tuple[str, str, str]] = {
    "openai": ("Chat Completions (+ Completions)", "`OPENAI_API_KEY`, `OPENAI_BASE_URL`", "server"),
    "openai_azure": ("Azure OpenAI deployments", "`AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT`, "
                     "`OPENAI_API_VERSION` (call: `openai_azure_endpoint`)", "server"),
    "anthropic": ("Messages", "`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`", "server"),
    "google": ("Gemini generateContent", "`GEMINI_API_KEY` or `GOOGLE_API_KEY`, `GOOGLE_GEMINI_BASE_URL`",
               "server"),
    "bedrock": ("Converse / ConverseStream", "`AWS_BEARER_TOKEN_BEDROCK`, or the AWS credential chain "
                "(`AWS_ACCESS_KEY_ID`, profiles, roles...); `AWS_REGION`; `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`",
                "server; `bedrock` for the credential chain"),
    "cohere": ("Chat v2", "`CO_API_KEY`, `CO_API_URL`", "server"),
    "groq": ("OpenAI dialect", "`GROQ_API_KEY`, `GROQ_BASE_URL`", "server"),
    "replicate": ("Predictions (+ event stream)", "`REPLICATE_API_TOKEN`, `REPLICATE_BASE_URL`", "server"),
    "deepseek": ("OpenAI dialect", "`DEEPSEEK_API_KEY`, `DEEPSEEK_BASE_URL`", "server"),
    "mock": ("deterministic, in process", "none", "server"),
}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def markdown() -> str:
    head = ("| provider | API | tools | JSON object / schema | images | samples | logprobs | seed | "
            "penalties | max temperature | reasoning_effort | endpoints | environment | extra |")
    lines = [head, "|" + "---|" * 14]
    for name, make in PROVIDERS.items():
        caps = make().capabilities
        api, env, extra = SETTINGS[name]
        lines.append("| " + " | ".join([
            f"`{name}`", api, _yes(caps.tools), f"{_yes(caps.json_object)} / {_yes(caps.json_schema)}",
            _yes(caps.images), "n in one request" if caps.n else "one request each", _yes(caps.logprobs),
            _yes(caps.seed), _yes(caps.penalties), f"{caps.max_temperature:g}",
            " / ".join({"effort": "low/medium/high", "budget": "token budget"}[f] for f in caps.reasoning) or "no",
            ", ".join(caps.endpoints),
            env, extra]) + " |")
    return "\n".join(lines)
