"""The official humanloop==0.8.38 SDK's @tool, @prompt and @flow store their logs here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from humanloop_core.server import LocalServer

ROOT = Path(__file__).resolve().parents[2]


def run(local_server: LocalServer, prefix: str, mode: str) -> list[object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "tests.server.official_decorators", local_server.base_url,
                           local_server.api_key, prefix, mode], capture_output=True, text=True,
                          timeout=90, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def logs_of(server: LocalServer, path: str) -> list[dict]:
    file = server.store.get_file_by_path(path)
    assert file is not None, f"nothing stored at {path}"
    rows, _ = server.store.list_logs({"file_id": file["id"]}, 1, 10)
    return rows


def test_official_tool_and_prompt_decorators(local_server: LocalServer, unique_path: str) -> None:
    assert run(local_server, unique_path, "flat") == [5, "Fake answer to: hi there"]
    [tool] = logs_of(local_server, f"{unique_path}/calculator")
    assert tool["body"]["inputs"] == {"a": "2", "b": "3"} and tool["body"]["output"] == "5"
    version = local_server.store.get_version(tool["version_id"])
    function = version["kernel"]["function"]  # type: ignore[index]
    assert function["name"] == "calculator" and function["description"] == "Add two numbers."
    assert function["parameters"]["required"] == ["a", "b"] and function["strict"] is True
    [prompt] = logs_of(local_server, f"{unique_path}/answerer")
    body = prompt["body"]
    assert body["messages"] == [{"role": "user", "content": "hi there"}]
    assert (body["output"], body["prompt_tokens"], body["output_tokens"], body["finish_reason"]) == (
        "Fake answer to: hi there", 11, 5, "stop")
    kernel = local_server.store.get_version(prompt["version_id"])["kernel"]  # type: ignore[index]
    assert (kernel["model"], kernel["provider"], kernel["temperature"]) == ("gpt-4o-mini", "openai", 0.3)


def test_official_nested_flow_tool_prompt(local_server: LocalServer, unique_path: str) -> None:
    out = run(local_server, unique_path, "nested")
    assert out == ["Fake answer to: sum? 5"]
    [flow] = logs_of(local_server, f"{unique_path}/agent")
    assert flow["body"]["trace_status"] == "complete" and flow["body"]["output"] == "Fake answer to: sum? 5"
    children = {c["file_id"]: c for c in local_server.store.child_logs("trace_parent_id", flow["id"])}
    tool = local_server.store.get_file_by_path(f"{unique_path}/calculator")
    prompt = local_server.store.get_file_by_path(f"{unique_path}/answerer")
    assert set(children) == {tool["id"], prompt["id"]}  # type: ignore[index]
