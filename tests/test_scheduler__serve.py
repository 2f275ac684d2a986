"""``groupgov serve`` as a subprocess (web app + embedded Prefect server + served flows): a 20-second BPMN timer
fires on time as seen through the HTTP API, and a timer that came due while everything was stopped fires
exactly once after the restart. Real time: these tests wait for a real server and real timers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.plugins.system_parts import free_port
from workflows.probe import wait_until_ok
from workflows.settings import ROOT_DIR

pytestmark = pytest.mark.slow

PROBE = Path(__file__).parent / "data" / "timer_probe.bpmn"
TIMER = timedelta(seconds=20)
ON_TIME = 2.0  # seconds


class Serve:
    """One ``groupgov serve`` process tree on a temporary SQLite database and var dir."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "serve.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GROUPGOV_"))}
        self.env.update({"GROUPGOV_DATABASE_URL": f"sqlite:///{tmp / 'groupgov.sqlite3'}", "GROUPGOV_VAR_DIR": str(tmp / "var"),
                         "GROUPGOV_PORT": str(self.port), "GROUPGOV_SECRET_KEY": "serve-test-secret", "GROUPGOV_ENVIRONMENT": "test",
                         "GROUPGOV_PREFECT_PORT": "0"})
        self.proc: subprocess.Popen[bytes] | None = None
        self.children: list[int] = []
        self.offset = 0

    def start(self, timeout: float = 240.0) -> None:
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "workflows.cli", "serve"], cwd=ROOT_DIR, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        outcome = wait_until_ok(f"{self.url}/healthz", timeout, alive=lambda: self.proc.poll() is None, interval=0.5)
        assert outcome != "exited", f"groupgov serve exited:\n{self.tail()}"
        if outcome != "ok":
            self.stop()
            raise AssertionError(f"groupgov serve not up after {timeout:.0f} s:\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise AssertionError(f"groupgov serve did not stop on {sig!r}:\n{self.tail()}") from None

    def wait_scheduler_ready(self, timeout: float = 180.0) -> None:
        """Wait until the served wake-up deployment exists (Prefect and the scheduler start in the background
        of a web app that is already up); note the children's pids."""
        ui = re.findall(r"Prefect UI at (http://127\.0\.0\.1:\d+)", self.log.read_text(errors="replace"))[-1]
        if wait_until_ok(f"{ui}/api/deployments/name/timer-wake-up/wake-up", timeout, interval=0.5, request_timeout=5) != "ok":
            raise AssertionError(f"the scheduler did not register its deployments within {timeout:.0f} s:\n{self.tail()}")
        text = self.log.read_text(errors="replace")[self.offset:]
        self.children = [int(p) for p in re.findall(r"started \(pid (\d+)", text)]

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def token(self, username: str) -> dict[str, str]:
        r = httpx.post(f"{self.url}/api/auth/token", data={"username": username, "password": "demo"}, timeout=30)
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    server = Serve(tmp_path_factory.mktemp("serve"))
    server.start()
    admin = server.token("admin")
    r = httpx.post(f"{server.url}/api/deployments", headers=admin, timeout=60,
                   files=[("files", (PROBE.name, PROBE.read_bytes(), "application/xml"))])
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["key"] == "timer_probe"
    try:
        yield server
    finally:
        server.stop()


def start_probe(server: Serve, user: dict[str, str]) -> dict:
    r = httpx.post(f"{server.url}/api/processes/timer_probe/instances", json={"data": {}}, headers=user, timeout=30)
    assert r.status_code == 201, r.text
    inst = r.json()
    assert [t["element"] for t in inst["tasks"]] == ["wait_here"]
    return inst


def wait_moved(server: Serve, user: dict[str, str], instance_id: int, timeout: float) -> tuple[float, dict]:
    """Poll the instance until its timer moved it on; (seen at, epoch seconds; the instance)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inst = httpx.get(f"{server.url}/api/instances/{instance_id}", headers=user, timeout=10).json()
        if [t["element"] for t in inst["tasks"]] == ["after_timer"]:
            return time.time(), inst
        time.sleep(0.2)
    raise AssertionError(f"instance {instance_id} did not move within {timeout:.0f} s:\n{server.tail()}")


def timer_events(inst: dict) -> list[datetime]:
    return [datetime.fromisoformat(h["at"]) for h in inst["history"] if h["action"] == "timer"]


def test_a_20_second_timer_fires_on_time_through_the_api(serve):
    serve.wait_scheduler_ready()
    user = serve.token("staff_cs")
    inst = start_probe(serve, user)
    due = datetime.fromisoformat(inst["started_at"]) + TIMER  # the timer is armed a few ms after the start
    seen, moved = wait_moved(serve, user, inst["id"], TIMER.total_seconds() + 60)
    fired = timer_events(moved)
    assert len(fired) == 1
    lateness = (fired[0] - due).total_seconds()
    assert -0.05 <= lateness <= ON_TIME, f"fired {lateness:.2f} s after its due time"
    assert seen - due.timestamp() <= ON_TIME + 0.5, "the API showed the move too late"


def test_a_timer_due_while_stopped_fires_exactly_once_after_restart(serve):
    serve.wait_scheduler_ready()
    user = serve.token("staff_cs")
    inst = start_probe(serve, user)
    due = datetime.fromisoformat(inst["started_at"]) + TIMER
    children = list(serve.children)
    assert len(children) == 2  # the Prefect server and the scheduler
    serve.stop(signal.SIGINT)  # Ctrl-C stops the web app and every child
    assert not [pid for pid in children if alive(pid)]
    time.sleep(max(0.0, due.timestamp() - time.time()) + 2)  # it comes due while nothing runs
    serve.start()
    seen, moved = wait_moved(serve, user, inst["id"], 60)
    time.sleep(3)  # a second firing (a stale wake-up run, the sweep) would show up here
    moved = httpx.get(f"{serve.url}/api/instances/{inst['id']}", headers=user, timeout=10).json()
    assert len(timer_events(moved)) == 1
    assert [t["element"] for t in moved["tasks"]] == ["after_timer"]
    assert timer_events(moved)[0] > due
