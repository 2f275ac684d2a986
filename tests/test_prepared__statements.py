"""Prepared statements (workflows.prepared) against SQLAlchemy's own execution, on SQLite and PostgreSQL.

What the step path writes through the DB-API cursor must be exactly what SQLAlchemy would have written: the
columns' Python defaults, UTC datetimes, JSON, booleans; and database errors must stay SQLAlchemy's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, exc, insert, select, update

from workflows.db import unit_of_work
from workflows.models import AuditEvent, HumanTask, Person, ProcessDefinition, ProcessInstance
from workflows.prepared import Prepared

_NEW_INSTANCE = Prepared(insert(ProcessInstance.__table__).returning(ProcessInstance.__table__.c.id))
_NEW_TASK = Prepared(insert(HumanTask.__table__).returning(HumanTask.__table__.c.id, HumanTask.__table__.c.created_at))
_AUDIT = Prepared(insert(AuditEvent.__table__))
_TASKS_OF = Prepared(select(HumanTask.id, HumanTask.due_at, HumanTask.escalated, HumanTask.reminders_sent, HumanTask.kind,
                            HumanTask.lane).where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.state == "open")
                     .order_by(HumanTask.id))
_CLOSE = Prepared(update(HumanTask.__table__).where(HumanTask.__table__.c.id == bindparam("b_id"))
                  .values(state=bindparam("state")))


def _person_id(session, username: str) -> int:
    return session.scalar(select(Person.id).where(Person.username == username))


def _definition_id(session) -> int:
    return session.scalar(select(ProcessDefinition.id).limit(1))


def test_writes_and_reads_as_sqlalchemy_would(rt):
    at = datetime(2026, 12, 4, 9, 30, tzinfo=timezone(timedelta(hours=8)))  # Beijing time, stored as UTC
    with unit_of_work(engine=rt.db) as session:
        starter = _person_id(session, "staff_cs")
        iid = _NEW_INSTANCE.scalar(session, {"definition_id": _definition_id(session), "process_key": "group_approval", "version": 1,
                                             "status": "running", "unit_id": None, "started_by_id": starter,
                                             "started_at": at, "title": "测试", "state": b"{}"})
        task_id, created = _NEW_TASK.first(session, {"instance_id": iid, "task_guid": "g1", "spec_id": "apply",
                                                     "name": "填写", "process_key": "group_approval", "created_at": at,
                                                     "due_at": at + timedelta(days=3)})
        _AUDIT.execute(session, {"instance_id": iid, "at": at, "action": "start", "details": {"版本": 1, "ok": True}})
        rows = _TASKS_OF.all(session, {"instance_id": iid})
    assert created == at and created.tzinfo == timezone.utc
    # Python defaults filled as SQLAlchemy fills them; result types as SQLAlchemy returns them
    assert rows == [(task_id, at + timedelta(days=3), False, 0, "task", "")]
    with unit_of_work(write=False, engine=rt.db) as session:
        named = _TASKS_OF.named(session, {"instance_id": iid})
    assert named == rows and named[0].due_at == at + timedelta(days=3) and named[0].escalated is False
    with unit_of_work(write=False, engine=rt.db) as session:
        inst = session.get(ProcessInstance, iid)
        assert inst.data == {} and inst.revision == 1 and inst.started_at == at  # defaults dict and 1
        event = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid)).one()
        assert event.details == {"版本": 1, "ok": True} and event.at == at
        task = session.get(HumanTask, task_id)
        assert (task.state, task.escalated, task.kind, task.due_at) == ("open", False, "task", at + timedelta(days=3))


def test_a_rolled_back_transaction_leaves_nothing_and_errors_stay_sqlalchemys(rt):
    with unit_of_work(engine=rt.db) as session:
        iid = _NEW_INSTANCE.scalar(session, {"definition_id": _definition_id(session), "process_key": "p", "version": 1, "status": "running",
                                             "unit_id": None, "started_by_id": None, "started_at": datetime.now(timezone.utc),
                                             "title": "", "state": b"{}"})
    with pytest.raises(exc.IntegrityError):
        with unit_of_work(engine=rt.db) as session:
            task_id = _NEW_TASK.scalar(session, {"instance_id": iid, "task_guid": "g", "spec_id": "a", "name": "a",
                                                 "process_key": "p", "created_at": datetime.now(timezone.utc)})
            assert _CLOSE.rowcount(session, {"b_id": task_id, "state": "completed"}) == 1
            _NEW_TASK.execute(session, {"instance_id": iid + 1000, "task_guid": "g", "spec_id": "a", "name": "a",
                                        "process_key": "p", "created_at": datetime.now(timezone.utc)})  # no such instance
    with unit_of_work(write=False, engine=rt.db) as session:
        assert _TASKS_OF.all(session, {"instance_id": iid}) == []
        assert session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid)) is None


def test_a_savepoint_rolls_back_what_ran_inside_it(rt):
    """Handlers write inside a savepoint that the session begins lazily: a prepared write after
    ``begin_nested`` must land inside it, and go with it."""
    with unit_of_work(engine=rt.db) as session:
        iid = _NEW_INSTANCE.scalar(session, {"definition_id": _definition_id(session), "process_key": "p", "version": 1,
                                             "status": "running", "unit_id": None, "started_by_id": None,
                                             "started_at": datetime.now(timezone.utc), "title": "", "state": b"{}"})
        _AUDIT.execute(session, {"instance_id": iid, "at": datetime.now(timezone.utc), "action": "kept"})
        savepoint = session.begin_nested()
        _AUDIT.execute(session, {"instance_id": iid, "at": datetime.now(timezone.utc), "action": "undone"})
        savepoint.rollback()
        inner = session.begin_nested()
        _AUDIT.execute(session, {"instance_id": iid, "at": datetime.now(timezone.utc), "action": "released"})
        inner.commit()
    with unit_of_work(write=False, engine=rt.db) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == iid).order_by(AuditEvent.id)).all()
    assert actions == ["kept", "released"]


def test_a_list_sqlalchemy_expands_at_execution_is_refused():
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    stmt = Prepared(select(HumanTask.id).where(HumanTask.state.in_(bindparam("states", expanding=True))))
    engine = create_engine("sqlite://")
    with Session(engine) as session, pytest.raises(ValueError, match="cannot be prepared"):
        stmt.all(session, {"states": ["open"]})
