"""Read-only use cases for the staff web app: copies, notifications, my applications, the instance diagram.

Writes here are limited to marking a person's own notifications and copies read (one small transaction).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..errors import NotFound
from ..models import CopyRecord, Document, HumanTask, Notification, Person, ProcessDefinition, ProcessInstance
from . import addsign, group_list
from .people import person_by_username
from .queries import visible_instance
from .runtime import Runtime


def _instance_heads(session: Session, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Title, status, group name and applicant of each instance id (for list rows)."""
    if not ids:
        return {}
    rows = session.execute(select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.status, ProcessInstance.data,
                                  ProcessInstance.started_at, Person.name)
                           .join(Person, Person.id == ProcessInstance.started_by_id, isouter=True)
                           .where(ProcessInstance.id.in_(ids))).all()
    return {r.id: {"title": r.title, "status": r.status, "subject": _subject(r.data or {}), "started_at": r.started_at.isoformat(),
                   "applicant": r.name or ""} for r in rows}


def _subject(data: dict[str, Any]) -> str:
    for key in ("group_name", "account_name", "campaign_name", "person_name"):
        if data.get(key):
            return str(data[key])
    return ""


def with_instances(rt: Runtime, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``instance`` (title, status, subject, applicant) to task or copy items."""
    with unit_of_work(write=False, engine=rt.db) as session:
        heads = _instance_heads(session, {i["instance_id"] for i in items})
    return [{**i, "instance": heads.get(i["instance_id"], {})} for i in items]


def list_copied(rt: Runtime, username: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """抄送我的: copies sent to the caller, newest first."""
    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        where = CopyRecord.person_id == me.id
        total = session.scalar(select(func.count()).select_from(CopyRecord).where(where)) or 0
        rows = session.execute(select(CopyRecord, ProcessInstance.process_key, ProcessInstance.title, Person.username, Person.name)
                               .join(ProcessInstance, ProcessInstance.id == CopyRecord.instance_id)
                               .join(Person, Person.id == CopyRecord.by_id, isouter=True)
                               .where(where).order_by(CopyRecord.created_at.desc(), CopyRecord.id.desc())
                               .limit(max(1, min(limit, 200))).offset(offset)).all()
        items = [{"id": c.id, "instance_id": c.instance_id, "task_id": c.task_id, "process": key, "name": title,
                  "copied_by": by, "copied_by_name": by_name, "note": c.note, "created": c.created_at.isoformat(),
                  "read": c.read_at is not None} for c, key, title, by, by_name in rows]
        return {"items": items, "total": total}


def list_notifications(rt: Runtime, username: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        total = session.scalar(select(func.count()).select_from(Notification).where(Notification.person_id == me.id)) or 0
        unread = unread_count(session, me.id)
        rows = session.scalars(select(Notification).where(Notification.person_id == me.id)
                               .order_by(Notification.created_at.desc(), Notification.id.desc())
                               .limit(max(1, min(limit, 200))).offset(offset)).all()
        items = [{"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "instance_id": n.instance_id,
                  "task_id": n.task_id, "created": n.created_at.isoformat(), "read": n.read_at is not None} for n in rows]
        return {"items": items, "total": total, "unread": unread}


def unread_count(session: Session, person_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id == person_id, Notification.read_at.is_(None))) or 0


def counts(rt: Runtime, person_id: int) -> dict[str, int]:
    """Badges of the navigation: open tasks, unread notifications and unread copies."""
    from .queries import open_task_ids

    with unit_of_work(write=False, engine=rt.db) as session:
        copies = session.scalar(select(func.count()).select_from(CopyRecord).where(
            CopyRecord.person_id == person_id, CopyRecord.read_at.is_(None))) or 0
        ids = open_task_ids(session, person_id)
        tasks = (session.scalar(select(func.count()).select_from(ids)) or 0) if ids is not None else 0
        return {"unread": unread_count(session, person_id), "copies": copies, "tasks": tasks}


def mark_read(rt: Runtime, username: str, instance_id: int | None = None) -> None:
    """Mark the caller's notifications read (all, or those of one instance) and, with an instance, its copy.

    Pages call this on every view: the write transaction is only opened when something is unread.
    """
    from sqlalchemy import exists

    def conditions(person_id: int) -> tuple[list[Any], list[Any]]:
        notes = [Notification.person_id == person_id, Notification.read_at.is_(None)]
        copies = [CopyRecord.person_id == person_id, CopyRecord.read_at.is_(None), CopyRecord.instance_id == instance_id]
        if instance_id is not None:
            notes.append(Notification.instance_id == instance_id)
        return notes, copies

    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        notes, copies = conditions(me.id)
        pending = session.scalar(select(exists().where(*notes))) or (
            instance_id is not None and session.scalar(select(exists().where(*copies))))
    if not pending:
        return
    with unit_of_work(engine=rt.db) as session:
        now = clock.now()
        if instance_id is not None:
            session.execute(update(CopyRecord).where(*copies).values(read_at=now))
        session.execute(update(Notification).where(*notes).values(read_at=now))


def my_instances(rt: Runtime, username: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """我发起的: instances the caller started, newest first, with their open steps."""
    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        where = ProcessInstance.started_by_id == me.id
        total = session.scalar(select(func.count()).select_from(ProcessInstance).where(where)) or 0
        rows = session.scalars(select(ProcessInstance).where(where).order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
                               .limit(max(1, min(limit, 200))).offset(offset)).all()
        steps: dict[int, list[str]] = {}
        for iid, name in session.execute(select(HumanTask.instance_id, HumanTask.name).where(
                HumanTask.instance_id.in_([r.id for r in rows]), HumanTask.state == "open").order_by(HumanTask.id)):
            steps.setdefault(iid, []).append(name)
        items = [{"id": r.id, "process": r.process_key, "title": r.title, "status": r.status, "subject": _subject(r.data or {}),
                  "started_at": r.started_at.isoformat(), "ended_at": r.ended_at.isoformat() if r.ended_at else None,
                  "current": steps.get(r.id, [])} for r in rows]
        return {"items": items, "total": total}


def instance_diagram(rt: Runtime, username: str, instance_id: int) -> dict[str, Any]:
    """The BPMN XML of the instance's version with its completed and current element ids (for the viewer)."""
    with unit_of_work(write=False, engine=rt.db) as session:
        inst = visible_instance(session, username, instance_id)
        definition = session.get(ProcessDefinition, inst.definition_id)
        assert definition is not None
        loaded = rt.loaded(definition)
        workflow = rt.engine.restore(loaded, inst.state, None)
        completed, current = rt.engine.completed_path(workflow)
        if inst.status != "running":
            current = [c for c in current if c not in completed]
        return {"id": inst.id, "process": inst.process_key, "version": inst.version, "status": inst.status,
                "xml": definition.bpmn_xml, "completed": completed, "current": current}


def task_context(rt: Runtime, username: str, task_id: int) -> dict[str, Any]:
    """What a task page shows beside the form: add-signs on it, the instance's attachments, may the caller urge."""
    with unit_of_work(write=False, engine=rt.db) as session:
        row = session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(f"待办 {task_id} 不存在")
        children = session.execute(select(HumanTask, Person.name).join(Person, Person.id == HumanTask.assignee_id)
                                   .where(HumanTask.parent_id == row.id, HumanTask.kind == addsign.KIND)
                                   .order_by(HumanTask.id)).all()
        parent = session.get(HumanTask, row.parent_id) if row.parent_id else None
        attachments = session.execute(select(Document.id, Document.name, Document.created_at).where(
            Document.instance_id == row.instance_id, Document.kind == "attachment").order_by(Document.id)).all()
        return {
            "addsigns": [{"id": c.id, "name": name, "state": c.state, "decision": c.decision, "opinion": c.opinion}
                         for c, name in children],
            "parent": {"id": parent.id, "name": parent.name} if parent else None,
            "attachments": [{"id": a.id, "name": a.name, "created": a.created_at.isoformat()} for a in attachments],
        }


def people_choices(rt: Runtime, limit: int = 1000) -> list[tuple[str, str]]:
    """(username, "姓名 · 单位") of active people, for the transfer / add-sign / copy pickers."""
    from ..models import Unit

    with unit_of_work(write=False, engine=rt.db) as session:
        rows = session.execute(select(Person.username, Person.name, Unit.name).join(Unit, Unit.id == Person.unit_id)
                               .where(Person.status != "left").order_by(Unit.name, Person.name).limit(limit)).all()
        return [(u, f"{n} · {unit}") for u, n, unit in rows]


def application_summary(rt: Runtime, instance_id: int, exclude_element: str = "") -> list[tuple[str, str]]:
    """(label, value) of what earlier forms of the instance collected, for the people deciding on it.

    Fields come from the user tasks of the instance's diagram (decision/opinion fields left out), values from
    the instance's data; the caller has already checked that the reader may see the instance.
    """
    from ..forms import field_schema

    with unit_of_work(write=False, engine=rt.db) as session:
        inst = session.get(ProcessInstance, instance_id)
        if inst is None:
            return []
        definition = session.get(ProcessDefinition, inst.definition_id)
        assert definition is not None
        model = rt.loaded(definition).model
        data = inst.data or {}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for element in model.elements.values():
        if element.tag != "userTask" or element.id == exclude_element:
            continue
        for f in element.form_fields:
            if f.id in seen or f.id in {"decision", "opinion"} or f.id not in data:
                continue
            seen.add(f.id)
            text = display_value(field_schema(f), data[f.id])
            if text:
                out.append((f.label, text))
    return out


def names_of(rt: Runtime, usernames: set[str]) -> dict[str, str]:
    """username → real name, for timelines."""
    if not usernames:
        return {}
    with unit_of_work(write=False, engine=rt.db) as session:
        return dict(session.execute(select(Person.username, Person.name).where(Person.username.in_(usernames))).all())


def display_value(prop: dict[str, Any], value: Any) -> str:
    """A stored form value as a person reads it (enum labels, 是/否), given the field's JSON Schema."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or prop.get("type") == "boolean":
        return "是" if value is True or str(value).lower() == "true" else "否"
    if prop.get("x-widget") == "group_list":
        return group_list.describe(value)
    return str(prop.get("x-enum-labels", {}).get(value, value))


def element_names(rt: Runtime, instance_id: int) -> dict[str, str]:
    """Element id → Chinese name in the instance's diagram (audit rows of handlers name the element id)."""
    with unit_of_work(write=False, engine=rt.db) as session:
        inst = session.get(ProcessInstance, instance_id)
        definition = session.get(ProcessDefinition, inst.definition_id) if inst else None
        if definition is None:
            return {}
        return {e.id: e.name for e in rt.loaded(definition).model.elements.values() if e.name}
