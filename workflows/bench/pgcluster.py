"""A throw-away PostgreSQL cluster (Debian's ``initdb``/``pg_ctl``) and databases on it.

Shared by ``groupgov bench`` (engine_postgres, the scaled-deployment topology) and the pytest plugin
``tests/plugins/system_parts.py``. Servers listen on 127.0.0.1 only; :meth:`LocalPostgres.stop` (or the
watchdog, if the owning process dies) stops the server and deletes its directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def to_sqlalchemy_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` → ``postgresql+psycopg://``."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def to_libpq_url(url: str) -> str:
    """A SQLAlchemy URL (any postgres driver) → a URL psycopg/libpq understands."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def find_postgres_bindir() -> Path | None:
    """Directory with ``initdb`` and ``pg_ctl``: Debian's newest, else on PATH."""

    def version_key(path: str) -> tuple:
        version = Path(path).parent.parent.name
        return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version_key, reverse=True)
    for initdb in candidates:
        bindir = Path(initdb).parent
        if os.access(bindir / "initdb", os.X_OK) and os.access(bindir / "pg_ctl", os.X_OK):
            return bindir
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


class PostgresError(RuntimeError):
    pass


class LocalPostgres:
    """A throw-away PostgreSQL cluster in a temporary directory.

    ``start()`` runs initdb and pg_ctl start; ``stop()`` stops it (immediate mode) and
    deletes the directory. When running as root the server runs as the ``postgres``
    system user (initdb refuses root); that user is created if missing.
    A watchdog process stops the server and removes the directory if the test process
    dies without running ``stop()`` (SIGKILL, SIGTERM).
    """

    superuser = "postgres"
    host = "127.0.0.1"

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.tmpdir: Path | None = None
        self.port: int | None = None
        self._run_as: str | None = None
        self._watchdog: subprocess.Popen | None = None
        self._started = False

    # -- paths
    @property
    def datadir(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "data"

    @property
    def sockdir(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "sock"

    @property
    def logfile(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.superuser}@{self.host}:{self.port}/postgres"

    # -- running commands, as the postgres user when root
    def _cmd(self, *args: str) -> list[str]:
        if self._run_as:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            return [runuser, "-u", self._run_as, "--", *args]
        return list(args)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("PGDATA", None)
        return subprocess.run(
            self._cmd(*args),
            cwd=self.tmpdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def _ensure_user(self) -> pwd.struct_passwd:
        try:
            return pwd.getpwnam("postgres")
        except KeyError:
            pass
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--home-dir", "/var/lib/postgresql",
             "--shell", "/usr/sbin/nologin", "--user-group", "postgres"],
            check=True, capture_output=True, text=True,
        )
        return pwd.getpwnam("postgres")

    def start(self) -> str:
        if os.geteuid() == 0:
            user = self._ensure_user()
            self._run_as = user.pw_name
        # /tmp (not $TMPDIR, which may sit under a root-only home) so the postgres user can reach it
        base = "/tmp" if self._run_as else None
        self.tmpdir = Path(tempfile.mkdtemp(prefix="groupgov-pg-", dir=base))
        try:
            self.sockdir.mkdir()
            if self._run_as:
                user = pwd.getpwnam(self._run_as)
                for p in (self.tmpdir, self.sockdir):
                    os.chown(p, user.pw_uid, user.pw_gid)
            self._start_watchdog()
            self._initdb()
            self._configure()
            self._pg_ctl_start()
            self._started = True
            return self.url
        except BaseException:
            self.stop()
            raise

    def _initdb(self) -> None:
        base = [str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", self.superuser,
                "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]
        result = self._run(*base, "--locale=C.UTF-8")
        if result.returncode != 0:
            # very old servers or systems without the C.UTF-8 locale
            shutil.rmtree(self.datadir, ignore_errors=True)
            fallback = [a for a in base if a != "--no-instructions"]
            result = self._run(*fallback, "--no-locale")
        if result.returncode != 0:
            raise PostgresError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def _configure(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.sockdir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "128MB",
            "max_wal_size": "1GB",
            "checkpoint_timeout": "30min",
            "log_min_messages": "warning",
            "log_min_error_statement": "panic",
            "timezone": "'UTC'",
        }
        conf = self.datadir / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as f:
            f.write("\n# groupgov test server\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")

    def _pg_ctl_start(self) -> None:
        last_error = ""
        for _attempt in range(5):
            self.port = free_port(self.host)
            result = self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
                "-o", f"-p {self.port}", "-w", "-t", "60", "start",
            )
            if result.returncode == 0:
                return
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            last_error = f"{result.stdout}\n{result.stderr}\n{log[-4000:]}"
            if "already in use" not in log and "could not bind" not in log:
                break
        raise PostgresError(f"pg_ctl start failed:\n{last_error}")

    def _start_watchdog(self) -> None:
        """Stop the server and delete the directory if this process dies without stop()."""
        assert self.tmpdir is not None
        script = (
            "import os, shutil, subprocess, sys, time\n"
            "parent, cmd, tmpdir = int(sys.argv[1]), sys.argv[2:-1], sys.argv[-1]\n"
            "while True:\n"
            "    try:\n"
            "        os.kill(parent, 0)\n"
            "    except ProcessLookupError:\n"
            "        break\n"
            "    if not os.path.isdir(tmpdir):\n"
            "        sys.exit(0)\n"
            "    time.sleep(1)\n"
            "if os.path.isdir(os.path.join(tmpdir, 'data')):\n"
            "    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,"
            " stderr=subprocess.DEVNULL, timeout=60)\n"
            "shutil.rmtree(tmpdir, ignore_errors=True)\n"
        )
        stop_cmd = self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", script, str(os.getpid()), *stop_cmd, str(self.tmpdir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # survives a Ctrl-C sent to the test's process group
        )

    def stop(self) -> None:
        try:
            if self.tmpdir is not None and (self.datadir / "postmaster.pid").exists():
                result = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                                   "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
                if result.returncode != 0:
                    self._kill_postmaster()
        finally:
            if self.tmpdir is not None:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            if self._watchdog is not None:
                self._watchdog.kill()
                self._watchdog.wait()
                self._watchdog = None
            self._started = False

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def create_database(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(to_libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
        )


def drop_database(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(to_libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
        # no new connections, then end the existing ones
        conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        except psycopg.errors.SyntaxError:  # servers before 13
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named database on ``server_url``; yield its SQLAlchemy URL; drop it."""
    from sqlalchemy.engine import make_url

    name = f"gg_test_{uuid.uuid4().hex[:16]}"
    create_database(server_url, name)
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(server_url, name)
