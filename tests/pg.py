"""A real PostgreSQL server for the tests: initdb and pg_ctl into a temporary folder, a free loopback port,
stopped (and its folder removed) at the end. No mocks of the database.

Debian's `postgresql` package puts the programs in /usr/lib/postgresql/<version>/bin; .ci/run installs it.
initdb refuses to run as root, so as root the server runs as the `postgres` user (the package makes it).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


def program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def unavailable() -> str | None:
    """Why a server cannot be started here (None: it can)."""
    for name in ("initdb", "pg_ctl"):
        if program(name) is None:
            return f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root with no `postgres` user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One PostgreSQL server in a temporary folder, on 127.0.0.1 only."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="warrant-pg-")
        self.data = os.path.join(self.folder, "data")
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chmod(self.folder, 0o700)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(["initdb", "-D", self.data, "-U", "warrant", "--auth=trust", "-E", "UTF8", "--no-sync",
                   "--no-instructions"], timeout=120)
        self.start()
        self.url_for("postgres")
        import psycopg
        with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE warrant_test")

    def _run(self, argv, timeout=60, check=True):
        command = [program(argv[0]), *argv[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=50"
        self._run(["pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.folder, "server.log"),
                   "-w", "-t", "60", "start"], timeout=90)

    def stop(self, mode: str = "fast") -> None:
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"], timeout=90, check=False)

    def url_for(self, database: str) -> str:
        return f"postgresql://warrant@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for("warrant_test")

    def fresh(self, name: str) -> str:
        """A new empty database on this server, and its URL."""
        import psycopg
        with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def dump(self, database: str) -> str:
        """pg_dump of a database, as text (what masking must keep names out of)."""
        done = subprocess.run([program("pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "warrant",
                               database], capture_output=True, timeout=60)
        return done.stdout.decode("utf-8", "replace")

    def close(self) -> None:
        self.stop("immediate")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(os.path.join(self.data, "postmaster.pid")):
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)
