"""Self-hosting: run the Humanloop-compatible server; point this client and the official SDK at it.

    python examples/self_hosting.py

The same server runs standalone with `humanloop-server` (see its --help), after which
HUMANLOOP_BASE_URL=http://127.0.0.1:PORT/v5 makes any Humanloop client use it.
"""

from __future__ import annotations

import os
import tempfile

import humanloop  # the official SDK (0.8.x), installed with the dev extra
from _local import MOCK_PROMPT

from humanloop_core import Humanloop
from humanloop_core.server import LocalServer


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "humanloop.sqlite")  # a file: data outlives the server process
        with LocalServer(db=db) as server:
            print(f"server listening at {server.base_url} (SQLite at {db})")
            ours = Humanloop(api_key=server.api_key, base_url=server.base_url)
            official = humanloop.Humanloop(api_key=server.api_key, base_url=server.base_url)

            saved = official.prompts.upsert(path="examples/self-hosted", **MOCK_PROMPT)
            print(f"official SDK saved prompt {saved.path!r} version {saved.version_id}")
            fetched = ours.prompts.get(saved.id)
            print(f"humanloop_core read it back: model={fetched.model} provider={fetched.provider}")

            question = [{"role": "user", "content": "Hello from two clients"}]
            a = ours.prompts.call(path="examples/self-hosted", messages=question)
            b = official.prompts.call(path="examples/self-hosted", messages=question)
            print(f"humanloop_core call: {a.logs[0].output!r}")
            print(f"official SDK call:   {b.logs[0].output!r}")
            print(f"same deterministic answer from both clients: {a.logs[0].output == b.logs[0].output}")
            ours.close()


if __name__ == "__main__":
    main()
