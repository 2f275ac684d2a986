"""The sweep's guarantees: two sweeps at once fire each timer once (PostgreSQL, threads); one broken instance
becomes an incident an administrator can see and retry, and the sweep goes on."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from tests.flows import apply
from workflows.db import unit_of_work
from workflows.models import AuditEvent, HumanTask, Incident, ProcessInstance, TimerDue
from workflows.services import instances, timers

MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)
REMINDER_DUE = MONDAY + timedelta(days=2, minutes=1)  # P2WD passed, P3WD not yet


def timer_events(rt, iid: int) -> int:
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == "timer"))


@pytest.mark.postgres
def test_two_sweeps_at_once_fire_each_timer_once(pg_rt):
    rt = pg_rt
    with time_machine.travel(MONDAY, tick=False) as traveller:
        ids = [apply(rt) for _ in range(12)]
        traveller.move_to(REMINDER_DUE)
        barrier = threading.Barrier(3)
        counts: list[int] = []
        errors: list[BaseException] = []

        def sweep() -> None:
            try:
                barrier.wait()
                counts.append(timers.fire_due_timers(rt))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=sweep) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not errors
    assert sum(counts) == len(ids)
    assert [timer_events(rt, i) for i in ids] == [1] * len(ids)
    with unit_of_work(write=False, engine=rt.db) as s:
        reminders = s.scalars(select(HumanTask.reminders_sent).where(HumanTask.instance_id.in_(ids), HumanTask.state == "open")).all()
        assert reminders == [1] * len(ids)
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_broken_instance_becomes_an_incident_and_the_sweep_goes_on(sqlite_rt, monkeypatch):
    rt = sqlite_rt
    with time_machine.travel(MONDAY, tick=False) as traveller:
        broken, healthy = apply(rt), apply(rt)
        traveller.move_to(REMINDER_DUE)
        real_restore = timers.restore

        def restore(session, rt_, inst):
            if inst.id == broken:
                raise KeyError("task_spec 'gone'")  # e.g. a serialized state the engine no longer understands
            return real_restore(session, rt_, inst)

        monkeypatch.setattr(timers, "restore", restore)
        assert timers.fire_due_timers(rt) == 1
        assert timers.fire_due_timers(rt) == 0  # the broken one left the due index: no incident storm
        with unit_of_work(write=False, engine=rt.db) as s:
            inst = s.get(ProcessInstance, broken)
            assert inst.status == "error" and "KeyError" in inst.error
            assert [i.error for i in s.scalars(select(Incident).where(Incident.instance_id == broken))] == [inst.error]
            assert s.get(TimerDue, broken) is None
            assert s.get(ProcessInstance, healthy).status == "running"
        assert timer_events(rt, healthy) == 1
        # the administrator retries once the cause is gone: the timer fires then
        monkeypatch.setattr(timers, "restore", real_restore)
        instances.retry_instance(rt, broken, "admin")
        assert timer_events(rt, broken) == 0
        with unit_of_work(write=False, engine=rt.db) as s:
            assert s.get(ProcessInstance, broken).status == "running"
            task = s.scalar(select(HumanTask).where(HumanTask.instance_id == broken, HumanTask.state == "open"))
            assert task.reminders_sent == 1


def test_a_database_outage_is_no_incident(sqlite_rt, monkeypatch):
    from sqlalchemy.exc import OperationalError

    rt = sqlite_rt
    with time_machine.travel(MONDAY, tick=False) as traveller:
        iid = apply(rt)
        traveller.move_to(REMINDER_DUE)

        def locked(*args, **kwargs):
            raise OperationalError("UPDATE", {}, Exception("database is locked"))

        monkeypatch.setattr(timers, "fire_one", locked)
        assert timers.fire_due_timers(rt) == 0
        monkeypatch.undo()
        with unit_of_work(write=False, engine=rt.db) as s:
            assert s.get(ProcessInstance, iid).status == "running"
            assert s.scalar(select(func.count()).select_from(Incident)) == 0
        assert timers.fire_due_timers(rt) == 1  # the next sweep fires it
