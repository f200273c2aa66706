"""A real PostgreSQL server for the tests, started from the machine's own binaries.

One server per test session, in a temporary directory, on a free 127.0.0.1 port; each
test gets its own schema (``schema_url``), which is far cheaper than a database. PostgreSQL
refuses to run as root, so under root (CI containers) the data directory belongs to an
unprivileged account (``nobody``) and initdb/pg_ctl run as it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

from tests.reliability.server_process import free_port

UNPRIVILEGED_USER = "nobody"


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: the newest /usr/lib/postgresql/*/bin, else PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
                        if p.split("/")[-2].isdigit() else 0)
    for directory in reversed(candidates):
        if os.access(os.path.join(directory, "initdb"), os.X_OK):
            return Path(directory)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_reason() -> str | None:
    """Why no PostgreSQL can be started here, or None when one can."""
    if find_bindir() is None:
        return ("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin "
                "or on PATH: install the `postgresql` package to run the PostgreSQL tests")
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'humanloop-core[postgres]'"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            return f"running as root and there is no {UNPRIVILEGED_USER!r} account to run PostgreSQL as"
    return None


class PostgresServer:
    def __init__(self) -> None:
        bindir = find_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="humanloop-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = UNPRIVILEGED_USER
            account = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bindir / args[0]), *args[1:]], check=True, user=self._user,
                       cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)

    def start(self) -> PostgresServer:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-instructions")
        # fsync and synchronous_commit stay on (the defaults): the durability tests rely on
        # a COMMIT being on disk.
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def fresh_schema(self) -> str:
        """A URL whose connections work in a new, empty schema."""
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return f"{self.url}?options={quote(f'-csearch_path={schema}')}"
