"""The price table: shipped data, an override file that wins and is re-read when edited,
dated names priced as their base model, cost on logs posted without one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from humanloop_core.server import LocalServer, prices
from humanloop_core.server.providers._eventstream import (
    EventStreamDecoder,
    EventStreamError,
    encode,
)


@pytest.mark.parametrize(("provider", "model", "expected"), [
    ("openai", "gpt-4o-mini-2024-07-18", (0.15, 0.6)),
    ("openai", "gpt-4-0613", (30.0, 60.0)),
    ("openai_azure", "gpt-4o", (2.5, 10.0)),  # Azure reads OpenAI's prices
    ("anthropic", "claude-3-5-haiku-20241022", (0.8, 4.0)),
    ("bedrock", "us.anthropic.claude-3-haiku-20240307-v1:0", (0.25, 1.25)),
    ("google", "gemini-1.5-pro-002", (1.25, 5.0)),
    ("cohere", "command-a-03-2025", (2.5, 10.0)),
    ("openai", "no-such-model", None),
])
def test_dated_and_versioned_names_find_their_base_price(provider: str, model: str, expected: Any) -> None:
    assert prices.price(provider, model) == expected


def test_override_file_wins_and_is_reread_when_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"providers": {"openai": {"gpt-4o-mini": [1.0, 2.0], "my-finetune": [3, 4]}}}))
    monkeypatch.setenv(prices.ENV, str(path))
    assert prices.cost("openai", "gpt-4o-mini-2024-07-18", 1_000_000, 500_000) == (1.0, 1.0)
    assert prices.price("openai", "my-finetune") == (3.0, 4.0) and prices.price("openai", "gpt-4o") == (2.5, 10.0)
    path.write_text(json.dumps({"providers": {"openai": {"gpt-4o-mini": [5.0, 6.0]}}}))
    os.utime(path, (1, 1))  # a different mtime, whatever the clock's resolution
    assert prices.price("openai", "gpt-4o-mini") == (5.0, 6.0)


def test_a_price_file_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("[]")
    with pytest.raises(ValueError, match="providers"):
        prices.table(str(path))


def test_prompt_logs_posted_with_tokens_get_their_cost(tmp_path: Path) -> None:
    with LocalServer(db=tmp_path / "db.sqlite") as srv, httpx.Client(
            base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        body = {"path": "priced", "prompt": {"model": "gpt-4o-2024-08-06", "provider": "openai"},
                "output": "hi", "prompt_tokens": 2000, "output_tokens": 100}
        logged = http.post("/prompts/log", json=body).json()
        stored = http.get(f"/logs/{logged['id']}").json()
        assert (stored["prompt_cost"], stored["output_cost"]) == (0.005, 0.001)
        stated = http.post("/prompts/log", json={**body, "prompt_cost": 9.0}).json()
        assert http.get(f"/logs/{stated['id']}").json()["prompt_cost"] == 9.0  # what a caller states stands


def test_event_stream_frames_split_anywhere_and_checksums_checked() -> None:
    frames = encode({":event-type": "messageStart"}, b'{"role":"assistant"}') + encode({":event-type": "x"}, b"{}")
    decoder = EventStreamDecoder()
    got = [m for i in range(len(frames)) for m in decoder.feed(frames[i:i + 1])]
    assert [m.headers[":event-type"] for m in got] == ["messageStart", "x"] and got[0].payload == b'{"role":"assistant"}'
    broken = bytearray(frames)
    broken[-1] ^= 0xFF
    with pytest.raises(EventStreamError, match="checksum"):
        EventStreamDecoder().feed(bytes(broken))


def test_readme_provider_table_is_generated_from_the_capabilities() -> None:
    from humanloop_core.server.providers.table import markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("<!-- providers:start -->\n", 1)[1].split("\n<!-- providers:end -->", 1)[0]
    assert section == markdown()


@pytest.mark.parametrize("token", [None, "session-token"])
def test_sigv4_matches_botocores_signer(token: str | None) -> None:
    from datetime import datetime, timezone

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from humanloop_core.server.providers import _sigv4

    url = "https://bedrock-runtime.eu-west-1.amazonaws.com/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    now = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    ours = _sigv4.sign("POST", url, b'{"messages":[]}', region="eu-west-1", service="bedrock",
                       access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG", token=token, now=now)
    theirs = AWSRequest(method="POST", url=url, data=b'{"messages":[]}',
                        headers={k: v for k, v in ours.items() if k not in ("authorization", "host")})
    theirs.context["timestamp"] = ours["x-amz-date"]
    auth = SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token), "bedrock", "eu-west-1")
    expected = auth.signature(auth.string_to_sign(theirs, auth.canonical_request(theirs)), theirs)
    assert ours["authorization"].endswith(f"Signature={expected}")
    assert ours["x-amz-date"] == "20250304T050607Z" and ("x-amz-security-token" in ours) == bool(token)
