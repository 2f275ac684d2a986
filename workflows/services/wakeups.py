"""The timer wake-up outbox: due times that need a wake-up run in the scheduler.

Contract: :func:`record` runs inside the transaction that arms a timer (the projection calls it) and never
talks to the scheduler, so the engine never waits on Prefect. One row per due second (rounded up), inserted
with ON CONFLICT DO NOTHING so concurrent arming never fails. The dispatcher reads :func:`pending` and
deletes what it scheduled with :func:`forget`. A row that is never dispatched only costs lateness: the sweep
fires every due timer anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..models import TimerWakeup
from ..prepared import Prepared
from .runtime import Runtime


def wake_second(due: datetime) -> datetime:
    """``due`` rounded up to the whole second, in UTC: a wake-up at that time never comes early."""
    due = clock.as_utc(due)
    whole = due.replace(microsecond=0)
    return whole if whole == due else whole + timedelta(seconds=1)


def record(session: Session, due: datetime) -> None:
    """Note in the caller's transaction that a timer was armed for ``due`` (idempotent)."""
    values = {"due_at": wake_second(due), "created_at": clock.now()}
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:  # pragma: no cover - the product supports SQLite and PostgreSQL
        if session.get(TimerWakeup, values["due_at"]) is None:
            session.add(TimerWakeup(**values))
        return
    _INSERTS[dialect].execute(session, values)


# built once: ON CONFLICT DO NOTHING inserts per dialect
_INSERTS = {
    "postgresql": Prepared(postgresql.insert(TimerWakeup.__table__).on_conflict_do_nothing(index_elements=["due_at"])),
    "sqlite": Prepared(sqlite.insert(TimerWakeup.__table__).on_conflict_do_nothing(index_elements=["due_at"])),
}


def pending(rt: Runtime, until: datetime, limit: int = 500) -> list[datetime]:
    """Due times not yet handed to the scheduler, up to ``until``, oldest first."""
    with unit_of_work(write=False, engine=rt.db) as session:
        return list(session.scalars(select(TimerWakeup.due_at).where(TimerWakeup.due_at <= until)
                                    .order_by(TimerWakeup.due_at).limit(limit)).all())


def forget(rt: Runtime, dues: Iterable[datetime]) -> int:
    """Delete outbox rows the scheduler now knows about (or that are too old to matter)."""
    dues = [clock.as_utc(d) for d in dues]
    if not dues:
        return 0
    with unit_of_work(engine=rt.db) as session:
        result = session.execute(delete(TimerWakeup).where(TimerWakeup.due_at.in_(dues)))
        return int(result.rowcount or 0)
