"""``timer_lateness_p99``: how late BPMN timers fire through the real scheduler (embedded Prefect server,
served flows, wake-up dispatch), in seconds.

A scratch SQLite database and var dir, one person, the tests' timer probe diagram (a user task with a
``PT<n>S`` boundary timer); ``samples`` instances are started ``spacing`` seconds apart (so their due times differ), each timer
``timer_seconds`` ahead (15 s or more is the promise); lateness = the ``timer`` audit event's time (stamped
when the instance is fired) minus the due time the engine armed. Nothing touches the configured database.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path


from ..probe import wait_until_ok

PROBE_KEY = "timer_probe"


def probe_bpmn(root_dir: Path, seconds: int) -> bytes:
    """The timer probe of the tests (``tests/data/timer_probe.bpmn``: a user task that an interrupting
    boundary timer moves on) with its timer set to ``PT<seconds>S``."""
    path = root_dir / "tests" / "data" / "timer_probe.bpmn"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: timer_lateness_p99 runs from a repository checkout")
    return path.read_bytes().replace(b"PT20S", f"PT{seconds}S".encode())


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def _scratch(var_dir: Path):  # type: ignore[no-untyped-def]
    from ..db import unit_of_work
    from ..models import PartyOrg, Person, Unit
    from ..services.runtime import build_runtime
    from ..services.schema import upgrade
    from ..settings import Settings

    url = f"sqlite:///{var_dir / 'groupgov.sqlite3'}"
    settings = Settings(database_url=url, var_dir=var_dir, secret_key="bench-secret-not-for-production", environment="test",
                        prefect_port=0, prefect_api_url=None)
    upgrade(url)
    rt = build_runtime(settings)
    with unit_of_work(engine=rt.db) as s:
        org = PartyOrg(name="测量党委")
        s.add(org)
        s.flush()
        unit = Unit(name="测量单位", kind="office", party_org_id=org.id)
        s.add(unit)
        s.flush()
        s.add(Person(username="bench", name="测量员", unit_id=unit.id))
    return rt


def timer_lateness(samples: int = 30, timer_seconds: int = 20, spacing: float = 0.7, timeout: float = 240.0) -> list[float]:
    """Lateness in seconds of each of ``samples`` timers fired by a freshly started embedded scheduler."""
    from sqlalchemy import select

    from ..db import unit_of_work
    from ..models import AuditEvent, TimerDue
    from ..services import instances
    from ..services.deployments import deploy
    from .server import SchedulerStack

    with tempfile.TemporaryDirectory(prefix="groupgov-bench-lateness-") as d:
        var_dir = Path(d)
        rt = _scratch(var_dir)
        deploy(rt, [(f"{PROBE_KEY}.bpmn", probe_bpmn(rt.settings.root_dir, timer_seconds))])
        env = {"GROUPGOV_DATABASE_URL": rt.settings.sqlalchemy_url, "GROUPGOV_VAR_DIR": str(var_dir),
               "GROUPGOV_SECRET_KEY": rt.settings.secret_key, "GROUPGOV_ENVIRONMENT": "test"}
        stack = SchedulerStack(rt.settings, extra_env=env).start()
        try:
            _wait_for_wake_up_deployment(stack.api_url, 180.0)
            ids, due = [], {}
            for _ in range(samples):
                iid = instances.start_process(rt, PROBE_KEY, "bench", {})
                with unit_of_work(write=False, engine=rt.db) as s:
                    due[iid] = s.scalar(select(TimerDue.due_at).where(TimerDue.instance_id == iid))
                ids.append(iid)
                time.sleep(spacing)
            deadline = time.monotonic() + timeout
            fired: dict[int, object] = {}
            while len(fired) < len(ids) and time.monotonic() < deadline:
                time.sleep(0.5)
                with unit_of_work(write=False, engine=rt.db) as s:
                    fired = dict(s.execute(select(AuditEvent.instance_id, AuditEvent.at).where(
                        AuditEvent.instance_id.in_(ids), AuditEvent.action == "timer")).all())
            if len(fired) < len(ids):
                raise RuntimeError(f"only {len(fired)} of {len(ids)} timers fired within {timeout:.0f} s")
            return [(fired[i] - due[i]).total_seconds() for i in ids]  # type: ignore[operator]
        finally:
            stack.stop()
            rt.db.dispose()


def _wait_for_wake_up_deployment(api_url: str, timeout: float) -> None:
    from .dispatch import WAKE_UP

    if wait_until_ok(f"{api_url}/deployments/name/{WAKE_UP}", timeout, interval=0.5, request_timeout=5) != "ok":
        raise TimeoutError(f"the scheduler did not register its deployments within {timeout:.0f} s")


def timer_lateness_p99(samples: int = 30, timer_seconds: int = 20, spacing: float = 0.7) -> float:
    """The ``timer_lateness_p99`` figure (seconds): p99 of :func:`timer_lateness`; the promise is ≤ 2 s."""
    return percentile(timer_lateness(samples, timer_seconds, spacing), 99)
