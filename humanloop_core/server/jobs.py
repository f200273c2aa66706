"""The durable jobs of the evaluation machinery, and the ids that make them idempotent.

A job's id names its effect: ``judge:<log>:<evaluator version>`` stores one judgment whose
log id is derived from the job id, ``generate:<run>:<datapoint>`` one log of a run. Queueing
a job twice is a no-op, and running one twice (after a crash) finds its effect stored.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .evalstore import job_row
from .store import Row, now

JUDGE = "judge"
GENERATE = "generate"


def effect_id(job_id: str) -> str:
    """The id of the log a job stores: a pure function of the job."""
    return "log_" + hashlib.sha256(job_id.encode()).hexdigest()[:20]


def judge_job(log_id: str, evaluator_version_id: str, run_id: str | None = None,
              datapoint_id: str | None = None) -> Row:
    payload: dict[str, Any] = {"log_id": log_id, "evaluator_version_id": evaluator_version_id}
    if datapoint_id:
        payload["datapoint_id"] = datapoint_id
    return job_row(f"{JUDGE}:{log_id}:{evaluator_version_id}", JUDGE, payload, now(), run_id)


def generate_job(run_id: str, datapoint_id: str) -> Row:
    return job_row(f"{GENERATE}:{run_id}:{datapoint_id}", GENERATE,
                   {"run_id": run_id, "datapoint_id": datapoint_id}, now(), run_id)
