"""Measured figures, run by ``make bench`` (``python -m tests.benchmarks``), never by ``make test``.

Every bench module exposes ``run() -> list[dict]``; each row is
``{"name", "value", "unit", "ratio"}`` (plus optional ``"target"``). ``ratio`` is the
cost relative to the module's baseline row (time, memory, or inverse throughput), so
1.00x is the baseline and lower is better.
"""
