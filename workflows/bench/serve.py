"""``groupgov serve`` as users start it: time until ``/healthz`` answers (first start on an empty database —
migrate, load the demo university, deploy bpmn/ — and a restart on the prepared one), and the web process's
memory when idle after a few requests (resident set, and its peak)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .common import Figure, Sizes, Unavailable, median, scratch_dir, sqlite_url
from .http import login, stop_process, wait_until_healthy
from .pgcluster import free_port


def start_serve(var_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """Starts ``groupgov serve`` on the SQLite file under ``var_dir``; (process, base URL, seconds to healthy)."""
    port = free_port()
    env = dict(os.environ, GROUPGOV_DATABASE_URL=sqlite_url(var_dir), GROUPGOV_VAR_DIR=str(var_dir),
               GROUPGOV_SECRET_KEY="bench-secret-not-for-production", GROUPGOV_ENVIRONMENT="test",
               DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    start = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "workflows.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                   env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, timeout=180)
    except Unavailable as exc:
        stop_process(process)
        tail = log.read_text(errors="replace")[-800:]
        raise Unavailable(f"groupgov serve did not become healthy: {exc}; log tail: {tail}") from exc
    return process, base_url, time.perf_counter() - start


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def children_rss_mb(pid: int) -> float:
    """Resident memory of every descendant of ``pid`` (e.g. a scheduler started by serve), in MB."""
    total = 0.0
    for child in Path("/proc").glob("[0-9]*"):
        try:
            stat = (child / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid or _descends(int(stat[1]), pid):
            try:
                total += memory_mb(int(child.name))[0]
            except (OSError, KeyError):
                continue
    return total


def _descends(ppid: int, ancestor: int) -> bool:
    seen = 0
    while ppid > 1 and seen < 50:
        if ppid == ancestor:
            return True
        try:
            ppid = int(Path(f"/proc/{ppid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
        seen += 1
    return False


def exercise(base_url: str) -> None:
    """What a user does first: log in, list tasks, list processes."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for user in ("staff_cs", "head_cs"):
            auth = login(client, user)
            client.get("/api/tasks", params={"scope": "mine"}, headers=auth).raise_for_status()
            client.get("/api/processes", headers=auth).raise_for_status()


def run(bench: object) -> list[Figure]:
    sizes: Sizes = bench.sizes  # type: ignore[attr-defined]
    first, restart, rss, peak, tree = [], [], [], [], []
    for _ in range(min(sizes.repeats, 3)):
        with scratch_dir("serve") as var_dir:
            log = var_dir / "serve.log"
            process, base_url, seconds = start_serve(var_dir, log)
            try:
                first.append(seconds)
                exercise(base_url)
                time.sleep(1 if sizes.quick else 5)
                now_rss, now_peak = memory_mb(process.pid)
                rss.append(now_rss)
                peak.append(now_peak)
                tree.append(children_rss_mb(process.pid))
            finally:
                stop_process(process)
            if not sizes.quick:
                process, _, seconds = start_serve(var_dir, log)
                stop_process(process)
                restart.append(seconds)
    figures = [Figure("serve_startup", median(first), "s", "empty database: migrate, demo university, deploy bpmn/")]
    if restart:
        figures.append(Figure("serve_restart", median(restart), "s", "prepared database"))
    figures += [Figure("web_rss_idle", median(rss), "MB", "web process, idle after log-in and task lists"),
                Figure("web_rss_peak", median(peak), "MB", "web process VmHWM")]
    if median(tree) > 0:
        figures.append(Figure("serve_children_rss_idle", median(tree), "MB", "processes started by groupgov serve"))
    return figures
