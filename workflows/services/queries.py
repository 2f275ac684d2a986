"""Read-only use cases: task lists, one task with its form, one instance with its history, processes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, bindparam, exists, func, select, union_all
from sqlalchemy.orm import Session, aliased

from ..db import unit_of_work
from ..errors import Forbidden, InvalidInput, NotFound
from ..forms import form_schema
from ..prepared import Prepared
from ..models import AuditEvent, CopyRecord, HumanTask, Person, ProcessDefinition, ProcessInstance, RoleAssignment
from ..roles import ROLES
from . import addsign
from .document_files import document_items
from .people import is_overseer, may_act, person_by_username
from .runtime import Runtime

SCOPES = ("mine", "group", "done", "started", "copied")


def task_item(row: HumanTask, names: dict[int, str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {
        "id": row.id, "instance_id": row.instance_id, "process": row.process_key, "name": row.name,
        "element": row.spec_id, "state": row.state,
        "assignee": names.get(row.assignee_id) if row.assignee_id else None,
        "candidates": None if row.assignee_id else {"role": row.candidate_role, "scope": row.candidate_scope,
                                                    "label": ROLES.get(row.candidate_role, (row.candidate_role, ""))[0]},
        "created": row.created_at.isoformat(), "due": row.due_at.isoformat() if row.due_at else None,
        "completed": row.completed_at.isoformat() if row.completed_at else None,
        "decision": row.decision, "opinion": row.opinion,
        "reminders_sent": row.reminders_sent, "escalated": row.escalated,
        "kind": row.kind, "parent_id": row.parent_id,
    }


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids_ = {i for i in ids if i}
    if not ids_:
        return {}
    return dict(session.execute(select(Person.id, Person.username).where(Person.id.in_(ids_))).all())


def candidate_clause(person_id: int):  # type: ignore[no-untyped-def]
    ra = aliased(RoleAssignment)
    return and_(HumanTask.assignee_id.is_(None), exists().where(
        ra.person_id == person_id, ra.role == HumanTask.candidate_role, ra.scope == HumanTask.candidate_scope))


def open_task_ids(session: Session, person_id: int, assigned: bool = True):  # type: ignore[no-untyped-def]
    """A subquery of the ids of the open tasks ``person_id`` may act on: assigned to them (``assigned``), or
    unassigned with a candidate role they hold in its scope — the rows :func:`candidate_clause` selects.

    One indexed lookup per role the person holds, joined by UNION ALL (the branches are disjoint), so the cost
    follows the person's own tasks: filtering every open task with a correlated EXISTS cost ~30 ms with
    10,000 open tasks. ``None`` when the person can have no such task.
    """
    pairs = session.execute(select(RoleAssignment.role, RoleAssignment.scope).where(RoleAssignment.person_id == person_id)).all()
    parts = [select(HumanTask.id).where(HumanTask.state == "open", HumanTask.assignee_id == person_id)] if assigned else []
    parts += [select(HumanTask.id).where(HumanTask.state == "open", HumanTask.candidate_role == role,
                                         HumanTask.candidate_scope == scope, HumanTask.assignee_id.is_(None))
              for role, scope in pairs]
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def list_tasks(rt: Runtime, username: str, scope: str = "mine", limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """``mine``: open tasks I may do (assigned or via my roles); ``group``: open unclaimed tasks of my roles;
    ``done``: tasks I completed; ``started``: open tasks of instances I started; ``copied``: copies sent to me."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope 只能是 {'、'.join(SCOPES)}")
    if scope == "copied":
        from .views import list_copied

        return list_copied(rt, username, limit, offset)
    limit = max(1, min(limit, 200))
    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        if scope in ("mine", "group"):
            ids = open_task_ids(session, me.id, assigned=scope == "mine")
            if ids is None:
                return {"items": [], "total": 0}
            total = session.scalar(select(func.count()).select_from(ids)) or 0
            rows = session.scalars(select(HumanTask).where(HumanTask.id.in_(select(ids.c.id)))
                                   .order_by(HumanTask.due_at.asc(), HumanTask.id).limit(limit).offset(offset)).all()
            names = _usernames(session, {r.assignee_id for r in rows})
            return {"items": [task_item(r, names) for r in rows], "total": total}
        if scope == "done":
            where = and_(HumanTask.state == "completed", HumanTask.completed_by_id == me.id)
            order = HumanTask.completed_at.desc()
        else:
            where = and_(HumanTask.state == "open", HumanTask.instance_id.in_(
                select(ProcessInstance.id).where(ProcessInstance.started_by_id == me.id)))
            order = HumanTask.created_at.desc()
        total = session.scalar(select(func.count()).select_from(HumanTask).where(where)) or 0
        rows = session.scalars(select(HumanTask).where(where).order_by(order, HumanTask.id).limit(limit).offset(offset)).all()
        names = _usernames(session, {r.assignee_id for r in rows})
        return {"items": [task_item(r, names) for r in rows], "total": total}


def get_task(rt: Runtime, username: str, task_id: int) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        row = session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(f"待办 {task_id} 不存在")
        inst = session.get(ProcessInstance, row.instance_id)
        assert inst is not None
        if not (may_act(session, me, row) or row.completed_by_id == me.id or inst.started_by_id == me.id or is_overseer(me)):
            raise Forbidden("您无权查看该待办")
        definition = session.get(ProcessDefinition, inst.definition_id)
        assert definition is not None
        element = rt.loaded(definition).element(row.spec_id)
        item = task_item(row, _usernames(session, {row.assignee_id}))
        if row.kind == addsign.KIND:
            element = addsign.FORM
        item["form"] = form_schema(element) if element else {"type": "object", "properties": {}}
        item["data"] = inst.data
        item["can_complete"] = row.state == "open" and may_act(session, me, row)
        return item


def involved(session: Session, me: Person, inst: ProcessInstance) -> bool:
    if inst.started_by_id == me.id or is_overseer(me):
        return True
    if session.scalar(select(exists().where(AuditEvent.instance_id == inst.id, AuditEvent.who_id == me.id))):
        return True
    if session.scalar(select(exists().where(CopyRecord.instance_id == inst.id, CopyRecord.person_id == me.id))):
        return True
    open_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "open")).all()
    return any(may_act(session, me, r) for r in open_rows)


def visible_instance(session: Session, username: str, instance_id: int) -> ProcessInstance:
    """The instance, if ``username`` is involved in it or oversees; NotFound / Forbidden otherwise."""
    me = person_by_username(session, username)
    inst = session.get(ProcessInstance, instance_id)
    if inst is None:
        raise NotFound(f"流程实例 {instance_id} 不存在")
    if not involved(session, me, inst):
        raise Forbidden("您无权查看该流程实例")
    return inst


def get_instance(rt: Runtime, username: str, instance_id: int) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        return instance_view(session, rt, visible_instance(session, username, instance_id))


# The instance view's statements, built once: on SQLite building a statement costs several times more than
# running it, and this view answers every start and completion.
_starter = aliased(Person)
_INSTANCE = Prepared(select(ProcessInstance.id, ProcessInstance.process_key, ProcessInstance.title, ProcessInstance.version,
                            ProcessInstance.status, ProcessInstance.started_by_id, ProcessInstance.started_at,
                            ProcessInstance.ended_at, ProcessInstance.error, ProcessInstance.data, _starter.username.label("starter"))
                     .outerjoin(_starter, _starter.id == ProcessInstance.started_by_id)
                     .where(ProcessInstance.id == bindparam("instance_id")))
_USERNAME = Prepared(select(Person.username).where(Person.id == bindparam("person_id")))
_OPEN_TASKS = Prepared(select(*HumanTask.__table__.c, Person.username.label("assignee_username"))
                       .outerjoin(Person, Person.id == HumanTask.assignee_id)
                       .where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.state == "open").order_by(HumanTask.id))
_HISTORY = Prepared(select(AuditEvent.at, AuditEvent.who, AuditEvent.action, AuditEvent.task, AuditEvent.decision,
                           AuditEvent.opinion, AuditEvent.details)
                    .where(AuditEvent.instance_id == bindparam("instance_id")).order_by(AuditEvent.at, AuditEvent.id))


def acted_view(session: Session, instance_id: int) -> dict[str, Any]:
    """The instance view (as :func:`get_instance`) for the person who has just started it or completed one of its
    steps, without the visibility check: acting made them involved (they started it, or the step's audit event
    names them). The answer of the start and complete routes, built inside the use case's own transaction
    (``instances.start_answered`` / ``complete_answered``): no second transaction."""
    found = _INSTANCE.named(session, {"instance_id": instance_id})
    inst = found[0] if found else None
    if inst is None:
        raise NotFound(f"流程实例 {instance_id} 不存在")
    return _view(session, inst, inst.starter)


def instance_view(session: Session, rt: Runtime, inst: ProcessInstance) -> dict[str, Any]:
    starter = _USERNAME.scalar(session, {"person_id": inst.started_by_id}) if inst.started_by_id else None
    return _view(session, inst, starter)


def _view(session: Session, inst: ProcessInstance | Row[Any], starter: str | None) -> dict[str, Any]:
    """``inst``: the instance or a row of :data:`_INSTANCE` (the same attribute names)."""
    rows = _OPEN_TASKS.named(session, {"instance_id": inst.id})
    events = _HISTORY.named(session, {"instance_id": inst.id})
    names = {r.assignee_id: r.assignee_username for r in rows if r.assignee_id and r.assignee_username}
    return {
        "id": inst.id, "process": inst.process_key, "title": inst.title, "version": inst.version, "status": inst.status,
        "started_by": starter if inst.started_by_id else None,
        "started_at": inst.started_at.isoformat(), "ended_at": inst.ended_at.isoformat() if inst.ended_at else None,
        "error": inst.error, "data": inst.data,
        "tasks": [task_item(r, names) for r in rows],  # type: ignore[arg-type]  # rows carry HumanTask's columns
        "history": [{"at": e.at.isoformat(), "who": e.who, "action": e.action, "task": e.task, "decision": e.decision,
                     "opinion": e.opinion, "details": e.details} for e in events],
        "documents": document_items(session, inst.id),  # with status ready / pending (rendered after the step) / failed
    }


def list_processes(rt: Runtime) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        rows = session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())).all()
        latest: dict[str, dict[str, Any]] = {}
        for d in rows:
            if d.key not in latest and d.active:
                latest[d.key] = {"key": d.key, "name": d.name, "version": d.version, "deployed_at": d.deployed_at.isoformat()}
        return {"items": list(latest.values()), "total": len(latest)}
