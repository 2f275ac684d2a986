"""What every benchmark group shares: figures, sizes, medians, scratch runtimes and the driven scenario."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The one scenario every throughput figure drives: the new-group approval, started by staff_cs, the
# application form filled, then approved by the unit head and the Party committee (three human tasks).
PROCESS_KEY = "group_approval"
APPLICANT, UNIT_HEAD, PARTY_ORG = "staff_cs", "head_cs", "party_cs"
APPROVE = {"decision": "approve", "opinion": "同意"}


def application(i: int) -> dict[str, Any]:
    """A complete application form; ``i`` makes the group name unique (each filed group joins the ledger)."""
    return {
        "group_name": f"计算机工程学院第{i}期教学工作群", "group_kind": "wechat_group",
        "function": "发布教学安排与工作通知", "member_scope": "学院教师及教学秘书", "member_count": 25,
        "owner_name": "李老师", "admins": "赵老师", "contact": "13912345678", "line": "teaching",
        "is_student": False, "posting_rules": "只发布工作通知，不闲聊",
    }


@dataclass(frozen=True)
class Figure:
    """One line of ``groupgov bench``: ``name: value unit``."""

    name: str
    value: float
    unit: str = ""
    detail: str = ""

    def line(self) -> str:
        value = f"{self.value:.3g}" if abs(self.value) < 100 else f"{self.value:.0f}"
        return f"{self.name}: {value} {self.unit}".rstrip()


class Unavailable(Exception):
    """A figure that cannot be measured here; the message says why (printed to stderr, never faked)."""


@dataclass(frozen=True)
class Sizes:
    """How much work each group does. ``quick`` is for smoke tests: seconds, not minutes."""

    quick: bool
    repeats: int            # runs per throughput figure; the median is reported
    instances: int          # instances per run (raw, engine)
    http_instances: int     # instances per HTTP run (split between the clients)
    tasklist_instances: int
    tasklist_open: int
    tasklist_samples: int
    timer_due: int
    timer_waiting_small: int
    timer_waiting_large: int
    docx: int

    @classmethod
    def for_run(cls, quick: bool) -> "Sizes":
        if quick:
            return cls(True, 1, 4, 8, 2_000, 200, 20, 20, 20, 200, 2)
        return cls(False, 5, 150, 200, 100_000, 10_000, 200, 1_000, 1_000, 100_000, 50)


def median(values: list[float]) -> float:
    return statistics.median(values)


def rate(count: int, fn: Callable[[], Any]) -> float:
    """Calls ``fn`` once and answers ``count`` divided by the seconds it took."""
    return timed(count, fn)[0]


def timed(count: int, fn: Callable[[], Any]) -> tuple[float, float]:
    """Calls ``fn`` once; answers (``count`` per second, this process's CPU ms per item). The CPU time barely
    moves when other programs load the machine, so it compares versions where throughput cannot."""
    cpu, start = time.process_time(), time.perf_counter()
    fn()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return count / elapsed, cpu * 1000 / count


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"groupgov-bench-{prefix}-") as d:
        yield Path(d)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'groupgov.sqlite3'}"


def bench_settings(url: str, var_dir: Path):  # type: ignore[no-untyped-def]
    from ..settings import Settings

    return Settings(database_url=url, var_dir=var_dir, secret_key="bench-secret-not-for-production", environment="test")


def scratch_runtime(url: str, var_dir: Path):  # type: ignore[no-untyped-def]
    """A runtime on an empty database prepared like the first ``groupgov serve`` (schema, demo university),
    with only the benchmarked diagram deployed (so a half-finished diagram elsewhere in bpmn/ cannot stop it)."""
    from ..services.demo import load_demo
    from ..services.deployments import deploy
    from ..services.runtime import build_runtime
    from ..services.schema import upgrade

    settings = bench_settings(url, var_dir)
    upgrade(url)
    rt = build_runtime(settings)
    load_demo(engine=rt.db)
    rt.reload_calendar()
    bpmn = bpmn_file(settings)
    deploy(rt, [(bpmn.name, bpmn.read_bytes())])
    return rt


def bpmn_file(settings: Any) -> Path:
    return settings.bpmn_dir / f"{PROCESS_KEY}.bpmn"


def open_task_id(rt: Any, instance_id: int) -> int:
    """The id of the instance's single open task (the scenario has one at a time). This is the driver's
    lookup, not product work (the HTTP path gets the id from the previous answer), so it is a plain
    statement on one DB-API connection the driver keeps for the run (autocommit: each read sees the last
    commit)."""
    conn = rt.__dict__.get("_bench_reader")
    if conn is None:
        conn = rt.__dict__["_bench_reader"] = rt.db.raw_connection()
        if rt.db.dialect.name == "postgresql":
            conn.driver_connection.autocommit = True
    mark = "?" if rt.db.dialect.name == "sqlite" else "%s"
    cur = conn.cursor()
    cur.execute(f"SELECT id FROM human_task WHERE instance_id = {mark} AND state = 'open'", (instance_id,))
    found = cur.fetchone()
    cur.close()
    if found is None:
        raise RuntimeError(f"instance {instance_id} has no open task")
    return int(found[0])


def close_reader(rt: Any) -> None:
    """Give back the driver's connection (see :func:`open_task_id`)."""
    conn = rt.__dict__.pop("_bench_reader", None)
    if conn is not None:
        conn.close()
