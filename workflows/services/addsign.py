"""加签 (add-sign): an extra sign-off by one named person on a ``HumanTask``, done before the task itself.

An add-sign is a ``HumanTask`` row with ``kind="addsign"`` and ``parent_id`` = the blocked task; it lives
outside the engine (no task guid of the workflow), so the projection leaves it alone, and it is cancelled
together with its parent. Contract: callers hold the instance lock (they run inside a writing use case).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..engine.diagram import ElementDef, FormFieldDef
from ..errors import Conflict
from ..forms import validate_submission
from ..models import AuditEvent, HumanTask, Notification, Person
from ..roles import Candidates
from .people import Actor, holders

KIND = "addsign"

FORM = ElementDef(id="addsign", tag="userTask", name="加签意见", process_id="", form_fields=[
    FormFieldDef("decision", "签署意见", "enum", required=True, options=[("approve", "同意"), ("reject", "不同意")]),
    FormFieldDef("opinion", "意见说明", "string", constraints={"maxlength": "500"},
                 properties={"widget": "textarea", "required_when": 'decision != "approve"'}),
])


def open_children(session: Session, task_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.parent_id == task_id, HumanTask.kind == KIND, HumanTask.state == "open").order_by(HumanTask.id)).all())


def guard_parent(session: Session, task: HumanTask, open_addsigns: list[HumanTask] | None = None) -> None:
    """Refuse to complete ``task`` while an add-sign on it is still open. ``open_addsigns``: the instance's open
    add-sign rows when the caller loaded them under the instance lock (else they are queried)."""
    pending = open_children(session, task.id) if open_addsigns is None else \
        sorted((r for r in open_addsigns if r.parent_id == task.id and r.state == "open"), key=lambda r: r.id)
    if pending:
        names = "、".join(session.scalar(select(Person.name).where(Person.id == c.assignee_id)) or "?" for c in pending)
        raise Conflict(f"加签人（{names}）尚未签署，签署后才能办理该待办")


def cancel_orphans(session: Session, instance_id: int, open_addsigns: list[HumanTask] | None = None) -> None:
    """Cancel open add-signs whose parent task is no longer open (the projection calls this after syncing).
    ``open_addsigns``: the instance's open add-sign rows when the caller has them (else they are queried)."""
    now = clock.now()
    if open_addsigns is None:
        open_addsigns = list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.kind == KIND, HumanTask.state == "open")).all())
    for row in open_addsigns:
        parent = session.get(HumanTask, row.parent_id) if row.parent_id else None
        if parent is None or parent.state != "open":
            row.state, row.completed_at = "cancelled", now


def sign(session: Session, actor: "Person | Actor", row: HumanTask, data: dict[str, Any]) -> None:
    """The named person signs: validated decision + opinion, audited; the parent's people are told."""
    cleaned = validate_submission(FORM, data)
    now = clock.now()
    decision, opinion = cleaned.get("decision"), cleaned.get("opinion") or ""
    row.state, row.completed_at, row.completed_by_id = "completed", now, actor.id
    row.decision, row.opinion = decision, opinion
    session.add(AuditEvent(instance_id=row.instance_id, at=now, who_id=actor.id, who=actor.username, action="sign",
                           task=row.name, decision=decision, opinion=opinion, details={"task_id": row.id, "parent_id": row.parent_id}))
    parent = session.get(HumanTask, row.parent_id) if row.parent_id else None
    if parent is not None and parent.state == "open":
        label = dict(FORM.form_fields[0].options).get(decision or "", decision)
        for person_id in holders(session, Candidates(parent.candidate_role, parent.candidate_scope, parent.assignee_id)):
            session.add(Notification(person_id=person_id, instance_id=row.instance_id, task_id=parent.id, kind="addsign",
                                     title=f"{actor.name} 已完成加签（{label}）：{parent.name}", body=opinion, created_at=now))
