"""The timer sweep: fire every instance whose earliest timer is due. What the scheduler calls.

Contract: reads only ``timer_due`` (indexed by due time), oldest first; each instance is advanced in its own
transaction under its row lock, locked rows are skipped (``SKIP LOCKED`` on PostgreSQL; SQLite writers queue
on ``BEGIN IMMEDIATE``) and the due time is re-read under the lock, so two sweeps never fire one timer twice.
Idempotent: a timer that already fired is no longer due, so a repeated sweep does nothing.

One broken instance never stops the sweep: an unexpected exception while firing it is logged, recorded as an
:class:`Incident` and the instance is put in ``error`` (its timer leaves the due index until an administrator
retries), each in a separate transaction; the sweep goes on. A database that is unreachable or busy is not the
instance's fault: such errors are logged and the instance is tried again by the next sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout

from .. import clock
from ..db import is_sqlite, unit_of_work
from ..models import AuditEvent, Incident, ProcessDefinition, ProcessInstance, TimerDue
from .instances import restore, run_engine
from .runtime import Runtime

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, PoolTimeout)  # database down, locked or overloaded: retry later, no incident


def due_instance_ids(rt: Runtime, now: datetime, limit: int) -> list[int]:
    with unit_of_work(write=False, engine=rt.db) as session:
        return list(session.scalars(select(TimerDue.instance_id).where(TimerDue.due_at <= now)
                                    .order_by(TimerDue.due_at).limit(limit)).all())


def fire_one(rt: Runtime, instance_id: int, now: datetime) -> bool:
    """Advance one instance if its timer is still due and nobody else holds it; True when it moved."""
    with unit_of_work(engine=rt.db) as session:
        query = select(ProcessInstance).join(TimerDue, TimerDue.instance_id == ProcessInstance.id).where(
            ProcessInstance.id == instance_id, TimerDue.due_at <= now, ProcessInstance.status == "running")
        if not is_sqlite(rt.db):
            query = query.with_for_update(skip_locked=True, of=ProcessInstance)
        inst = session.scalar(query)
        if inst is None:
            return False
        # re-read under the lock: another sweep may have fired it between our snapshot and the lock
        due = session.scalar(select(TimerDue.due_at).where(TimerDue.instance_id == instance_id)
                             .execution_options(populate_existing=True))
        if due is None or clock.as_utc(due) > now:
            return False
        workflow, loaded = restore(session, rt, inst)
        session.add(AuditEvent(instance_id=inst.id, at=clock.now(), action="timer"))
        run_engine(session, rt, inst, workflow, loaded, rt.engine.run)
        return True


def record_sweep_failure(rt: Runtime, instance_id: int, exc: BaseException) -> None:
    """In its own transaction: an incident for the instance, which goes to ``error`` and leaves the due index."""
    message = f"定时器触发失败：{type(exc).__name__}: {exc}"[:4000]
    with unit_of_work(engine=rt.db) as session:
        inst = session.get(ProcessInstance, instance_id)
        if inst is None:
            return
        now = clock.now()
        session.add(Incident(instance_id=instance_id, at=now, element_id="", error=message))
        session.add(AuditEvent(instance_id=instance_id, at=now, action="error", details={"error": message, "source": "timer"}))
        inst.status = "error"
        inst.error = message
        session.execute(delete(TimerDue).where(TimerDue.instance_id == instance_id))


def fire_due_timers(rt: Runtime, now: datetime | None = None, limit: int = 1000) -> int:
    """Fire what is due at ``now`` (default: the clock). Returns how many instances advanced."""
    now = now or clock.now()
    fired = 0
    for instance_id in due_instance_ids(rt, now, limit):
        try:
            fired += fire_one(rt, instance_id, now)
        except TRANSIENT:
            log.warning("timer sweep: database unavailable for instance %s; the next sweep retries", instance_id, exc_info=True)
        except Exception as exc:  # one broken instance never stops the sweep
            log.exception("timer sweep: instance %s failed; recorded as an incident", instance_id)
            try:
                record_sweep_failure(rt, instance_id, exc)
            except Exception:
                log.exception("timer sweep: could not record the incident of instance %s", instance_id)
    return fired


def warm_up(rt: Runtime, until: datetime, limit: int = 1000) -> int:
    """Parse (into the spec cache) the definitions of instances due by ``until``, so that firing them at their
    due time spends no time on parsing. Read-only; returns how many definitions are ready."""
    with unit_of_work(write=False, engine=rt.db) as session:
        due = select(TimerDue.instance_id).where(TimerDue.due_at <= until).order_by(TimerDue.due_at).limit(limit).subquery()
        definitions = session.scalars(select(ProcessDefinition).where(ProcessDefinition.id.in_(
            select(ProcessInstance.definition_id).where(ProcessInstance.id.in_(select(due.c.instance_id)))))).all()
        for definition in definitions:
            rt.loaded(definition)
        return len(definitions)


def next_due(rt: Runtime, after: datetime | None = None) -> datetime | None:
    """The earliest due time in the index (strictly after ``after`` when given)."""
    with unit_of_work(write=False, engine=rt.db) as session:
        query = select(TimerDue.due_at).order_by(TimerDue.due_at).limit(1)
        if after is not None:
            query = query.where(TimerDue.due_at > after)
        return session.scalar(query)
