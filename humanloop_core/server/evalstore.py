"""Storage of the evaluation machinery: runs, monitoring activations and the durable job queue.

A mixin over a store's three primitives (``_all``, ``_one``, ``_write``: one transaction per
``_write``), in SQL that SQLite and PostgreSQL share (``ON CONFLICT DO NOTHING``, no JSON
functions), so both stores get it by inheritance.

Durability: work is a row in ``jobs`` before anyone is told it will happen, and it leaves
the ``queued``/``running`` states only once its effect (a log with an id derived from the job)
is committed. Logs reach monitors through an outbox: a trigger adds a row to ``log_outbox``
in the transaction that inserts a log that may need work (its file has monitors, or its body
names a ``run_id``), and the jobs a batch of outbox rows causes and the rows' removal are one
transaction. So a log committed before a crash is scanned after it, and no log is skipped
whatever order concurrent writers commit in (a cursor over ``logs.seq`` skipped a log that
committed after a newer one, as PostgreSQL's concurrent transactions do).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

Row = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs(
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, run_id TEXT, payload TEXT NOT NULL,
    state TEXT NOT NULL, claim TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created_at);
CREATE INDEX IF NOT EXISTS jobs_run ON jobs(run_id, state);
CREATE TABLE IF NOT EXISTS monitors(
    file_id TEXT NOT NULL, evaluator_id TEXT NOT NULL, version_id TEXT, environment_id TEXT,
    created_at TEXT NOT NULL, PRIMARY KEY(file_id, evaluator_id));
CREATE TABLE IF NOT EXISTS runs(
    id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluation_runs(
    evaluation_id TEXT NOT NULL, run_id TEXT NOT NULL, added_at TEXT NOT NULL,
    PRIMARY KEY(evaluation_id, run_id));
CREATE INDEX IF NOT EXISTS evaluation_runs_run ON evaluation_runs(run_id);
CREATE TABLE IF NOT EXISTS run_logs(
    run_id TEXT NOT NULL, log_id TEXT NOT NULL, datapoint_id TEXT, PRIMARY KEY(run_id, log_id));
CREATE INDEX IF NOT EXISTS run_logs_log ON run_logs(log_id);
CREATE TABLE IF NOT EXISTS cursors(name TEXT PRIMARY KEY, position INTEGER NOT NULL);
"""

# Job leases (migration 9): who runs a job and until when, renewed while it runs.
LEASES = "ALTER TABLE jobs ADD COLUMN claimed_by TEXT; ALTER TABLE jobs ADD COLUMN lease_until TEXT;"

# The outbox (migration 8). ``queued_at`` is the database's clock when the log was inserted:
# a monitor activated later does not judge the log. Logs past the old cursor (committed but
# not yet scanned when the database is upgraded) are put in the outbox once.
_OUTBOX_TABLE = "CREATE TABLE IF NOT EXISTS log_outbox(log_id TEXT PRIMARY KEY, queued_at TEXT NOT NULL);"
_OUTBOX_SEED = """
INSERT INTO log_outbox SELECT id, {clock} FROM logs WHERE type <> 'evaluator'
    AND seq > COALESCE((SELECT position FROM cursors WHERE name = 'logs'), (SELECT max(seq) FROM logs))
    ON CONFLICT (log_id) DO NOTHING;
"""
_SQLITE_CLOCK = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')"
_POSTGRES_CLOCK = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
OUTBOX_SQLITE = _OUTBOX_TABLE + f"""
CREATE TRIGGER logs_outbox AFTER INSERT ON logs
    WHEN NEW.type <> 'evaluator' AND (instr(NEW.body, '"run_id"') > 0
         OR EXISTS (SELECT 1 FROM monitors WHERE file_id = NEW.file_id))
BEGIN
    INSERT INTO log_outbox VALUES (NEW.id, {_SQLITE_CLOCK}) ON CONFLICT (log_id) DO NOTHING;
END;
""" + _OUTBOX_SEED.format(clock=_SQLITE_CLOCK)
OUTBOX_POSTGRES = _OUTBOX_TABLE + f"""
CREATE OR REPLACE FUNCTION logs_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type <> 'evaluator' AND (strpos(NEW.body, '"run_id"') > 0
            OR EXISTS (SELECT 1 FROM monitors WHERE file_id = NEW.file_id)) THEN
        INSERT INTO log_outbox VALUES (NEW.id, {_POSTGRES_CLOCK}) ON CONFLICT (log_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER logs_outbox AFTER INSERT ON logs FOR EACH ROW EXECUTE FUNCTION logs_outbox();
""" + _OUTBOX_SEED.format(clock=_POSTGRES_CLOCK)

Statement = tuple[str, Sequence[Any]]
OPEN_STATES = ("queued", "running")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def job_row(job_id: str, kind: str, payload: Row, created_at: str, run_id: str | None = None) -> Row:
    return {"id": job_id, "kind": kind, "run_id": run_id, "payload": payload, "created_at": created_at}


def _insert_jobs(jobs: Iterable[Row]) -> list[Statement]:
    return [("INSERT INTO jobs(id, kind, run_id, payload, state, created_at, updated_at)"
             " VALUES (?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
             (j["id"], j["kind"], j.get("run_id"), _dumps(j["payload"]), "queued", j["created_at"],
              j["created_at"])) for j in jobs]


def _insert_run_logs(run_id: str, links: Iterable[tuple[str, str | None]]) -> list[Statement]:
    return [("INSERT INTO run_logs VALUES (?,?,?) ON CONFLICT (run_id, log_id) DO NOTHING",
             (run_id, log_id, datapoint_id)) for log_id, datapoint_id in links]


class EvalTables(Protocol):
    """The methods, shared by inheritance (a protocol's methods are inherited by classes
    that name it); the host class supplies ``_all``, ``_one`` and ``_write``."""

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...
    def _one(self, sql: str, args: Sequence[Any] = ()) -> Row | None: ...
    def _write(self, statements: Sequence[Statement]) -> Any: ...

    # -- jobs -------------------------------------------------------------------------------
    def enqueue_jobs(self, jobs: Sequence[Row]) -> None:
        """Queue jobs; a job id already known (queued, running or done) is left alone."""
        if jobs:
            self._write(_insert_jobs(jobs))

    def claim_jobs(self, limit: int, now: str, owner: str | None = None,
                   lease_until: str | None = None) -> list[Row]:
        """Move up to ``limit`` queued jobs to ``running`` for ``owner``, oldest first, leased
        until ``lease_until`` (no lease: any restart may take them back)."""
        claim = secrets.token_hex(8)
        self._write([("UPDATE jobs SET state='running', claim=?, claimed_by=?, lease_until=?, updated_at=?"
                      " WHERE state='queued' AND id IN (SELECT id FROM jobs WHERE state='queued'"
                      " ORDER BY created_at LIMIT ?)", (claim, owner, lease_until, now, limit))])
        rows = self._all("SELECT * FROM jobs WHERE claim=? AND state='running'", (claim,))
        return [{**r, "payload": json.loads(r["payload"])} for r in rows]

    def renew_leases(self, owner: str, lease_until: str) -> None:
        """The running jobs ``owner`` claimed stay its own until ``lease_until``."""
        self._write([("UPDATE jobs SET lease_until=? WHERE claimed_by=? AND state='running'",
                      (lease_until, owner))])

    def has_queued_jobs(self) -> bool:
        """A read, so an idle worker polls without taking the write lock."""
        return self._one("SELECT id FROM jobs WHERE state='queued' LIMIT 1") is not None

    def job_errors(self, run_id: str) -> list[str]:
        return [r["error"] for r in self._all("SELECT error FROM jobs WHERE run_id=? AND state='failed'"
                                              " ORDER BY updated_at", (run_id,))]

    def finish_job(self, job_id: str, state: str, now: str, error: str | None = None) -> None:
        self._write([("UPDATE jobs SET state=?, error=?, updated_at=? WHERE id=?",
                      (state, error, now, job_id))])

    def release_jobs(self, owner: str, now: str) -> None:
        """A process stopping cleanly hands its running jobs back to the queue at once."""
        self._write([("UPDATE jobs SET state='queued', claim=NULL, claimed_by=NULL, lease_until=NULL,"
                      " updated_at=? WHERE claimed_by=? AND state='running'", (now, owner))])

    def requeue_expired_jobs(self, now: str) -> int:
        """Running jobs whose lease ran out (their process stopped or died: a live one renews
        its leases) go back to the queue; their effects are keyed by job, so running one again
        cannot judge a log twice. Jobs of a live process, replica or ``--workers`` sibling,
        are left to it."""
        expired = "state='running' AND (lease_until IS NULL OR lease_until < ?)"
        found = self._one(f"SELECT count(*) AS n FROM jobs WHERE {expired}", (now,))
        if found and int(found["n"]):
            self._write([(f"UPDATE jobs SET state='queued', claim=NULL, claimed_by=NULL, lease_until=NULL,"
                          f" updated_at=? WHERE {expired}", (now, now))])
        return int(found["n"]) if found else 0

    def open_jobs(self, run_id: str) -> int:
        found = self._one("SELECT count(*) AS n FROM jobs WHERE run_id=? AND state IN ('queued','running')",
                          (run_id,))
        return int(found["n"]) if found else 0

    def cancel_jobs(self, run_id: str, now: str) -> None:
        self._write([("UPDATE jobs SET state='cancelled', updated_at=? WHERE run_id=? AND state='queued'",
                      (now, run_id))])

    # -- the log outbox ----------------------------------------------------------------------
    def outbox_logs(self, limit: int) -> list[Row]:
        """Up to ``limit`` outbox entries, each with its log's columns (``id`` None when the
        log was deleted before it was scanned) and ``queued_at``."""
        rows = self._all("SELECT o.log_id, o.queued_at, l.seq, l.id, l.type, l.file_id, l.version_id,"
                         " l.parent_id, l.source_datapoint_id, l.body FROM log_outbox o"
                         " LEFT JOIN logs l ON l.id = o.log_id ORDER BY o.queued_at LIMIT ?", (limit,))
        return [{**r, "body": json.loads(r["body"]) if r["body"] is not None else {}} for r in rows]

    def finish_outbox(self, log_ids: Sequence[str], jobs: Sequence[Row],
                      run_links: Sequence[tuple[str, str, str | None]]) -> None:
        """Queue ``jobs``, link logs to runs and drop the outbox entries, in one transaction
        (two scanners racing queue the same idempotent jobs and links)."""
        statements = _insert_jobs(jobs)
        for run_id, log_id, datapoint_id in run_links:
            statements += _insert_run_logs(run_id, [(log_id, datapoint_id)])
        statements += [("DELETE FROM log_outbox WHERE log_id=?", (log_id,)) for log_id in log_ids]
        self._write(statements)

    # -- monitoring -------------------------------------------------------------------------
    def set_monitors(self, file_id: str, activate: Sequence[Row], deactivate: Sequence[str], now: str) -> None:
        """Activations are keyed by (file, evaluator file): activating again replaces."""
        statements: list[Statement] = [("DELETE FROM monitors WHERE file_id=? AND evaluator_id=?",
                                        (file_id, evaluator_id)) for evaluator_id in deactivate]
        for row in activate:
            statements.append(("DELETE FROM monitors WHERE file_id=? AND evaluator_id=?",
                               (file_id, row["evaluator_id"])))
            statements.append(("INSERT INTO monitors VALUES (?,?,?,?,?)",
                               (file_id, row["evaluator_id"], row.get("version_id"),
                                row.get("environment_id"), now)))
        if statements:
            self._write(statements)

    def list_monitors(self, file_id: str | None = None) -> list[Row]:
        if file_id is None:
            return self._all("SELECT * FROM monitors ORDER BY created_at")
        return self._all("SELECT * FROM monitors WHERE file_id=? ORDER BY created_at", (file_id,))

    # -- runs -------------------------------------------------------------------------------
    def create_run(self, evaluation_id: str, run: Row, jobs: Sequence[Row],
                   links: Sequence[tuple[str, str | None]] = ()) -> None:
        """A run, its place in the evaluation, its first logs and its jobs: one transaction."""
        self._write([("INSERT INTO runs VALUES (?,?,?)", (run["id"], _dumps(run), run["created_at"])),
                     ("INSERT INTO evaluation_runs VALUES (?,?,?)", (evaluation_id, run["id"], run["created_at"])),
                     *_insert_run_logs(run["id"], links), *_insert_jobs(jobs)])

    def put_run(self, run: Row) -> None:
        self._write([("UPDATE runs SET body=? WHERE id=?", (_dumps(run), run["id"]))])

    def get_run(self, run_id: str) -> Row | None:
        row = self._one("SELECT body FROM runs WHERE id=?", (run_id,))
        return json.loads(row["body"]) if row else None

    def evaluation_runs(self, evaluation_id: str) -> list[Row]:
        """The evaluation's runs, newest first, each with ``added_at`` in this evaluation."""
        rows = self._all("SELECT r.body, e.added_at FROM evaluation_runs e JOIN runs r ON r.id = e.run_id"
                         " WHERE e.evaluation_id=? ORDER BY r.created_at DESC", (evaluation_id,))
        return [{**json.loads(r["body"]), "added_at": r["added_at"]} for r in rows]

    def run_evaluations(self, run_id: str) -> list[str]:
        return [r["evaluation_id"] for r in
                self._all("SELECT evaluation_id FROM evaluation_runs WHERE run_id=?", (run_id,))]

    def add_run_to_evaluation(self, evaluation_id: str, run_id: str, now: str) -> None:
        self._write([("INSERT INTO evaluation_runs VALUES (?,?,?) ON CONFLICT (evaluation_id, run_id)"
                      " DO NOTHING", (evaluation_id, run_id, now))])

    def remove_run_from_evaluation(self, evaluation_id: str, run_id: str) -> None:
        self._write([("DELETE FROM evaluation_runs WHERE evaluation_id=? AND run_id=?",
                      (evaluation_id, run_id))])

    def link_run_logs(self, run_id: str, links: Sequence[tuple[str, str | None]]) -> None:
        if links:
            self._write(_insert_run_logs(run_id, links))

    def run_log_links(self, run_id: str) -> list[Row]:
        """``{log_id, datapoint_id}`` of the run's logs that still exist, oldest first."""
        return self._all("SELECT rl.log_id, rl.datapoint_id FROM run_logs rl JOIN logs l ON l.id = rl.log_id"
                         " WHERE rl.run_id=? ORDER BY l.seq", (run_id,))

    def runs_of_log(self, log_id: str) -> list[str]:
        return [r["run_id"] for r in self._all("SELECT run_id FROM run_logs WHERE log_id=?", (log_id,))]
