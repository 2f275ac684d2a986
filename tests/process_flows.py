"""Helpers for the path tests of the six other processes: time travel, timers, registry and audit look-ups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from workflows import clock
from workflows.db import unit_of_work
from workflows.models import AuditEvent, Document, Filing, HumanTask, Notification, Person, ProcessInstance, WorkGroup
from workflows.services import document_files, instances, queries
from workflows.services.runtime import Runtime
from workflows.services.timers import fire_due_timers


@contextmanager
def days_later(days: float) -> Iterator[None]:
    """Move the clock (ours and the engine's) ``days`` ahead for the block."""
    with time_machine.travel(clock.now() + timedelta(days=days), tick=False):
        yield


def fire_after(rt: Runtime, days: float) -> int:
    """Fire every timer due ``days`` from now; returns how many instances moved."""
    with days_later(days):
        return fire_due_timers(rt)


def person_id(rt: Runtime, username: str) -> int:
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.scalar(select(Person.id).where(Person.username == username))


def audit(rt: Runtime, instance_id: int, action: str) -> list[dict[str, Any]]:
    with unit_of_work(write=False, engine=rt.db) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.action == action)
                         .order_by(AuditEvent.id)).all()
        return [{"task": r.task, "who": r.who, **r.details} for r in rows]


def notified(rt: Runtime, username: str, kind: str, instance_id: int | None = None) -> list[str]:
    with unit_of_work(write=False, engine=rt.db) as s:
        q = select(Notification.title).join(Person, Person.id == Notification.person_id).where(
            Person.username == username, Notification.kind == kind)
        if instance_id is not None:
            q = q.where(Notification.instance_id == instance_id)
        return list(s.scalars(q).all())


def escalated_tasks(rt: Runtime, instance_id: int) -> dict[str, tuple[int, bool]]:
    """spec id -> (reminders sent, escalated) over the instance's task rows."""
    with unit_of_work(write=False, engine=rt.db) as s:
        rows = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).all()
        out: dict[str, tuple[int, bool]] = {}
        for r in rows:
            sent, esc = out.get(r.spec_id, (0, False))
            out[r.spec_id] = (sent + r.reminders_sent, esc or r.escalated)
        return out


def group(rt: Runtime, group_id: int) -> WorkGroup:
    with unit_of_work(write=False, engine=rt.db) as s:
        g = s.get(WorkGroup, group_id)
        assert g is not None
        s.expunge(g)
        return g


def groups_of_instance(rt: Runtime, instance_id: int) -> list[WorkGroup]:
    with unit_of_work(write=False, engine=rt.db) as s:
        rows = s.scalars(select(WorkGroup).where(WorkGroup.instance_id == instance_id)).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def filings(rt: Runtime, group_id: int) -> list[str]:
    with unit_of_work(write=False, engine=rt.db) as s:
        return list(s.scalars(select(Filing.note).where(Filing.group_id == group_id).order_by(Filing.id)).all())


def documents(rt: Runtime, instance_id: int) -> list[tuple[str, str, int]]:
    with unit_of_work(write=False, engine=rt.db) as s:
        rows = s.execute(select(Document.id, Document.kind, Document.name).where(Document.instance_id == instance_id)).all()
    return [(d.kind, d.name, len(document_files.content_of(rt, d.id))) for d in rows]


def instances_of(rt: Runtime, key: str, status: str | None = None) -> list[ProcessInstance]:
    with unit_of_work(write=False, engine=rt.db) as s:
        q = select(ProcessInstance).where(ProcessInstance.process_key == key)
        if status:
            q = q.where(ProcessInstance.status == status)
        rows = s.scalars(q.order_by(ProcessInstance.id)).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def add_group(rt: Runtime, unit_name_or_owner: str, name: str, kind: str = "wechat_group", **fields: Any) -> int:
    """A registry row owned by the person ``unit_name_or_owner`` (a username), in that person's unit."""
    with unit_of_work(engine=rt.db) as s:
        owner = s.scalar(select(Person).where(Person.username == unit_name_or_owner))
        assert owner is not None
        g = WorkGroup(unit_id=owner.unit_id, name=name, kind=kind, owner_id=owner.id, status=fields.pop("status", "filed"),
                      filed_at=clock.now(), details={"owner_name": owner.name}, **fields)
        s.add(g)
        s.flush()
        return g.id


def task_ids(rt: Runtime, username: str, element: str) -> list[int]:
    return [t["id"] for t in queries.list_tasks(rt, username, "mine", limit=200)["items"] if t["element"] == element]


def do(rt: Runtime, username: str, element: str, data: dict[str, Any], instance_id: int | None = None) -> dict[str, Any]:
    """Complete ``username``'s open task ``element`` (of ``instance_id`` when given); returns the instance."""
    items = [t for t in queries.list_tasks(rt, username, "mine", limit=200)["items"]
             if t["element"] == element and (instance_id is None or t["instance_id"] == instance_id)]
    assert items, f"{username} has no open task {element}"
    iid = instances.complete_task(rt, items[0]["id"], username, data)
    return queries.get_instance(rt, "admin", iid)


def view(rt: Runtime, instance_id: int) -> dict[str, Any]:
    return queries.get_instance(rt, "admin", instance_id)


def open_elements(rt: Runtime, instance_id: int) -> list[str]:
    return sorted(t["element"] for t in view(rt, instance_id)["tasks"])


def document_text(rt: Runtime, instance_id: int, kind: str) -> str:
    """The text of the instance's generated .docx of ``kind`` (its document.xml, tags stripped)."""
    import io
    import re
    import zipfile

    with unit_of_work(write=False, engine=rt.db) as s:
        document_id = s.scalar(select(Document.id).where(Document.instance_id == instance_id, Document.kind == kind))
    content = document_files.content_of(rt, document_id)
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode("utf-8")
    return re.sub(r"<[^>]+>", "", xml)


def demo_runtime(tmp_path: Any) -> Runtime:
    """A fresh SQLite runtime holding the demo university (accounts of interface.md, password ``demo``) and bpmn/."""
    from tests.conftest import BPMN_DIR
    from workflows.services.demo import load_demo
    from workflows.services.deployments import deploy_directory
    from workflows.services.runtime import build_runtime
    from workflows.services.schema import upgrade
    from workflows.settings import Settings

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgrade(url)
    rt = build_runtime(Settings(database_url=url, var_dir=tmp_path / "var", secret_key="test-secret", environment="test"))
    load_demo(engine=rt.db)
    deploy_directory(rt, BPMN_DIR)
    return rt
