"""Templates: Humanloop's syntax (variables and template tools) and sandboxed Jinja2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from humanloop_core import types as t
from humanloop_core.server import LocalServer
from humanloop_core.server.errors import ApiProblem
from humanloop_core.server.rendering import MAX_ITERATIONS, render_messages, template_variables

CHAT = [{"role": "system", "content": "You answer in {{ language }}."},
        {"role": "user", "content": [{"type": "text", "text": "Q: {{question}}"},
                                     {"type": "image_url", "image_url": {"url": "https://x/{{question}}.png"}}]}]


def detail(exc: pytest.ExceptionInfo[ApiProblem]) -> str:
    return str(exc.value.detail[0]["msg"])


def test_default_syntax_fills_variables_with_or_without_spaces_and_json_for_non_strings() -> None:
    rendered = render_messages(CHAT, {"language": "French", "question": {"q": 1}})
    assert rendered[0]["content"] == "You answer in French."
    assert rendered[1]["content"][0]["text"] == 'Q: {"q": 1}'
    assert rendered[1]["content"][1]["image_url"]["url"] == "https://x/{{question}}.png"  # only text is a template
    assert template_variables(CHAT) == ["language", "question"]


def test_missing_inputs_are_a_422_naming_each() -> None:
    with pytest.raises(ApiProblem) as failed:
        render_messages(CHAT, {"question": "x"})
    assert failed.value.status == 422 and "language" in detail(failed) and "question" not in detail(failed)
    with pytest.raises(ApiProblem, match="user") as failed_jinja:
        render_messages("Hi {{ user.name }}{% for x in items %}{{ x }}{% endfor %}", {"items": []}, "jinja")
    assert failed_jinja.value.status == 422


def test_template_tools_insert_a_snippets_text() -> None:
    snippets = {("context", "pricing"): "Plans cost $10.", ("context", "refunds"): "30 days."}

    def lookup(name: str, key: str) -> str | None:
        return snippets.get((name, key))

    text = "{{ context(pricing) }} {{context('refunds')}} {{ context(topic) }}"
    out = render_messages(text, {"topic": "refunds"}, snippets=lookup)[0]["content"]
    assert out == "Plans cost $10. 30 days. 30 days."  # a bare word that is an input is its value
    with pytest.raises(ApiProblem, match="'missing'") as failed:
        render_messages("{{ context(missing) }}", {}, snippets=lookup)
    assert failed.value.status == 422


def test_jinja_renders_loops_conditions_filters() -> None:
    template = ("{% for d in docs %}- {{ d.title | upper }}{% if not loop.last %}\n{% endif %}{% endfor %}"
                "{% if urgent %} (urgent){% endif %}")
    out = render_messages(template, {"docs": [{"title": "a"}, {"title": "b"}], "urgent": True}, "jinja")
    assert out[0]["content"] == "- A\n- B (urgent)"
    assert template_variables(template, "jinja") == ["docs", "urgent"]


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ("{{ cycler.__init__.__globals__ }}", "unsafe"),
    ("{{ items.append(1) }}", "unsafe"),  # immutable: inputs cannot be changed
    ("{{ 'x' * 100000000 }}", "output limit"),
    ("{{ 10 ** 100000 }}", "exponent"),
    (f"{{% for i in range({MAX_ITERATIONS}) %}}{{% for j in range(2) %}}{{% endfor %}}{{% endfor %}}", "range()"),
    ("{% for x in %}", "syntax error"),
])
def test_jinja_is_sandboxed_and_bounded(template: str, expected: str) -> None:
    with pytest.raises(ApiProblem) as failed:
        render_messages(template, {"items": []}, "jinja")
    assert failed.value.status == 422 and expected in detail(failed)


def test_unknown_template_language_is_refused() -> None:
    with pytest.raises(ApiProblem, match="template_language"):
        render_messages("x", {}, "mustache")


def test_snippet_tools_through_the_server(tmp_path: Path) -> None:
    with LocalServer(db=tmp_path / "db.sqlite") as srv, httpx.Client(
            base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        made = http.post("/tools", json={"path": "kb", "setup_values": {"hours": "Open 9 to 5."}})
        assert made.status_code == 200, made.text
        body = {"path": "templated", "prompt": {"model": "mock-1", "provider": "mock",
                                                "template": "{{ kb(hours) }} When can I come, {{name}}?"},
                "inputs": {"name": "Ann"}}
        called = http.post("/prompts/call", json=body)
        assert called.status_code == 200, called.text
        assert called.json()["logs"][0]["output"] == "You said: Open 9 to 5. When can I come, Ann?"
        missing = http.post("/prompts/call", json={**body, "prompt": {**body["prompt"],
                                                                       "template": "{{ kb(weekend) }}"}})
        assert missing.status_code == 422 and "weekend" in missing.text


@pytest.mark.skipif("template_language" not in t.PromptKernelRequest.model_fields,
                    reason="the wire types do not carry template_language yet")
def test_jinja_prompt_through_the_server(tmp_path: Path) -> None:
    with LocalServer(db=tmp_path / "db.sqlite") as srv, httpx.Client(
            base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        prompt: dict[str, Any] = {"model": "mock-1", "provider": "mock", "template_language": "jinja",
                                  "template": "{% for c in cities %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}"}
        called = http.post("/prompts/call", json={"path": "jinja", "prompt": prompt,
                                                  "inputs": {"cities": ["Oslo", "Rome"]}})
        assert called.status_code == 200, called.text
        assert called.json()["logs"][0]["output"] == "You said: Oslo, Rome"
        refused = http.post("/prompts/call", json={"path": "jinja", "prompt": prompt, "inputs": {}})
        assert refused.status_code == 422 and "cities" in refused.text
