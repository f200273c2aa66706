"""The schema, as an ordered list of forward migrations for both stores.

A database records the migrations applied to it in ``schema_version``; opening a store
applies the missing ones, in order, in one transaction (other replicas starting at the same
moment wait for it, then find nothing left to do). Migration 1 is the schema of the first
release written with ``IF NOT EXISTS``, so a database made by that release (which had no
``schema_version`` table) is adopted unchanged and then brought forward like any other.

To change the schema, append ONE entry to :data:`MIGRATIONS` with the next number::

    Migration(3, "versions: name and description",
              "ALTER TABLE versions ADD COLUMN version_name TEXT;"
              " ALTER TABLE versions ADD COLUMN version_description TEXT;"),

``sql`` runs on both SQLite and PostgreSQL; give ``postgres=`` only where the dialects
differ (types such as ``BLOB``/``BYTEA``, ``AUTOINCREMENT``/``IDENTITY``, triggers). Never edit
an entry that has shipped: databases out there already ran it. Two branches that both took
number ``n`` meet as a rebase conflict on this list: keep both entries and renumber yours
(``check_order`` refuses gaps and repeats at import). SQLite skips an ``ADD COLUMN`` whose
column exists already, so a development database that got a column before its migration was
numbered still opens. ``tests/server/test_migrations.py``
checks that a first-release SQLite file opens and reaches :data:`LATEST`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import evalstore, otlp_store

Dialect = Literal["sqlite", "postgres"]

SCHEMA_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TEXT NOT NULL)")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    postgres: str | None = None

    def script(self, dialect: Dialect) -> str:
        return self.postgres if dialect == "postgres" and self.postgres is not None else self.sql


_BASELINE_SQLITE = """
CREATE TABLE IF NOT EXISTS files(
    id TEXT PRIMARY KEY, type TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_used_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, file_id TEXT NOT NULL,
    hash TEXT NOT NULL, kernel TEXT NOT NULL, commit_message TEXT, status TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE(file_id, hash));
CREATE TABLE IF NOT EXISTS environments(
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, tag TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments(
    file_id TEXT NOT NULL, environment_id TEXT NOT NULL, version_id TEXT NOT NULL,
    PRIMARY KEY(file_id, environment_id));
CREATE TABLE IF NOT EXISTS logs(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    file_id TEXT NOT NULL, version_id TEXT NOT NULL, created_at TEXT NOT NULL,
    trace_parent_id TEXT, parent_id TEXT, evaluation_id TEXT, source_datapoint_id TEXT,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logs_file ON logs(file_id, seq);
CREATE INDEX IF NOT EXISTS logs_file_version ON logs(file_id, version_id);
CREATE INDEX IF NOT EXISTS logs_trace ON logs(trace_parent_id);
CREATE INDEX IF NOT EXISTS logs_parent ON logs(parent_id);
CREATE INDEX IF NOT EXISTS logs_evaluation ON logs(evaluation_id);
CREATE TABLE IF NOT EXISTS datapoints(
    version_id TEXT NOT NULL, idx INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY(version_id, idx));
CREATE TABLE IF NOT EXISTS directories(
    id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replays(
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    content_type TEXT NOT NULL, body BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS replays_age ON replays(created_at);
CREATE TABLE IF NOT EXISTS evaluations(
    id TEXT PRIMARY KEY, file_id TEXT, body TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL);
"""

# The same tables; ``seq`` columns give files an insertion order as SQLite's rowid does, and
# two functions give the shared queries SQLite's ``name_of`` and ``json_extract``.
_BASELINE_POSTGRES = (
    _BASELINE_SQLITE
    .replace("seq INTEGER PRIMARY KEY AUTOINCREMENT", "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
    .replace("id TEXT PRIMARY KEY, type TEXT NOT NULL,",
             "id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY, type TEXT NOT NULL,")
    .replace("BLOB", "BYTEA")
) + """
CREATE OR REPLACE FUNCTION name_of(p TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE
    AS $$ SELECT regexp_replace(p, '^.*/', '') $$;
CREATE OR REPLACE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE
    AS $$ SELECT doc::json #>> string_to_array(substr(path, 3), '.') $$;
"""

_LOG_COUNTS_TABLE = """
CREATE TABLE IF NOT EXISTS log_counts(
    file_id TEXT NOT NULL, version_id TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(file_id, version_id));
INSERT INTO log_counts SELECT file_id, version_id, count(*) FROM logs GROUP BY file_id, version_id;
"""
_LOG_COUNTS_SQLITE = _LOG_COUNTS_TABLE + """
CREATE TRIGGER logs_count_insert AFTER INSERT ON logs BEGIN
    INSERT INTO log_counts VALUES (NEW.file_id, NEW.version_id, 1)
        ON CONFLICT(file_id, version_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER logs_count_delete AFTER DELETE ON logs BEGIN
    UPDATE log_counts SET n = n - 1 WHERE file_id = OLD.file_id AND version_id = OLD.version_id;
END;
CREATE TRIGGER logs_count_update AFTER UPDATE OF file_id, version_id ON logs BEGIN
    UPDATE log_counts SET n = n - 1 WHERE file_id = OLD.file_id AND version_id = OLD.version_id;
    INSERT INTO log_counts VALUES (NEW.file_id, NEW.version_id, 1)
        ON CONFLICT(file_id, version_id) DO UPDATE SET n = n + 1;
END;
"""
_LOG_COUNTS_POSTGRES = _LOG_COUNTS_TABLE + """
CREATE OR REPLACE FUNCTION logs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE log_counts SET n = n - 1 WHERE file_id = OLD.file_id AND version_id = OLD.version_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO log_counts VALUES (NEW.file_id, NEW.version_id, 1)
            ON CONFLICT (file_id, version_id) DO UPDATE SET n = log_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER logs_count AFTER INSERT OR DELETE OR UPDATE OF file_id, version_id ON logs
    FOR EACH ROW EXECUTE FUNCTION logs_count();
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "baseline: the schema of the first release", _BASELINE_SQLITE, _BASELINE_POSTGRES),
    # Version names and descriptions (issue 11), and ``saved_seq``, the order of explicit
    # saves: versions of an older database count as saved in creation order. Names are
    # unique per file among live versions; a deleted version frees its name.
    Migration(2, "versions: name, description and order of saves",
              "ALTER TABLE versions ADD COLUMN version_name TEXT;"
              " ALTER TABLE versions ADD COLUMN version_description TEXT;"
              " ALTER TABLE versions ADD COLUMN saved_seq INTEGER;"
              " UPDATE versions SET saved_seq=seq WHERE saved_seq IS NULL;"
              " CREATE UNIQUE INDEX IF NOT EXISTS versions_name ON versions(file_id, version_name)"
              " WHERE version_name IS NOT NULL AND status != 'deleted';"),
    # Idempotency keys are reserved before the request runs: ``owner`` is the request holding
    # the reservation, ``applied`` what its first write stored (both NULL in answers stored by
    # the first release).
    Migration(3, "replays: reservation owner and applied mark",
              "ALTER TABLE replays ADD COLUMN owner TEXT; ALTER TABLE replays ADD COLUMN applied TEXT;"),
    # Evaluation runs, monitoring activations and the job queue (issue 13). The schema text
    # lives with its queries in evalstore; a later change to those tables is a new entry.
    Migration(4, "evaluation runs, monitors, jobs and cursors", evalstore.SCHEMA),
    Migration(5, "tool environment variables",
              "CREATE TABLE IF NOT EXISTS file_env_vars(file_id TEXT NOT NULL, name TEXT NOT NULL,"
              " value TEXT NOT NULL, PRIMARY KEY(file_id, name))"),
    # Logs per version, kept by triggers in the transaction that writes the logs (whatever
    # code writes them): every file response carries these counts, and counting the rows
    # of a busy prompt on each call grew with its log table.
    Migration(6, "log counts per version, kept by triggers", _LOG_COUNTS_SQLITE, _LOG_COUNTS_POSTGRES),
    # OTLP spans that are not logs, so every server process joins a trace's later batches
    # (the process-local memory alone left trees cut across --workers and replicas).
    Migration(7, "otlp spans that are not logs", otlp_store.SCHEMA),
    # Monitors and runs learn of new logs through an outbox filled by a trigger in the log's
    # own transaction (the ``logs`` cursor of migration 4 skipped logs that PostgreSQL
    # committed out of ``seq`` order); see evalstore.
    Migration(8, "log outbox for monitors and runs", evalstore.OUTBOX_SQLITE, evalstore.OUTBOX_POSTGRES),
    # A process starting up took back every running job, also those a live replica or
    # --workers sibling was running; now only jobs whose lease expired are taken back.
    Migration(9, "job leases", evalstore.LEASES),
    # A file's description, tags and readme (JSON): file-level, as in Humanloop (the SDK's
    # kernel requests lack them), so changing one edits the file instead of making a version.
    Migration(10, "files: description, tags and readme", "ALTER TABLE files ADD COLUMN meta TEXT"),
)
LATEST = MIGRATIONS[-1].version


def pending(current: int) -> list[Migration]:
    """The migrations a database at ``current`` still needs, in order."""
    if current > LATEST:
        raise RuntimeError(f"the database schema is at version {current}, newer than this server "
                           f"knows ({LATEST}): upgrade humanloop-core to open it")
    return [m for m in MIGRATIONS if m.version > current]


def check_order() -> None:
    """Numbers run 1, 2, 3, ... without gaps: a merge that reused a number fails here."""
    numbers = [m.version for m in MIGRATIONS]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migration numbers must run 1..n in order, got {numbers}")


check_order()
