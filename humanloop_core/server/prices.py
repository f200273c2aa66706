"""The cost of a prompt log, from a price table that is data, not code.

The table ships in the package (``data/prices.json``); ``HUMANLOOP_PRICES`` (or the
server's ``--prices``) names a JSON file of the same shape whose entries win, so a new
model or a price change needs no release. The file is re-read when it changes on disk.
A model with no price gets no cost (unknown is not free). Dated and versioned names find
their base model: ``gpt-4o-mini-2024-07-18`` -> ``gpt-4o-mini``,
``claude-3-5-sonnet-20241022`` -> ``claude-3-5-sonnet``,
``us.anthropic.claude-3-haiku-20240307-v1:0`` -> ``anthropic.claude-3-haiku``.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

ENV = "HUMANLOOP_PRICES"
Price = tuple[float, float]
Table = dict[str, dict[str, Price]]

# Suffixes that name a release of a base model, stripped one at a time, outermost first.
_SUFFIXES = [
    re.compile(r"-v\d+(:\d+)?$"),           # bedrock: -v1:0
    re.compile(r"-latest$"),
    re.compile(r"[-@]\d{4}-?\d{2}-?\d{2}$"),  # -2024-07-18, -20241022, @20240620
    re.compile(r"-\d{3}$"),                 # gemini-1.5-pro-002
    re.compile(r"-\d{2}-\d{4}$"),           # command-a-03-2025
    re.compile(r"-\d{4}$"),                 # gpt-4-0613
    re.compile(r"-preview(-[\w-]+)?$"),
]
_BEDROCK_REGION = re.compile(r"^(us|eu|apac|global|us-gov|jp|au)\.")


def _parse(raw: Any) -> Table:
    providers = raw.get("providers") if isinstance(raw, dict) else None
    if not isinstance(providers, dict):
        raise ValueError("a price file is an object with a 'providers' object")
    table: Table = {}
    aliases: dict[str, str] = {}
    for provider, models in providers.items():
        if isinstance(models, str):
            aliases[provider] = models
            continue
        table[provider] = {name: (float(p[0]), float(p[1])) for name, p in models.items()}
    for provider, target in aliases.items():
        table[provider] = table.get(target, {})
    return table


@lru_cache(maxsize=1)
def _shipped() -> Table:
    text = resources.files("humanloop_core.server").joinpath("data/prices.json").read_text()
    return _parse(json.loads(text))


@lru_cache(maxsize=4)
def _override(path: str, mtime: float) -> Table:  # mtime: a changed file is read again
    return _parse(json.loads(Path(path).read_text()))


def table(path: str | None = None) -> Table:
    """The prices in force: the shipped table with the override file's entries on top."""
    merged = {provider: dict(models) for provider, models in _shipped().items()}
    path = path or os.environ.get(ENV)
    if path:
        for provider, models in _override(path, os.stat(path).st_mtime).items():
            merged.setdefault(provider, {}).update(models)
    return merged


def candidates(model: str) -> list[str]:
    """``model`` and the base names it releases from, most specific first."""
    names = [model]
    name = _BEDROCK_REGION.sub("", model)
    if name != model:
        names.append(name)
    for _ in range(4):  # a name can carry several: anthropic.claude-3-haiku-20240307-v1:0
        stripped = name
        for suffix in _SUFFIXES:
            stripped = suffix.sub("", stripped)
        if stripped == name:
            break
        names.append(name := stripped)
    return names


def price(provider: str, model: str, path: str | None = None) -> Price | None:
    models = table(path).get(provider) or {}
    for name in candidates(model):
        if name in models:
            return models[name]
    return None


def cost(provider: str, model: str, prompt_tokens: int, output_tokens: int,
         path: str | None = None) -> tuple[float, float] | None:
    """``(prompt_cost, output_cost)`` in USD, or None when the model has no price."""
    found = price(provider, model, path)
    if found is None:
        return None
    return round(prompt_tokens * found[0] / 1e6, 10), round(output_tokens * found[1] / 1e6, 10)


def add_cost(body: dict[str, Any], kernel: dict[str, Any]) -> None:
    """Set a prompt log's ``prompt_cost``/``output_cost`` from its token counts and its
    version's provider and model, unless the log already states them."""
    if body.get("prompt_cost") is not None or body.get("output_cost") is not None:
        return
    prompt_tokens, output_tokens = body.get("prompt_tokens"), body.get("output_tokens")
    if not isinstance(prompt_tokens, int) and not isinstance(output_tokens, int):
        return
    model = kernel.get("model")
    if not isinstance(model, str):
        return
    found = cost(kernel.get("provider") or "openai", model, prompt_tokens or 0, output_tokens or 0)
    if found is not None:
        body["prompt_cost"], body["output_cost"] = found
