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
from .people import HOLDERS

_AUDIT = insert(AuditEvent.__table__)
_NOTIFY = insert(Notification.__table__)
_TASK = HumanTask.__table__
_NEW_TASK = insert(_TASK).returning(_TASK.c.id)
_INSTANCE = ProcessInstance.__table__
# UPDATE statements by the set of columns they write, built once each
_TASK_UPDATES: dict[tuple[str, ...], Any] = {}
_INSTANCE_UPDATES: dict[tuple[str, ...], Any] = {}


def audit(session: Session, **values: Any) -> None:
    """Append an audit event at once, so it keeps its place in the trail ahead of what is recorded next."""
    session.connection().execute(_AUDIT, values)


def notify(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert notifications (one statement for all)."""
    if rows:
        session.connection().execute(_NOTIFY, rows)


def _holders_insert() -> Any:
    """INSERT INTO notification ... SELECT :data:`.people.HOLDERS` (the holders of a role in a scope who have
    not left), with the notification's other columns bound."""
    n = Notification.__table__.c
    columns = ("instance_id", "task_id", "kind", "title", "body", "created_at")
    values = HOLDERS.add_columns(*(bindparam(c, type_=n[c].type) for c in columns))
    return insert(Notification.__table__).from_select(["person_id", *columns], values)


_NOTIFY_HOLDERS = _holders_insert()


def notify_holders(session: Session, role: str, scope: str, values: dict[str, Any]) -> None:
    """One notification ``values`` (instance_id, task_id, kind, title, body, created_at) for every holder of
    ``role`` in ``scope``, in one statement (no read of the holders first)."""
    session.connection().execute(_NOTIFY_HOLDERS, {**values, "role": role, "scope": scope})


def insert_task(session: Session, values: dict[str, Any]) -> int:
    """Insert a task row; returns its id."""
    return int(session.connection().execute(_NEW_TASK, values).scalar_one())


def update_task(session: Session, row: HumanTask, **values: Any) -> None:
    """``UPDATE human_task SET values WHERE id = row.id``, and the same on ``row``."""
    keys = tuple(sorted(values))
    stmt = _TASK_UPDATES.get(keys)
    if stmt is None:
        stmt = _TASK_UPDATES[keys] = _TASK.update().where(_TASK.c.id == bindparam("b_id")).values({k: bindparam(k) for k in keys})
    session.connection().execute(stmt, {**values, "b_id": row.id})
    for key, value in values.items():
        set_committed_value(row, key, value)


_NEW_INSTANCE = insert(_INSTANCE).returning(_INSTANCE.c.id)


def insert_instance(session: Session, **values: Any) -> ProcessInstance:
    """Insert a new instance row (empty state and data, revision 1) and answer it as a persistent ORM object,
    as if just loaded: no flush, no reload."""
    row = {"ended_at": None, "error": None, "data": {}, "state": b"{}", "revision": 1, **values}
    row["id"] = session.connection().execute(_NEW_INSTANCE, row).scalar_one()
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
        stmt = _INSTANCE_UPDATES[keys] = _INSTANCE.update() \
            .where(_INSTANCE.c.id == bindparam("b_id"), _INSTANCE.c.revision == bindparam("b_revision")) \
            .values({k: bindparam(k) for k in keys} | {"revision": bindparam("revision")})
    result = session.connection().execute(stmt, {**values, "revision": revision + 1, "b_id": inst.id, "b_revision": revision})
    if result.rowcount != 1:
        raise Conflict("流程实例已被他人修改，请刷新后重试")
    for key, value in {**values, "revision": revision + 1}.items():
        set_committed_value(inst, key, value)
