"""The HTTP path: one uvicorn web process serving ``create_app(rt)`` on 127.0.0.1 (a subprocess, as in
production), driven by httpx clients that log in once per user (bearer tokens, not timed), then per
instance: POST start, and three POST completions (the task id comes from the previous answer).

Figures: instances/s with one client and with four concurrent clients, and the web process's CPU time
(user + system, from /proc) per instance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .common import (APPLICANT, APPROVE, PARTY_ORG, PROCESS_KEY, UNIT_HEAD, Figure, Sizes, Unavailable, application,
                     median, scratch_dir, scratch_runtime, sqlite_url)
from ..probe import wait_until_ok
from .pgcluster import free_port

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DEMO_PASSWORD = "demo"


@dataclass
class WebServer:
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def _serve_main() -> None:
    """Entry of the web subprocess: ``python -c ... URL VAR_DIR PORT``; the database is already prepared."""
    import uvicorn

    from ..api.app import create_app
    from ..services.runtime import build_runtime
    from .common import bench_settings

    url, var_dir, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    rt = build_runtime(bench_settings(url, var_dir))
    rt.reload_calendar()
    uvicorn.run(create_app(rt), host="127.0.0.1", port=port, log_level="info")


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> float:
    """Seconds until ``/healthz`` answers 200; raises Unavailable if the process dies or time runs out."""
    start = time.perf_counter()
    outcome = wait_until_ok(f"{base_url}/healthz", timeout, alive=lambda: process.poll() is None, interval=0.02, request_timeout=1)
    if outcome == "exited":
        raise Unavailable(f"the web process exited with {process.returncode} before answering /healthz")
    if outcome != "ok":
        raise Unavailable(f"/healthz did not answer within {timeout:.0f} s")
    return time.perf_counter() - start


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful stop) to the process group, then SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)


@contextmanager
def web_server(url: str, var_dir: Path) -> Iterator[WebServer]:
    port = free_port()
    code = "from workflows.bench.http import _serve_main; _serve_main()"
    process = subprocess.Popen([sys.executable, "-c", code, url, str(var_dir), str(port)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, process)
        yield WebServer(base_url, process)
    finally:
        stop_process(process)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError as exc:
        raise Unavailable(f"cannot read /proc/{pid}/stat: {exc}") from exc
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)


def login(client: httpx.Client, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class ScenarioClient:
    """One simulated client: its own connection and the three people's tokens."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.auth = {u: login(self.http, u) for u in (APPLICANT, UNIT_HEAD, PARTY_ORG)}

    def _post(self, path: str, user: str, data: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(path, json={"data": data}, headers=self.auth[user])
        if r.status_code not in (200, 201):
            raise RuntimeError(f"POST {path} as {user}: {r.status_code} {r.text[:300]}")
        return r.json()

    def one(self, i: int) -> None:
        inst = self._post(f"/api/processes/{PROCESS_KEY}/instances", APPLICANT, {})
        for user, data in ((APPLICANT, application(i)), (UNIT_HEAD, APPROVE), (PARTY_ORG, APPROVE)):
            inst = self._post(f"/api/tasks/{inst['tasks'][0]['id']}/complete", user, data)
        if inst["status"] != "completed":
            raise RuntimeError(f"instance {inst['id']} ended {inst['status']}")

    def close(self) -> None:
        self.http.close()


def drive(server: WebServer, instances: int, clients: int) -> tuple[float, float]:
    """Runs ``instances`` scenarios split over ``clients`` concurrent clients after log-in and one warm-up
    scenario each; answers (seconds, server CPU seconds) of the timed part."""
    workers = [ScenarioClient(server.base_url) for _ in range(clients)]
    for w in workers:
        w.one(-1)  # warm-up: connection, first requests
    errors: list[BaseException] = []

    def work(w: ScenarioClient, share: range) -> None:
        try:
            for i in share:
                w.one(i)
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w, range(k, instances, clients))) for k, w in enumerate(workers)]
    cpu_before, start = cpu_seconds(server.pid), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - start, cpu_seconds(server.pid) - cpu_before
    for w in workers:
        w.close()
    if errors:
        raise errors[0]
    return elapsed, cpu


def measure(sizes: Sizes, client_counts: tuple[int, ...] = (1, 4)) -> dict[int, tuple[float, float]]:
    """clients → (instances/s, server CPU ms per instance), medians over runs. Each run has a fresh database
    and web process (quick runs share one between the client counts)."""
    rates: dict[int, list[float]] = {c: [] for c in client_counts}
    cpu: dict[int, list[float]] = {c: [] for c in client_counts}
    batches = [client_counts] if sizes.quick else [(c,) for c in client_counts]
    for _ in range(min(sizes.repeats, 3)):
        for batch in batches:
            with scratch_dir("http") as var_dir:
                url = sqlite_url(var_dir)
                scratch_runtime(url, var_dir).db.dispose()
                with web_server(url, var_dir) as server:
                    for clients in batch:
                        elapsed, cpu_used = drive(server, sizes.http_instances, clients)
                        rates[clients].append(sizes.http_instances / elapsed)
                        cpu[clients].append(cpu_used * 1000 / sizes.http_instances)
    return {c: (median(rates[c]), median(cpu[c])) for c in client_counts}


def run(sizes: Sizes) -> list[Figure]:
    result = measure(sizes)
    (one_rate, one_cpu), (four_rate, four_cpu) = result[1], result[4]
    return [Figure("http_1client", one_rate, "inst/s"), Figure("http_4clients", four_rate, "inst/s"),
            Figure("http_server_cpu_per_instance", one_cpu, "ms", f"one client; {four_cpu:.1f} ms with four")]
