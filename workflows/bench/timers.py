"""The timer sweep: 1,000 due timers among 100,000 waiting instances, and among 1,000 — timers fired per
second through ``fire_due_timers`` (the use case the scheduler calls) and the growth between the two.

Waiting instances are made cheaply: one real instance is run to the unit head's review (waiting there with
its reminder and escalation timers) and its rows — serialized workflow, open task, ``timer_due`` — are copied
with fresh ids and task GUIDs. For a due copy the reminder's due time (in the serialized timer and in
``timer_due``) is moved a day into the past, so firing it runs the real reminder handler. The sweep must
read only the ``timer_due`` index: its query plan is checked on SQLite.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from .common import APPLICANT, PROCESS_KEY, Figure, Sizes, application, close_reader, median, open_task_id, scratch_dir, scratch_runtime, sqlite_url

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Template:
    """A waiting instance's rows, cut at every UUID so copies can be joined with fresh ones quickly."""

    instance: dict[str, Any]
    task: dict[str, Any]
    pieces: list[str]          # state text between UUIDs
    slots: list[int]           # for each gap between pieces: which distinct UUID goes there
    distinct: int              # number of distinct UUIDs
    task_slot: int             # the open user task's UUID
    remind_due: str            # the reminder timer's due time as serialized
    remind_at: datetime

    def state(self, ids: list[str], remind_due: str | None) -> bytes:
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:]):
            out.append(ids[slot])
            out.append(piece)
        text = "".join(out)
        if remind_due is not None:
            text = text.replace(self.remind_due, remind_due)
        return text.encode("utf-8")


def make_template(rt: Any) -> Template:
    from ..db import unit_of_work
    from ..models import HumanTask, ProcessInstance, TimerDue
    from ..services import instances

    iid = instances.start_process(rt, PROCESS_KEY, APPLICANT, {})
    instances.complete_task(rt, open_task_id(rt, iid), APPLICANT, application(0))
    close_reader(rt)
    with unit_of_work(write=False, engine=rt.db) as s:
        inst = s.get(ProcessInstance, iid)
        task = s.scalars(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.state == "open")).one()
        timer = s.get(TimerDue, iid)
        assert inst is not None and timer is not None
        inst_row = {c.name: getattr(inst, c.key) for c in ProcessInstance.__table__.columns}
        task_row = {c.name: getattr(task, c.key) for c in HumanTask.__table__.columns}
        remind_at = timer.due_at
    text = inst_row["state"].decode("utf-8")
    reminders = [t["internal_data"]["event_value"] for t in json.loads(text)["tasks"].values()
                 if t["task_spec"].endswith("_remind_timer") and t["state"] == 8]
    if len(reminders) != 1:
        raise RuntimeError(f"expected one waiting reminder timer in the template, found {len(reminders)}")
    order: dict[str, int] = {}
    slots = [order.setdefault(m.group(0), len(order)) for m in UUID_TEXT.finditer(text)]
    return Template(inst_row, task_row, UUID_TEXT.split(text), slots, len(order), order[task_row["task_guid"]],
                    reminders[0], remind_at)


def add_copies(rt: Any, template: Template, count: int, due: bool) -> None:
    """Insert ``count`` copies of the waiting instance; ``due`` ones have their reminder a day overdue."""
    import uuid

    from ..clock import now
    from ..db import unit_of_work
    from ..models import HumanTask, ProcessInstance, TimerDue

    overdue = now() - timedelta(days=1)
    remind_text = overdue.isoformat() if due else None
    with unit_of_work(engine=rt.db) as s:
        next_id = (s.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    for start in range(0, count, 5000):
        insts, tasks, timers = [], [], []
        for iid in range(next_id + start, next_id + min(count, start + 5000)):
            ids = [str(uuid.uuid4()) for _ in range(template.distinct)]
            insts.append({**template.instance, "id": iid, "state": template.state(ids, remind_text)})
            task = {**template.task, "instance_id": iid, "task_guid": ids[template.task_slot]}
            task.pop("id")
            tasks.append(task)
            timers.append({"instance_id": iid, "due_at": overdue if due else template.remind_at})
        with unit_of_work(engine=rt.db) as s:
            s.execute(insert(ProcessInstance.__table__), insts)
            s.execute(insert(HumanTask.__table__), tasks)
            s.execute(insert(TimerDue.__table__), timers)


def sweep_rate(rt: Any, due: int) -> tuple[float, float]:
    """(timers fired per second, CPU ms per timer) of one sweep over ``due`` due instances."""
    from ..services.timers import fire_due_timers

    cpu, start = time.process_time(), time.perf_counter()
    fired = fire_due_timers(rt, limit=due)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if fired != due:
        raise RuntimeError(f"the sweep fired {fired} of {due} due timers")
    return fired / elapsed, cpu * 1000 / fired


def sweep_plan(rt: Any) -> str:
    """SQLite's plan for the sweep's due query (must search ``timer_due`` by its ``due_at`` index)."""
    from ..clock import now
    from ..models import TimerDue

    query = select(TimerDue.instance_id).where(TimerDue.due_at <= now()).order_by(TimerDue.due_at).limit(1000)
    sql = str(query.compile(rt.db, compile_kwargs={"literal_binds": True}))
    with rt.db.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return "; ".join(str(r[-1]) for r in rows)


def measure(sizes: Sizes, waiting: int) -> tuple[float, float, str]:
    """(median timers/s, median CPU ms per timer, query plan) for ``sizes.timer_due`` due timers among
    ``waiting`` waiting instances."""
    rates, cpu = [], []
    with scratch_dir("timers") as var_dir:
        rt = scratch_runtime(sqlite_url(var_dir), var_dir)
        try:
            template = make_template(rt)
            add_copies(rt, template, max(0, waiting - sizes.timer_due - 1), due=False)
            plan = sweep_plan(rt)
            for _ in range(min(sizes.repeats, 3)):
                add_copies(rt, template, sizes.timer_due, due=True)
                r, c = sweep_rate(rt, sizes.timer_due)
                rates.append(r)
                cpu.append(c)
        finally:
            rt.db.dispose()
    return median(rates), median(cpu), plan


def run(bench: Any) -> list[Figure]:
    sizes: Sizes = bench.sizes
    large, large_cpu, plan = measure(sizes, sizes.timer_waiting_large)
    small, small_cpu, _ = measure(sizes, sizes.timer_waiting_small)
    if "due_at" not in plan:
        bench.skip("timer sweep index check", f"the due query does not use the timer_due.due_at index: {plan}")
    detail = f"{sizes.timer_due} due among {sizes.timer_waiting_large} waiting; plan: {plan}"
    figures = [Figure("timer_sweep_100k", large, "timers/s", detail),
               Figure("timer_sweep_1k", small, "timers/s", f"{sizes.timer_due} due among {sizes.timer_waiting_small} waiting"),
               Figure("timer_sweep_growth", small / large, "x", "seconds per timer with 100k waiting / with 1k waiting"),
               Figure("timer_sweep_cpu_growth", large_cpu / small_cpu, "x",
                      f"CPU per timer with 100k waiting / with 1k waiting ({large_cpu:.1f} / {small_cpu:.1f} ms)")]
    lateness = measure_lateness(bench)
    return figures + ([lateness] if lateness else [])


def measure_lateness(bench: Any) -> Figure | None:
    """``timer_lateness_p99`` from the scheduler's own probe (a real embedded Prefect server, 20 s timers);
    it takes minutes of real time, so quick runs leave it out."""
    if bench.sizes.quick:
        bench.skip("timer_lateness_p99", "quick run: timers must wait for real time (a full run measures it)")
        return None
    try:
        from ..scheduler.bench import timer_lateness_p99
    except ImportError as exc:
        bench.skip("timer_lateness_p99", f"needs the Prefect scheduler (workflows.scheduler.bench): {exc}")
        return None
    samples = 30
    try:
        value = timer_lateness_p99(samples=samples)
    except Exception as exc:  # the sweep figures above stay valid
        bench.skip("timer_lateness_p99", f"failed: {type(exc).__name__}: {exc}")
        return None
    return Figure("timer_lateness_p99", value, "s", f"{samples} timers 20 s ahead, fired by the embedded Prefect scheduler")
