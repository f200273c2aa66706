"""The sandbox on its own: what user code can and cannot do, and how each failure reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from humanloop_core.server.sandbox import Sandbox

LOG = {"output": "four", "inputs": {"question": "2+2?"}}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = Sandbox(timeout=1.0, memory_mb=256)
    yield box
    await box.close()


async def test_runs_the_last_function_with_the_log_and_captures_print(sandbox: Sandbox) -> None:
    code = ("import json, re\n"
            "def helper(text):\n    return len(re.findall(r'\\w', text))\n"
            "def judge(log):\n    print('judging', log['inputs']['question'])\n"
            "    return helper(log['output']) == 4\n")
    result = await sandbox.run(code, [LOG])
    assert (result.ok, result.kind, result.value) == (True, "ok", True)
    assert result.stdout == "judging 2+2?\n"


async def test_a_named_entry_point_wins_over_the_last_function(sandbox: Sandbox) -> None:
    code = "def add(a, b):\n    return a + b\ndef other():\n    return 0\n"
    assert (await sandbox.run(code, [2, 3], entry="add")).value == 5


async def test_isolation_is_reported(sandbox: Sandbox) -> None:
    await sandbox.run("def f():\n    return 1\n", [])
    assert set(sandbox.isolation) >= {"network_namespace", "chroot", "user", "no_new_privs"}


@pytest.mark.parametrize(("code", "kind", "says"), [
    ("def f(log):\n    while True:\n        pass\n", "timeout", "timed out after 1 s"),
    ("import time\ndef f(log):\n    time.sleep(60)\n", "timeout", "timed out after 1 s"),
    ("def f(log):\n    return len(bytearray(2 * 1024 ** 3))\n", "memory", "out of memory (limit 256 MiB)"),
    ("def f(log):\n    import socket\n    return socket.socket()\n", "error", "module 'socket' is not available"),
    ("def f(log):\n    return open('/etc/hostname').read()\n", "error", "file access is not allowed"),
    ("import os\ndef f(log):\n    return os.listdir('/')\n", "error", "'os.listdir' is not allowed"),
    ("import os\ndef f(log):\n    return dict(os.environ)\n", "ok", ""),
    ("import os\ndef f(log):\n    os.kill(os.getppid(), 9)\n", "error", "'os.kill' is not allowed"),
    ("import os\ndef f(log):\n    return os.fork()\n", "error", "'os.fork' is not allowed"),
    ("def f(log):\n    return {1, 2}\n", "error", "returned a set, which is not JSON"),
    ("def f(log):\n    return float('inf')\n", "error", "returned a float, which is not JSON"),
    ("def f(log):\n    return 1 / 0\n", "error", "ZeroDivisionError: division by zero (line 2, in f)"),
    ("def f(log:\n", "error", "SyntaxError"),
    ("x = 1\n", "error", "the code defines no function to call"),
    ("def f(log):\n    raise SystemExit(3)\n", "error", "SystemExit: 3"),
])
async def test_every_escape_ends_in_a_clear_error(sandbox: Sandbox, code: str, kind: str, says: str) -> None:
    result = await sandbox.run(code, [LOG])
    assert result.kind == kind, result
    assert says in (result.error or ""), result.error
    if kind == "ok":  # the environment is empty (bar Python's own locale coercion)
        assert set(result.value) <= {"LC_CTYPE"}


async def test_the_server_database_is_out_of_reach(sandbox: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "humanloop.sqlite"
    secret.write_text("SECRET ROWS")
    secret.chmod(0o644)  # readable by anyone: only the sandbox's isolation stands in the way
    code = f"def f(log):\n    return open({str(secret)!r}).read()\n"
    result = await sandbox.run(code, [LOG])
    assert not result.ok and "file access is not allowed" in (result.error or "")
    if sandbox.isolation.get("chroot"):
        # Even past the audit hook, the file does not exist in the sandbox's root.
        bypass = (f"import io\ndef f(log):\n    return io.FileIO({str(secret)!r}).read()\n")
        assert "SECRET" not in str((await sandbox.run(bypass, [LOG])).value)


async def test_jobs_share_nothing(sandbox: Sandbox) -> None:
    code = "import json\nSEEN = []\ndef f(x):\n    json.loads('1')\n    SEEN.append(x)\n    return len(SEEN)\n"
    results = await asyncio.gather(*(sandbox.run(code, [i]) for i in range(6)))
    assert [r.value for r in results] == [1] * 6


async def test_slow_jobs_run_side_by_side_and_the_loop_stays_free(sandbox: Sandbox) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    code = "import time\ndef f():\n    time.sleep(0.5)\n    return 1\n"
    results = await asyncio.gather(*(sandbox.run(code, []) for _ in range(4)))
    elapsed = time.monotonic() - started
    ticker.cancel()
    assert [r.value for r in results] == [1] * 4
    assert elapsed < 1.5  # four at once, not one after another
    assert ticks >= 30


async def test_a_killed_zygote_fails_its_jobs_and_the_next_job_restarts_it(sandbox: Sandbox) -> None:
    assert (await sandbox.run("def f():\n    return 1\n", [])).ok
    waiting = asyncio.create_task(sandbox.run("import time\ndef f():\n    time.sleep(30)\n", [], timeout=30))
    await asyncio.sleep(0.2)
    assert sandbox._process is not None
    sandbox._process.kill()
    result = await asyncio.wait_for(waiting, 5)
    assert result.kind == "crash" and "died" in (result.error or "")
    assert (await sandbox.run("def f():\n    return 2\n", [])).value == 2


def test_the_command_line_sets_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from humanloop_core.server import __main__ as cli

    args = cli.parse_args(["--sandbox-timeout", "2.5", "--sandbox-memory-mb", "128"])
    assert (args.sandbox_timeout, args.sandbox_memory_mb) == (2.5, 128)
    monkeypatch.setenv(cli._ENV_SANDBOX_TIMEOUT, "2.5")
    monkeypatch.setenv(cli._ENV_SANDBOX_MEMORY, "128")
    box = cli._sandbox()
    assert (box.timeout, box.memory_mb) == (2.5, 128)
    monkeypatch.delenv(cli._ENV_SANDBOX_TIMEOUT)
    monkeypatch.delenv(cli._ENV_SANDBOX_MEMORY)
    assert (cli._sandbox().timeout, cli._sandbox().memory_mb) == (5.0, 512)
