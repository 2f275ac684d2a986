"""The scaled deployment of ``deployments/README.md`` brought up on loopback, for tests and measurements:

PostgreSQL (one cluster, two databases: ``groupgov`` for the product, ``prefect`` for the Prefect server),
a Prefect server on its PostgreSQL database, the deployments registered on a ``process`` work pool
(``groupgov scheduler deploy``), Prefect workers on that pool, and web processes (``groupgov serve``): the
first also runs the wake-up dispatcher (scaled mode, ``GROUPGOV_PREFECT_API_URL``), the others run the web
app alone (``GROUPGOV_SCHEDULER_ENABLED=false``). Every process is a child in its own session, listening on
127.0.0.1 only; :meth:`Topology.stop` stops them all (web, workers, Prefect server, PostgreSQL), and
PostgreSQL's watchdog cleans up if this process dies.

``python -m workflows.bench.topology`` starts it and waits for Ctrl-C (prints the URLs).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..probe import wait_until_ok
from .pgcluster import LocalPostgres, create_database, find_postgres_bindir, free_port

WORK_POOL = "groupgov-loopback"
SECRET = "loopback-secret-not-for-production"


class TopologyError(RuntimeError):
    """A part did not come up; the message carries the tail of its log."""


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)


@dataclass
class Topology:
    """Start with :meth:`start`; ``web_urls``, ``prefect_api``, ``database_url`` tell where things are."""

    workers: int = 2
    web: int = 2
    root: Path = field(default_factory=lambda: Path(__file__).resolve().parents[2])
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="groupgov-loopback-")))
    postgres_url: str | None = None  # an existing server (superuser URL); default: a throw-away cluster
    database_url: str = ""
    prefect_api: str = ""
    web_urls: list[str] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    _pg: LocalPostgres | None = None
    _prefect_db: str = ""

    # ----------------------------------------------------------------- environment
    def env(self, **extra: str) -> dict[str, str]:
        """What every groupgov process gets: the product database, the external Prefect API, telemetry off."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GROUPGOV_", "PREFECT_"))}
        env.update({
            "GROUPGOV_DATABASE_URL": self.database_url, "GROUPGOV_VAR_DIR": str(self.tmp / "var"),
            "GROUPGOV_SECRET_KEY": SECRET, "GROUPGOV_ENVIRONMENT": "test", "GROUPGOV_ROOT_DIR": str(self.root),
            "GROUPGOV_PREFECT_API_URL": self.prefect_api, "GROUPGOV_PREFECT_WORK_POOL": WORK_POOL,
            "PREFECT_API_URL": self.prefect_api, "PREFECT_HOME": str(self.tmp / "prefect-client"),
            "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        })
        env.update(extra)
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], url: str = "") -> Proc:
        log = self.tmp / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(argv, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        proc = Proc(name, process, log, url)
        self.procs.append(proc)
        return proc

    def _run(self, name: str, argv: list[str], env: dict[str, str], timeout: float = 300) -> None:
        log = self.tmp / f"{name}.log"
        with log.open("ab") as out:
            done = subprocess.run(argv, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        if done.returncode != 0:
            raise TopologyError(f"{name} failed ({done.returncode}):\n{log.read_text(errors='replace')[-3000:]}")

    @staticmethod
    def _wait(proc: Proc, url: str, timeout: float) -> None:
        outcome = wait_until_ok(url, timeout, alive=proc.alive, request_timeout=3)
        if outcome == "exited":
            raise TopologyError(f"{proc.name} exited during start-up:\n{proc.tail()}")
        if outcome != "ok":
            raise TopologyError(f"{proc.name} not healthy at {url} after {timeout:.0f} s:\n{proc.tail()}")

    # ----------------------------------------------------------------- parts
    def start(self, timeout: float = 240) -> "Topology":
        (self.tmp / "var").mkdir(parents=True, exist_ok=True)
        try:
            self._start_postgres()
            self._start_prefect(timeout)
            py = sys.executable
            self._run("db-prepare", [py, "-m", "workflows.cli", "db", "upgrade"], self.env())
            self._run("demo-load", [py, "-m", "workflows.cli", "demo", "load"], self.env())
            self._run("deploy-bpmn", [py, "-m", "workflows.cli", "deploy"], self.env())
            self._run("scheduler-deploy", [py, "-m", "workflows.cli", "scheduler", "deploy"], self.env())
            for k in range(self.workers):
                self._spawn(f"worker-{k + 1}", [py, "-m", "prefect", "worker", "start", "--pool", WORK_POOL, "--type", "process",
                                                "--name", f"loopback-worker-{k + 1}", "--limit", "4"], self.env())
            for k in range(self.web):
                port = free_port()
                extra = {"GROUPGOV_PORT": str(port)} if k == 0 else {"GROUPGOV_PORT": str(port), "GROUPGOV_SCHEDULER_ENABLED": "false"}
                url = f"http://127.0.0.1:{port}"
                proc = self._spawn(f"web-{k + 1}", [py, "-m", "workflows.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                   self.env(**extra), url)
                self._wait(proc, f"{url}/healthz", timeout)
                self.web_urls.append(url)
            self._wait_workers(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_postgres(self) -> None:
        from sqlalchemy.engine import make_url

        if self.postgres_url is None:
            bindir = find_postgres_bindir()
            if bindir is None:
                raise TopologyError("no PostgreSQL server binaries (initdb, pg_ctl); apt-get install postgresql")
            self._pg = LocalPostgres(bindir)
            self.postgres_url = self._pg.start()
        for name in ("groupgov", "prefect"):
            create_database(self.postgres_url, name)
        base = make_url(self.postgres_url)
        self.database_url = base.set(database="groupgov").render_as_string(hide_password=False)
        self._prefect_db = base.set(drivername="postgresql+asyncpg", database="prefect").render_as_string(hide_password=False)

    def _start_prefect(self, timeout: float) -> None:
        port = free_port()
        self.prefect_api = f"http://127.0.0.1:{port}/api"
        env = self.env(PREFECT_API_DATABASE_CONNECTION_URL=self._prefect_db, PREFECT_HOME=str(self.tmp / "prefect-server"),
                       PREFECT_SERVER_UI_API_URL=self.prefect_api)
        env.pop("PREFECT_API_URL")
        proc = self._spawn("prefect-server", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                              "--port", str(port)], env, self.prefect_api)
        self._wait(proc, f"{self.prefect_api}/health", timeout)

    def _wait_workers(self, timeout: float) -> None:
        """Until every worker has polled the work pool (the server lists it)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.prefect_api, timeout=5) as client:
            while time.monotonic() < deadline:
                r = client.post(f"/work_pools/{WORK_POOL}/workers/filter", json={})
                if r.status_code == 200 and len([w for w in r.json() if w.get("status") == "ONLINE"]) >= self.workers:
                    return
                for proc in self.procs:
                    if proc.name.startswith("worker") and not proc.alive():
                        raise TopologyError(f"{proc.name} exited:\n{proc.tail()}")
                time.sleep(0.5)
        raise TopologyError(f"the workers did not come online within {timeout:.0f} s")

    def stop(self, keep_logs: bool = False) -> None:
        """Web processes first, then workers, the Prefect server, PostgreSQL; then the temporary directory
        (logs included, unless ``keep_logs``)."""
        for proc in reversed(self.procs):
            proc.stop()
        if self._pg is not None:
            self._pg.stop()
        if not keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def logs(self, lines: int = 40) -> str:
        return "\n".join(f"--- {p.name} ({p.log})\n{p.tail(lines)}" for p in self.procs)


def main() -> None:
    topology = Topology().start()
    print(f"PostgreSQL      {topology.database_url}")
    print(f"Prefect API     {topology.prefect_api}  (UI: {topology.prefect_api.removesuffix('/api')})")
    for url in topology.web_urls:
        print(f"web             {url}")
    print(f"logs            {topology.tmp}/*.log — Ctrl-C stops everything (the logs stay)")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        topology.stop(keep_logs=True)


if __name__ == "__main__":
    main()
