"""The timer sweep: fire every instance whose earliest timer is due. What the scheduler calls.

Contract: reads only ``timer_due`` (indexed by due time), oldest first; each instance is advanced in its own
transaction under its row lock, locked rows are skipped (``SKIP LOCKED`` on PostgreSQL) so two sweeps never
fire one timer twice; a broken instance is recorded as an incident and the sweep goes on. Idempotent: a
timer that already fired is no longer WAITING, so a repeated sweep does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from .. import clock
from ..db import is_sqlite, unit_of_work
from ..models import AuditEvent, ProcessInstance, TimerDue
from .instances import restore, run_engine
from .runtime import Runtime

log = logging.getLogger(__name__)


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
        workflow, loaded = restore(session, rt, inst)
        session.add(AuditEvent(instance_id=inst.id, at=clock.now(), action="timer"))
        run_engine(session, rt, inst, workflow, loaded, rt.engine.run)
        return True


def fire_due_timers(rt: Runtime, now: datetime | None = None, limit: int = 1000) -> int:
    """Fire what is due at ``now`` (default: the clock). Returns how many instances advanced."""
    now = now or clock.now()
    fired = 0
    for instance_id in due_instance_ids(rt, now, limit):
        try:
            fired += fire_one(rt, instance_id, now)
        except Exception:  # one broken instance never stops the sweep
            log.exception("timer sweep: instance %s failed", instance_id)
    return fired


def next_due(rt: Runtime) -> datetime | None:
    with unit_of_work(write=False, engine=rt.db) as session:
        return session.scalar(select(TimerDue.due_at).order_by(TimerDue.due_at).limit(1))
