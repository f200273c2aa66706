"""The official SDK's README examples, read from its installed METADATA, run against the local
server with ``humanloop`` replaced by ``humanloop_core``.

The server is started with the README's own key (``YOUR_API_KEY``) and reached through
``HUMANLOOP_BASE_URL``, so the client lines run exactly as written. Each other change is a
listed substitution of a placeholder (``...``, ``"string"`` ids) by a value the local server
knows, and the test fails if the README no longer contains the text it replaces.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from humanloop_core import Humanloop
from humanloop_core.server import LocalServer
from tests.spec import SpecRecorder

README_KEY = "YOUR_API_KEY"


def _blocks() -> dict[str, str]:
    """Section heading -> the first python block under it."""
    text = importlib.metadata.distribution("humanloop").read_text("METADATA") or ""
    blocks: dict[str, str] = {}
    heading, fence, code = "", None, []
    for line in text.splitlines(keepends=True):
        if fence is None and line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("```"):
            if fence is None:
                fence, code = line[3:].strip(), []
            else:
                if fence == "python":
                    blocks.setdefault(heading, "".join(code))
                fence = None
        elif fence is not None:
            code.append(line)
    return blocks


BLOCKS = _blocks()
# The keyword arguments of the Usage example's prompts.log call, to fill its `...` elsewhere.
LOG_ARGS = re.search(r"client\.prompts\.log\(\n(.*),\n\)", BLOCKS["Usage"], re.S).group(1)  # type: ignore[union-attr]


def adapt(code: str, *substitutions: tuple[str, str]) -> str:
    code = code.replace("from humanloop", "from humanloop_core")
    for old, new in substitutions:
        assert re.search(old, code), f"the README no longer contains {old!r}"
        code = re.sub(old, new, code)
    if re.search(r"^\s*yield ", code, re.M):  # top-level `yield` in the README: a generator
        body = "".join(f"    {line}\n" for line in code.splitlines())
        code = f"def example():\n{body}\nyielded = list(example())\n"
    return code


def run(code: str, **names: Any) -> tuple[dict[str, Any], str]:
    namespace: dict[str, Any] = {"__name__": "readme_example", **names}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<README example>", "exec"), namespace)  # noqa: S102
    return namespace, out.getvalue()


@pytest.fixture(scope="module")
def readme_server() -> Iterator[LocalServer]:
    with LocalServer(api_key=README_KEY) as srv:
        yield srv


@pytest.fixture
def server(readme_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """The server, reachable through HUMANLOOP_BASE_URL; every request the examples send
    (through clients they build themselves, hence the patched ``send``) must match the spec."""
    monkeypatch.setenv("HUMANLOOP_BASE_URL", readme_server.base_url)
    monkeypatch.delenv("HUMANLOOP_API_KEY", raising=False)
    recorder = SpecRecorder()
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        recorder.requests.append(request)
        return sync_send(self, request, **kwargs)

    async def asend(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        recorder.requests.append(request)
        return await async_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    monkeypatch.setattr(httpx.AsyncClient, "send", asend)
    yield readme_server
    assert recorder.requests
    recorder.check_all()


def _persona_logs(server: LocalServer) -> list[Any]:
    client = Humanloop(api_key=README_KEY, base_url=server.base_url)
    prompt = client.prompts.get(next(p.id for p in client.prompts.list() if p.path == "persona"))
    return list(client.logs.list(file_id=prompt.id))


def test_usage_sync(server: LocalServer) -> None:
    before = len(_persona_logs(server)) if "persona" in _paths(server) else 0
    run(adapt(BLOCKS["Usage"]))
    logs = _persona_logs(server)
    assert len(logs) == before + 1
    assert logs[0].output_message.content.startswith("Well, you know")
    assert logs[0].inputs == {"person": "Trump"}


def test_async_client(server: LocalServer) -> None:
    run(adapt(BLOCKS["Usage"]))  # the persona prompt exists whatever the test order
    before = len(_persona_logs(server))
    run(adapt(BLOCKS["Async Client"]))
    assert len(_persona_logs(server)) == before + 1


def test_exception_handling(server: LocalServer) -> None:
    code = adapt(
        BLOCKS["Exception Handling"],
        # The block uses a `client` made as in Usage; `...` becomes a call the server rejects.
        (r"^", f'from humanloop_core import Humanloop\nclient = Humanloop(api_key="{README_KEY}")\n'),
        (r"client\.prompts\.log\(\.\.\.\)", 'client.prompts.log(id="pr_does_not_exist")'),
    )
    _, printed = run(code)
    status, body = printed.splitlines()[:2]
    assert status == "404" and "pr_does_not_exist" in body


def test_streaming(server: LocalServer) -> None:
    client = Humanloop(api_key=README_KEY)
    prompt = client.prompts.upsert(path="readme/stream", model="mock-1", provider="mock")
    client.prompts.set_deployment(prompt.id, "env_production", version_id=prompt.version_id)
    trace = client.flows.log(path="readme/flow", flow={"attributes": {}})
    dataset = client.datasets.upsert(path="readme/data", datapoints=[{"inputs": {"a": "b"}}])
    datapoint = next(iter(client.datasets.list_datapoints(dataset.id)))
    code = adapt(
        BLOCKS["Streaming"],
        # Placeholder ids and environments -> ones the local server has.
        (r'prompts_call_stream_request_environment="string"',
         'prompts_call_stream_request_environment="production"'),
        (r'\benvironment="string"', 'environment="production"'),
        (r'\bversion_id="string"', "version_id=VERSION_ID"),
        (r'\bpath="string"', "path=PATH"),
        (r'\bid="string"', "id=PROMPT_ID"),
        (r'source_datapoint_id="string"', "source_datapoint_id=DATAPOINT_ID"),
        (r'trace_parent_id="string"', "trace_parent_id=TRACE_ID"),
        # The placeholder model would go to OpenAI; the local mock provider answers instead.
        (r'prompt=\{"model": "string"\}', 'prompt={"model": "mock-1", "provider": "mock"}'),
    )
    namespace, _ = run(code, VERSION_ID=prompt.version_id, PATH=prompt.path, PROMPT_ID=prompt.id,
                       DATAPOINT_ID=datapoint.id, TRACE_ID=trace.id)
    chunks = namespace["yielded"]
    assert len(chunks) > 1 and chunks[-1].finish_reason == "stop"
    assert "".join(c.output or "" for c in chunks).endswith("string")
    assert {c.prompt_id for c in chunks} == {prompt.id}


def _paths(server: LocalServer) -> list[str]:
    client = Humanloop(api_key=README_KEY, base_url=server.base_url)
    return [p.path for p in client.prompts.list()]


def test_pagination_items_and_pages(server: LocalServer) -> None:
    client = Humanloop(api_key=README_KEY)
    for i in range(3):
        client.prompts.upsert(path=f"readme/page-{i}", model="mock-1", provider="mock")
    total = len(_paths(server))
    items_code = adapt(BLOCKS["Pagination"], (r"(?s)# alternatively.*", ""))
    pages_code = adapt(BLOCKS["Pagination"], (r"for item in response:\n    yield item\n", ""))
    items = run(items_code)[0]["yielded"]
    pages = run(pages_code)[0]["yielded"]
    assert len(items) == total >= 3 and len({p.id for p in items}) == total
    assert len(pages) == total and all(len(page.items) == 1 for page in pages)


def test_pagination_page_by_page(server: LocalServer) -> None:
    """The third style: ``items``, ``has_next`` and ``next_page()`` by hand."""
    client = Humanloop(api_key=README_KEY)
    for i in range(2):
        client.prompts.upsert(path=f"readme/manual-{i}", model="mock-1", provider="mock")
    page: Any = client.prompts.list(size=1)
    seen = []
    while page is not None:
        seen.extend(page.items)
        assert page.has_next == (len(seen) < page.page.total)
        page = page.next_page()
    assert len(seen) == len(_paths(server))


class FailOnce(httpx.BaseTransport):
    """A 503 the local server cannot be asked for, then the real server."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.attempts: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts.append(request)
        if len(self.attempts) == 1:
            return httpx.Response(503, json={"detail": "try again"})
        return self.inner.handle_request(request)


def test_retries(server: LocalServer) -> None:
    flaky = FailOnce()
    code = adapt(
        BLOCKS["Retries"],
        (r"^", f'from humanloop_core import Humanloop\nclient = Humanloop(api_key="{README_KEY}", '
               "http_client=httpx.Client(transport=FLAKY))\n"),
        (r"client\.prompts\.log\(\.\.\.,", f"client.prompts.log({LOG_ARGS},"),
    )
    code = "import datetime\n" + code  # LOG_ARGS, from the Usage example, uses it
    run(code, FLAKY=flaky, httpx=httpx)
    assert len(flaky.attempts) == 2
    assert flaky.attempts[0].headers["Idempotency-Key"] == flaky.attempts[1].headers["Idempotency-Key"]


def test_timeouts(server: LocalServer) -> None:
    code = adapt(
        BLOCKS["Timeouts"],
        (r"Humanloop\(\n    \.\.\.,", f'Humanloop(\n    api_key="{README_KEY}",'),
        (r"client\.prompts\.log\(\.\.\.,", f"client.prompts.log({LOG_ARGS},"),
    )
    code = "import datetime\n" + code  # LOG_ARGS, from the Usage example, uses it
    namespace, _ = run(code)
    assert namespace["client"]._transport._timeout == httpx.Timeout(20.0)


def test_custom_httpx_client(server: LocalServer) -> None:
    code = adapt(
        BLOCKS["Custom Client"],
        (r"Humanloop\(\n    \.\.\.,", f'Humanloop(\n    api_key="{README_KEY}",'),
        # httpx 0.28 dropped `proxies=`, and no proxy runs here: the transport line stays.
        (r'        proxies="http://my\.test\.proxy\.example\.com",\n', ""),
        (r"$", "\nlisted = list(client.prompts.list())\n"),
    )
    namespace, _ = run(code)
    transport = namespace["client"]._transport.http_client._transport
    assert isinstance(transport, httpx.HTTPTransport)
    assert isinstance(namespace["listed"], list)
