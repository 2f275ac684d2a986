"""Plain-statement writes of the step path (start, complete, timers), kept in step with the ORM session.

Contract: every function runs on the caller's session connection inside its transaction, and leaves the ORM
objects it writes for (instance, task rows) looking freshly loaded with the new values, so nothing is
written twice and later ORM changes in the same transaction still version-check correctly. Used where an
ORM flush would cost several times the statement itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import Conflict
from ..models import AuditEvent, HumanTask, Notification, ProcessInstance
from ..prepared import Prepared
from .people import HOLDERS

_AUDIT = Prepared(insert(AuditEvent.__table__))
_NOTIFY = Prepared(insert(Notification.__table__))
_TASK = HumanTask.__table__
_NEW_TASK = Prepared(insert(_TASK).returning(_TASK.c.id))
_INSTANCE = ProcessInstance.__table__
# UPDATE statements by the set of columns they write, prepared once each
_TASK_UPDATES: dict[tuple[str, ...], Prepared] = {}
_INSTANCE_UPDATES: dict[tuple[str, ...], Prepared] = {}


def audit(session: Session, **values: Any) -> None:
    """Append an audit event at once, so it keeps its place in the trail ahead of what is recorded next."""
    _AUDIT.execute(session, values)


def notify(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert notifications."""
    for row in rows:
        _NOTIFY.execute(session, row)


def _holders_insert() -> Any:
    """INSERT INTO notification ... SELECT :data:`.people.HOLDERS` (the holders of a role in a scope who have
    not left), with the notification's other columns bound."""
    n = Notification.__table__.c
    columns = ("instance_id", "task_id", "kind", "title", "body", "created_at")
    values = HOLDERS.add_columns(*(bindparam(c, type_=n[c].type) for c in columns))
    return insert(Notification.__table__).from_select(["person_id", *columns], values)


_NOTIFY_HOLDERS = Prepared(_holders_insert())


def notify_holders(session: Session, role: str, scope: str, values: dict[str, Any]) -> None:
    """One notification ``values`` (instance_id, task_id, kind, title, body, created_at) for every holder of
    ``role`` in ``scope``, in one statement (no read of the holders first)."""
    _NOTIFY_HOLDERS.execute(session, {**values, "role": role, "scope": scope})


def insert_task(session: Session, values: dict[str, Any]) -> int:
    """Insert a task row; returns its id."""
    return int(_NEW_TASK.scalar(session, values))


def update_task(session: Session, row: HumanTask, **values: Any) -> None:
    """``UPDATE human_task SET values WHERE id = row.id``, and the same on ``row``."""
    keys = tuple(sorted(values))
    stmt = _TASK_UPDATES.get(keys)
    if stmt is None:
        stmt = _TASK_UPDATES[keys] = Prepared(_TASK.update().where(_TASK.c.id == bindparam("b_id"))
                                              .values({k: bindparam(k) for k in keys}))
    stmt.execute(session, {**values, "b_id": row.id})
    for key, value in values.items():
        set_committed_value(row, key, value)


_NEW_INSTANCE = Prepared(insert(_INSTANCE).returning(_INSTANCE.c.id))


def insert_instance(session: Session, **values: Any) -> ProcessInstance:
    """Insert a new instance row (empty state and data, revision 1) and answer it as a persistent ORM object,
    as if just loaded: no flush, no reload."""
    row = {"ended_at": None, "error": None, "data": {}, "state": b"{}", "revision": 1, **values}
    row["id"] = _NEW_INSTANCE.scalar(session, row)
    inst = ProcessInstance(**row)
    make_transient_to_detached(inst)
    session.add(inst)
    return inst


def update_instance(session: Session, inst: ProcessInstance, **values: Any) -> None:
    """Save ``values`` of the instance and bump its revision, checking the revision as the ORM would.
    A pending instance is flushed first (it needs its row)."""
    if not inspect(inst).persistent or session.is_modified(inst, include_collections=False):
        session.flush([inst])
    revision = inst.revision
    keys = tuple(sorted(values))
    stmt = _INSTANCE_UPDATES.get(keys)
    if stmt is None:
        stmt = _INSTANCE_UPDATES[keys] = Prepared(_INSTANCE.update()
            .where(_INSTANCE.c.id == bindparam("b_id"), _INSTANCE.c.revision == bindparam("b_revision"))
            .values({k: bindparam(k) for k in keys} | {"revision": bindparam("revision")}))
    changed = stmt.rowcount(session, {**values, "revision": revision + 1, "b_id": inst.id, "b_revision": revision})
    if changed != 1:
        raise Conflict("流程实例已被他人修改，请刷新后重试")
    for key, value in {**values, "revision": revision + 1}.items():
        set_committed_value(inst, key, value)
