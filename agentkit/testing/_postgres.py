"""``TemporaryPostgres``: a throwaway PostgreSQL server for tests, on 127.0.0.1, removed afterwards.

```python
with TemporaryPostgres() as server:
    agent = Agent("support", "offline", store=server.url)
    with server.fresh_schema() as url:      # an empty schema per test, dropped afterwards
        ...
```

It runs the machine's own ``initdb`` and ``pg_ctl`` (from ``PATH``, ``/usr/lib/postgresql/*/bin``, or
``AGENTKIT_PG_BIN``) on a free loopback port, with a random password and no Unix socket, its data in a temporary
folder; durability is off (``fsync``), since the data is thrown away. PostgreSQL refuses to run as root: as root,
the server runs as ``AGENTKIT_PG_USER``, else ``agentkit-pg`` if that user exists, else ``nobody``.

The server goes away with its owner: a watchdog process, in a session of its own, waits on a pipe from this
process and, when the pipe closes without a word (the owner was killed, even by SIGKILL, so no ``finally`` ran), stops
the server at once (``pg_ctl stop -m immediate``: the postmaster takes its backends with it) and removes its folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ..storage import import_psycopg

__all__ = ["TemporaryPostgres"]

# Reads one line from the owner: "stopped" after a normal stop; end of file if the owner died first.
_WATCHDOG = 'read said; [ "$said" = stopped ] || "$0" -D "$1" -m immediate -w stop >/dev/null 2>&1; rm -rf "$2"'
_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300")


def find_bin_dir() -> Path:
    """The folder with ``initdb`` and ``pg_ctl``; a clear error saying what to install when there is none."""
    candidates = [os.environ.get("AGENTKIT_PG_BIN", "")]
    found = shutil.which("initdb")
    candidates.append(os.path.dirname(found) if found else "")
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    candidates += sorted(glob.glob("/usr/pgsql-*/bin"), key=_version, reverse=True)
    for folder in filter(None, candidates):
        if all(os.access(Path(folder, name), os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    raise RuntimeError(
        "TemporaryPostgres needs the PostgreSQL server programs (initdb, pg_ctl, postgres), and none were found on "
        "PATH or in /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: apt-get install postgresql; macOS: "
        "brew install postgresql) or set AGENTKIT_PG_BIN to the folder that holds them."
    )


def _version(folder: str) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in folder).split()
    return tuple(int(d) for d in digits)


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: None (this user) unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in filter(None, (os.environ.get("AGENTKIT_PG_USER"), "agentkit-pg", "nobody")):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root, TemporaryPostgres needs an unprivileged user: set AGENTKIT_PG_USER")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TemporaryPostgres:
    """A PostgreSQL server for the length of a ``with`` block. ``url``: its database ``database``."""

    def __init__(self, database: str = "agentkit") -> None:
        self.database = database
        self.bin_dir = find_bin_dir()
        self._psycopg = import_psycopg("postgresql://")
        self._user = _server_user()
        self._folder: Path | None = None
        self._password = secrets.token_hex(16)
        self.port = 0
        self._schemas = 0
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self._url(self.database)

    def _url(self, database: str) -> str:
        if self._folder is None:
            raise RuntimeError("TemporaryPostgres is not running; use `with TemporaryPostgres() as server:`")
        return f"postgresql://agentkit:{self._password}@127.0.0.1:{self.port}/{database}"

    def start(self) -> Self:
        self._folder = Path(tempfile.mkdtemp(prefix="agentkit-pg-"))
        try:
            self._chown(self._folder)
            self._watch(self._folder)
            self._initdb()
            self._start_server()
            with self._psycopg.connect(self._url("postgres"), autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.database}"')
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (at once: the data is thrown away) and remove its folder."""
        folder, self._folder = self._folder, None
        if folder is None:
            return
        if (folder / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(folder / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)
        self._dismiss_watchdog()

    @contextlib.contextmanager
    def fresh_schema(self) -> Iterator[str]:
        """The URL of a new, empty schema of the database (its tables are created there), dropped afterwards.
        Cheaper than a database per test; note that advisory locks are per database, not per schema."""
        self._schemas += 1
        name = f"test_{os.getpid()}_{self._schemas}"
        with self._psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {name}")
        try:
            yield f"{self.url}?options=-csearch_path%3D{name}"
        finally:
            with self._psycopg.connect(self.url, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA {name} CASCADE")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _watch(self, folder: Path) -> None:
        """Start the watchdog that stops the server and removes ``folder`` if this process dies first."""
        user: dict[str, Any] = {}
        if self._user is not None:
            user = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        command = [str(self.bin_dir / "pg_ctl"), str(folder / "data"), str(folder)]
        self._watchdog = subprocess.Popen(
            ["/bin/sh", "-c", _WATCHDOG, *command], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd="/", start_new_session=True, **user,
        )  # fmt: skip  # a session of its own: a Ctrl-C or SIGTERM to the owner's process group spares it

    def _dismiss_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        watchdog.communicate(b"stopped\n")  # the server is stopped: it only removes what may be left of the folder

    def _initdb(self) -> None:
        assert self._folder is not None
        password_file = self._folder / "password"
        password_file.write_text(self._password)
        self._chown(password_file)
        try:
            self._run(
                "initdb", "-D", str(self._folder / "data"), "-U", "agentkit", f"--pwfile={password_file}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            )  # fmt: skip
        finally:
            password_file.unlink()

    def _start_server(self) -> None:
        assert self._folder is not None
        for attempt in range(3):  # another program may take the free port before the server does
            self.port = _free_port()
            options = [f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"]
            options += [f"-c {setting}" for setting in _SETTINGS]
            started = self._run(
                "pg_ctl", "-D", str(self._folder / "data"), "-l", str(self._folder / "server.log"), "-w", "-t", "30",
                "-o", " ".join(options), "start", check=attempt == 2,
            )  # fmt: skip
            if started.returncode == 0:
                return

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        user: dict[str, Any] = {}
        if self._user is not None:
            user = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        done = subprocess.run(
            [str(self.bin_dir / program), *args], capture_output=True, text=True, cwd=self._folder, **user
        )
        if check and done.returncode != 0:
            log = self._folder / "server.log" if self._folder else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr or done.stdout}{tail}")
        return done

    def _chown(self, path: Path) -> None:
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)
