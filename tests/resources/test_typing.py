"""What a type checker sees: stream=True selects the stream type, pagers and models carry
their item types, wrong argument types are flagged (mypy on a snippet, strict mode)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

SNIPPET = '''
from humanloop_core import AsyncHumanloop, Humanloop

def sync_part(client: Humanloop) -> None:
    reveal_type(client.prompts.call(path="p"))
    reveal_type(client.prompts.call(path="p", stream=True))
    reveal_type(client.prompts.call_stream(path="p"))
    reveal_type(client.prompts.list())
    reveal_type(client.tools.get("x"))
    reveal_type(client.with_options(timeout=1))
    client.prompts.call(path=1)

async def async_part(client: AsyncHumanloop) -> None:
    reveal_type(await client.prompts.call(path="p"))
    reveal_type(await client.prompts.call(path="p", stream=True))
    reveal_type(await client.datasets.list_datapoints("d"))
'''

EXPECTED = [
    "PromptCallResponse",
    "Stream[PromptCallStreamResponse]",
    "Stream[PromptCallStreamResponse]",
    "SyncPager[PromptResponse]",
    "ToolResponse",
    "Humanloop",
    "PromptCallResponse",
    "AsyncStream[PromptCallStreamResponse]",
    "AsyncPager[DatapointResponse]",
]


@pytest.mark.timeout(300)  # a cold mypy run on a busy machine
def test_revealed_types(tmp_path: Path) -> None:
    source = tmp_path / "snippet.py"
    source.write_text(SNIPPET)
    out, _, _ = mypy_api.run([str(source), "--strict", "--cache-dir", str(tmp_path / "cache"),
                              "--no-error-summary"])
    revealed = [re.sub(r"[\w.]+\.(\w+)", r"\1", m)
                for m in re.findall(r'Revealed type is "(.*)"', out)]
    assert revealed == EXPECTED
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1 and ":11:" in errors[0], out
