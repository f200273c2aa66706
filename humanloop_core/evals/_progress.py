"""A progress bar on a terminal (and nothing when the output is a file or a CI log)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """``done`` of ``total``, redrawn on one line. Thread-safe; silent unless ``stream``
    is a terminal (or ``enabled`` forces it)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int) -> None:
        with self._lock:
            self.done = min(max(done, self.done), self.total)
            if self.enabled:
                self.stream.write("\r\033[K" + self.render())
                self.stream.flush()

    def render(self) -> str:
        width = 30
        filled = int(width * self.done / self.total)
        elapsed = time.monotonic() - self._started
        return (f"{self.label} [{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total}"
                f" {elapsed:.1f}s")

    def close(self) -> None:
        with self._lock:
            if self.enabled:
                self.stream.write("\n")
                self.stream.flush()
