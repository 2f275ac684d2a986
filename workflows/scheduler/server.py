"""Runs the scheduler beside the web app: ``groupgov serve``'s child processes.

Embedded mode (no ``GROUPGOV_PREFECT_API_URL``): a ``prefect server start`` on 127.0.0.1 (SQLite database and
PREFECT_HOME under ``<var>/prefect``, telemetry and analytics off, flow runs kept 30 days, port
``GROUPGOV_PREFECT_PORT`` (4200) or a free one when that is taken) and the scheduler process (:mod:`.service`) serving the deployments against it.
Scaled mode (``GROUPGOV_PREFECT_API_URL`` set): only the scheduler process in ``--dispatch-only`` mode; the
flows run on Prefect workers of ``GROUPGOV_PREFECT_WORK_POOL`` (``groupgov scheduler deploy``).

Contract: children get their own session (a terminal's Ctrl-C reaches only ``groupgov serve``, which stops
them in order: scheduler, then Prefect server) and die with their parent (``PR_SET_PDEATHSIG``) if it is
killed. A child that exits on its own is restarted after a pause. Logs go to ``<var>/prefect/*.log``.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path


from ..probe import wait_until_ok
from ..settings import Settings

log = logging.getLogger(__name__)

RESTART_PAUSE = 5.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def prefect_home(settings: Settings) -> Path:
    return settings.state_dir / "prefect"


def prefect_env(settings: Settings, api_url: str, public_url: str | None = None,
                extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the scheduler's children: the Prefect API, telemetry off, heartbeats on; ``extra``
    (e.g. GROUPGOV_* settings that did not come from the environment) on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(extra or {})
    env.update({
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(prefect_home(settings)),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",        # a wake-up run is picked up well before its start time
        "PREFECT_RUNNER_HEARTBEAT_FREQUENCY": "30",  # flow-run heartbeats for the zombie-run automation
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    })
    if not settings.prefect_api_url:  # the embedded server: its UI, and flow runs kept for 30 days
        env["PREFECT_SERVER_UI_API_URL"] = api_url
        env["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] = "events,flow_runs"
        env["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] = str(30 * 86400)
    if public_url and not settings.public_url:
        env["GROUPGOV_PUBLIC_URL"] = public_url
    return env


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Child:
    """One supervised child process."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> None:
        self.name, self.argv, self.env, self.cwd, self.log_path = name, argv, env, cwd, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        log.info("%s started (pid %s, log %s)", self.name, self.proc.pid, self.log_path)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s; killing it", self.name, timeout)
            proc.kill()
            proc.wait(10)
        log.info("%s stopped", self.name)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_healthy(api_url: str, child: Child | None, timeout: float, stop: threading.Event | None = None) -> None:
    """Wait for ``GET {api_url}/health``; fail early with the log tail when the server process exits."""
    outcome = wait_until_ok(f"{api_url}/health", timeout, alive=child.alive if child is not None else None, stop=stop)
    if outcome == "exited":
        assert child is not None
        raise RuntimeError(f"{child.name} exited during start-up:\n{child.tail()}")
    if outcome == "timeout":
        raise TimeoutError(f"Prefect API {api_url} not healthy after {timeout:.0f} s")


class SchedulerStack:
    """The Prefect server (embedded mode) and the scheduler process, started and stopped together.

    :meth:`start` returns at once: one supervisor thread starts the children (server, then scheduler once
    the API is healthy) and restarts any that exits, so the web app is up while Prefect is still starting
    (timers armed meanwhile wait in the outbox; the scheduler's catch-up fires what came due). Children are
    created and stopped only by that thread, which lives until :meth:`stop`: ``PR_SET_PDEATHSIG`` fires when
    the creating *thread* ends.
    """

    def __init__(self, settings: Settings, public_url: str | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.public_url = public_url
        self.extra_env = extra_env
        self.server: Child | None = None
        self.scheduler: Child | None = None
        self.api_url = settings.prefect_api_url or ""
        self.ready = threading.Event()  # set once the scheduler process has been started
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    @property
    def embedded(self) -> bool:
        return not self.settings.prefect_api_url

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    def start(self) -> "SchedulerStack":
        home = prefect_home(self.settings)
        home.mkdir(parents=True, exist_ok=True)
        port = 0
        if self.embedded:
            port = self.settings.prefect_port
            if not port or not port_free(port):
                if port:
                    log.warning("port %s is taken: the embedded Prefect server uses another one", port)
                port = free_port()
            self.api_url = f"http://127.0.0.1:{port}/api"
        env = prefect_env(self.settings, self.api_url, self.public_url, self.extra_env)
        cwd = self.settings.root_dir
        if self.embedded:
            self.server = Child("prefect server", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                                   "--port", str(port)], env, cwd, home / "server.log")
        argv = [sys.executable, "-m", "workflows.scheduler.service", "--embedded" if self.embedded else "--dispatch-only",
                "--exit-with-parent"]
        self.scheduler = Child("scheduler", argv, env, cwd, home / "scheduler.log")
        self._watch = threading.Thread(target=self._supervise, name="scheduler-supervisor", daemon=True)
        self._watch.start()
        return self

    def _start_server(self) -> None:
        assert self.server is not None
        self.server.start()
        wait_healthy(self.api_url, self.server, 180.0, self._stop)
        if not self._stop.is_set():
            log.info("Prefect server ready; UI at %s", self.ui_url)

    def _supervise(self) -> None:
        """Start the children, restart any that exits on its own (the server first: the scheduler needs it),
        and stop them when asked — all from this thread, which created them."""
        try:
            try:
                if self.server is not None:
                    self._start_server()
                if not self._stop.is_set():
                    assert self.scheduler is not None
                    self.scheduler.start()
                    self.ready.set()
            except Exception:
                log.exception("the scheduler did not start; retrying in %.0f s", RESTART_PAUSE)
            while not self._stop.wait(2.0):
                self._restart_dead()
        finally:
            if self.scheduler is not None:
                self.scheduler.stop(20.0)
            if self.server is not None:
                self.server.stop(15.0)

    def _restart_dead(self) -> None:
        for child in (self.server, self.scheduler):
            if child is None or child.alive() or self._stop.is_set():
                continue
            if child.proc is not None:
                log.error("%s exited (code %s); restarting in %.0f s. Last log lines:\n%s", child.name,
                          child.proc.returncode, RESTART_PAUSE, child.tail())
            if self._stop.wait(RESTART_PAUSE):
                return
            try:
                if child is self.server:
                    self._start_server()
                else:
                    child.start()
                    self.ready.set()
            except Exception:
                log.exception("could not start %s", child.name)

    def stop(self) -> None:
        """Stop the scheduler, then the Prefect server (the supervisor thread does it and ends)."""
        self._stop.set()
        if self._watch is not None:
            self._watch.join(60)
