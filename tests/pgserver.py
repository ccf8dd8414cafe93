"""A private, throwaway PostgreSQL server for the test suite.

The storage tests run against SQLite and against a real PostgreSQL, so the same suite proves both.
This module starts one server per test session from the distribution's binaries (``initdb``/``pg_ctl``
under ``/usr/lib/postgresql/<version>/bin``, else on ``PATH``): in a temporary directory, listening on
127.0.0.1 and a free port, with its unix socket in that directory, and with durability switched off
(tests need speed, not crash safety). ``initdb`` refuses to run as root, so as root every server
command runs as the ``postgres`` user through ``runuser``. Nothing here touches a system cluster.

Run it by hand to get a server for a manual session::

    python tests/pgserver.py      # prints the URL, stops on Enter
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.processes import free_port, process_alive

DATABASE = "livehub_test"
SERVER_USER = "postgres"
DIR_PREFIX = "livehub-pg-"
OWNER_FILE = "owner.pid"


class PostgresNotInstalled(RuntimeError):
    """No ``initdb``/``pg_ctl`` was found; install the ``postgresql`` package."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: the newest Debian layout, else ``PATH``."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    raise PostgresNotInstalled("PostgreSQL is not installed: no initdb under /usr/lib/postgresql/*/bin "
                               "or on PATH (apt-get install postgresql)")


def reap_orphans(runner: PostgresServer) -> None:
    """Stop and delete servers left by test sessions that were killed before their teardown ran
    (a ``timeout`` or Ctrl-C twice): their ``owner.pid`` names a process that no longer exists."""
    for owner in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*/{OWNER_FILE}"):
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if process_alive(pid):
            continue
        data = owner.parent / "data"
        if (data / "postmaster.pid").exists():
            runner._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(owner.parent, ignore_errors=True)


class PostgresServer:
    """One private server. ``start()`` initialises and starts it; ``stop()`` stops it and deletes it."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.as_other_user = os.geteuid() == 0
        self.dir: Path | None = None
        self.port = 0

    @property
    def data_dir(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    def url(self, database: str = DATABASE) -> str:
        """A SQLAlchemy URL for ``database`` on this server (trust auth: no password)."""
        return f"postgresql+asyncpg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """A plain libpq/asyncpg DSN for ``database`` on this server."""
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_other_user:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        reap_orphans(self)
        self.dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        (self.dir / OWNER_FILE).write_text(str(os.getpid()))
        if self.as_other_user:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        try:
            self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8",
                      "--no-sync", "--no-instructions")
            self._start_on_free_port()
            self.create_database(DATABASE)
        except BaseException:
            self.stop()
            raise
        return self

    def _pg_ctl_start(self) -> subprocess.CompletedProcess[str]:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        return self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.dir / "server.log"),
                         "-o", options, "-w", "-t", "60", "start", check=False)

    def _start_on_free_port(self, attempts: int = 5) -> None:
        last: subprocess.CompletedProcess[str] | None = None
        for _ in range(attempts):  # another process may take the port between probe and bind
            self.port = free_port()
            last = self._pg_ctl_start()
            if last.returncode == 0:
                return
            time.sleep(0.2)
        log = (self.dir / "server.log").read_text(errors="replace")[-2000:] if self.dir else ""
        raise RuntimeError(f"PostgreSQL did not start: {last.stderr if last else ''}\n{log}")

    def pause(self) -> None:
        """Stop the server but keep its data and port: an outage, for tests of recovery."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start a paused server again on the same port."""
        result = self._pg_ctl_start()
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not restart: {result.stderr}")

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its SQLAlchemy URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER, name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing its remaining connections (a failed test may leave some open)."""
        self._run("dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER, "--force",
                  "--if-exists", name, check=False)

    def stop(self) -> None:
        """Stop the server (fast mode) and delete its directory. Safe to call twice."""
        if self.dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    with PostgresServer() as server:
        print(server.url())
        input("PostgreSQL is running; press Enter to stop it. ")
