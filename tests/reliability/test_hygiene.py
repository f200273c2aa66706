"""Resource hygiene: a thousand calls, many of them streams abandoned early, leak nothing.

The server runs as a child process so that every socket and file descriptor counted
here belongs to the client. Open connections may grow only to what the pool keeps
alive (bounded by the concurrency used), and after the clients close, the process is
back to its starting descriptors.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from humanloop_core import AsyncHumanloop, Humanloop
from tests.reliability.server_process import ServerProcess

KERNEL = {"model": "mock-1", "provider": "mock"}
SYNC_CALLS = 500
ASYNC_CALLS = 500
CONCURRENCY = 10
SLACK = 2  # descriptors the runtime may open on its own (an event loop's self-pipe, ...)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ServerProcess(Path(tmp_path_factory.mktemp("hygiene")) / "hygiene.db") as srv:
        yield srv


def _open() -> tuple[int, int]:
    """(open file descriptors, TCP sockets to any peer) of this process."""
    me = psutil.Process()
    return me.num_fds(), len(me.net_connections(kind="tcp"))


def _messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"count to {i % 7 + 3}, please"}]


def _sync_mix(client: Humanloop) -> None:
    for i in range(SYNC_CALLS):
        kind, args = i % 5, {"path": "hygiene/p", "prompt": KERNEL, "messages": _messages(i)}
        if kind == 0:
            assert client.prompts.call(**args).logs
        elif kind == 1:
            assert sum(1 for _ in client.prompts.call(stream=True, **args)) > 1
        elif kind == 2:  # broken off with a bare break: must still release the connection
            for _ in client.prompts.call(stream=True, **args):
                break
        elif kind == 3:
            with client.prompts.call(stream=True, **args) as stream:
                next(iter(stream))
        else:
            client.prompts.call(stream=True, **args).close()  # opened, never read


async def _async_one(client: AsyncHumanloop, i: int) -> None:
    kind, args = i % 5, {"path": "hygiene/p", "prompt": KERNEL, "messages": _messages(i)}
    if kind == 0:
        assert (await client.prompts.call(**args)).logs
    elif kind == 1:
        assert len([c async for c in await client.prompts.call(stream=True, **args)]) > 1
    elif kind == 2:
        async for _ in await client.prompts.call(stream=True, **args):
            break
    elif kind == 3:
        async with await client.prompts.call(stream=True, **args) as stream:
            async for _ in stream:
                break
    else:
        await (await client.prompts.call(stream=True, **args)).aclose()


async def _async_mix(client: AsyncHumanloop) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            await _async_one(client, i)

    await asyncio.gather(*(one(i) for i in range(ASYNC_CALLS)))


def test_thousand_calls_leak_no_fd_or_connection(server: ServerProcess) -> None:
    kwargs = {"api_key": server.api_key, "base_url": server.base_url, "timeout": 30.0}
    gc.collect()
    fds_before, conns_before = _open()

    with Humanloop(**kwargs) as client:
        _sync_mix(client)
        gc.collect()
        fds, conns = _open()
        # A sequential caller needs one pooled connection; each leaked stream would add one.
        assert conns - conns_before <= 2, (
            f"{conns - conns_before} connections open after {SYNC_CALLS} sync calls"
        )
        assert fds - fds_before <= 2 + SLACK

    async def run_async() -> tuple[int, int]:
        async with AsyncHumanloop(**kwargs) as aclient:
            await _async_mix(aclient)
            await asyncio.sleep(0)  # let abandoned async generators be finalised
            gc.collect()
            await asyncio.sleep(0.05)
            return _open()

    fds, conns = asyncio.run(run_async())
    assert conns - conns_before <= CONCURRENCY, (
        f"{conns - conns_before} connections open after {ASYNC_CALLS} async calls"
    )
    assert fds - fds_before <= CONCURRENCY + SLACK

    gc.collect()
    fds_after, conns_after = _open()
    # <=, not ==: a socket left by an earlier test may be collected meanwhile.
    assert conns_after <= conns_before, "connections still open after the clients closed"
    assert fds_after <= fds_before + SLACK, f"{fds_after - fds_before} descriptors leaked"
