"""The package and both adapters stay mypy --strict clean (``make typecheck``) and the tree
lint clean (``make lint``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mypy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_humanloop_core_is_strictly_typed() -> None:
    result = _mypy()  # configured in pyproject: strict, the humanloop_core package
    assert result.returncode == 0, result.stdout + result.stderr


def test_adapters_are_strictly_typed() -> None:
    env = {**os.environ, "MYPYPATH": "integrations/langchain:integrations/llama_index"}
    result = _mypy("--strict", "--namespace-packages", "--explicit-package-bases",
                   "-p", "langchain_humanloop", "-p", "llama_index.llms.humanloop", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tree_is_lint_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "humanloop_core", "integrations", "tests",
         "examples", "scripts"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
