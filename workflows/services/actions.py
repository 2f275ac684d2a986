"""Use cases behind the approval actions Chinese users expect, beside complete (instances.complete_task).

签收 claim, 撤回 withdraw, 转办 transfer, 加签 add_sign, 抄送 copy, 催办 urge, drafts and attachments. Each call
is one transaction that locks the instance row first (the same order as instances.complete_task, so an action
and a completion of the same instance queue rather than interleave), checks who may act, writes an
``AuditEvent`` and notifies the people concerned. None of them touches the engine's timers: a transferred or
urged task keeps its due time and its boundary timers.
"""

from __future__ import annotations

import math
import os
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, TooSoon
from ..models import AuditEvent, CopyRecord, Document, Draft, HumanTask, Notification, Person, ProcessDefinition, ProcessInstance
from ..roles import Candidates
from . import addsign, projection
from .instances import lock_instance, restore
from .people import holders, is_overseer, may_act, person_by_username
from .queries import involved
from .runtime import Runtime

# Audit actions by which a person other than the applicant has acted on an instance (withdraw is refused then).
ACTED = ("complete", "claim", "transfer", "add_sign", "sign")
SAFE_MEDIA_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv", "application/zip",
    "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DRAFT_VALUE_MAX = 5000


def _task_under_lock(session: Session, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    instance_id = session.scalar(select(HumanTask.instance_id).where(HumanTask.id == task_id))
    if instance_id is None:
        raise NotFound(f"待办 {task_id} 不存在")
    inst = lock_instance(session, instance_id)
    row = session.scalar(select(HumanTask).where(HumanTask.id == task_id).execution_options(populate_existing=True))
    assert row is not None
    return row, inst


def _require_open(row: HumanTask) -> None:
    if row.state != "open":
        raise Conflict("该待办已被办理或已撤销，请刷新后查看")


def _active_person(session: Session, username: str, field: str = "to") -> Person:
    """The active person with this username, or else the only active person with this real name."""
    text = (username or "").strip()
    person = session.scalar(select(Person).where(Person.username == text))
    if person is None and text:
        named = session.scalars(select(Person).where(Person.name == text, Person.status != "left").limit(2)).all()
        person = named[0] if len(named) == 1 else None
    if person is None or person.status == "left":
        raise InvalidInput(f"用户 {text} 不存在或已离职", [FieldError(field, f"找不到用户「{text}」（请填写用户名或唯一的姓名）")])
    return person


def _people_of(session: Session, row: HumanTask) -> list[int]:
    return holders(session, Candidates(row.candidate_role, row.candidate_scope, row.assignee_id))


def _audit(session: Session, inst: ProcessInstance, actor: Person, action: str, task: str = "", opinion: str | None = None,
           **details: Any) -> None:
    session.add(AuditEvent(instance_id=inst.id, at=clock.now(), who_id=actor.id, who=actor.username, action=action,
                           task=task, opinion=opinion or None, details=details))


def _notify(session: Session, person_ids: list[int], inst: ProcessInstance, kind: str, title: str, task_id: int | None = None,
            body: str = "") -> None:
    now = clock.now()
    for person_id in sorted(set(person_ids)):
        session.add(Notification(person_id=person_id, instance_id=inst.id, task_id=task_id, kind=kind, title=title,
                                 body=body, created_at=now))


def claim(rt: Runtime, task_id: int, username: str) -> int:
    """签收: a holder of the candidate role takes an unassigned task; returns the instance id."""
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        row, inst = _task_under_lock(session, task_id)
        _require_open(row)
        if row.assignee_id == actor.id:
            return inst.id
        if row.assignee_id is not None:
            raise Conflict("该待办已被他人签收")
        if not may_act(session, actor, row):
            raise Forbidden("您不在该待办的候选人中，无权签收")
        row.assignee_id = actor.id
        _audit(session, inst, actor, "claim", row.name, task_id=row.id)
        return inst.id


def transfer(rt: Runtime, task_id: int, username: str, to: str, note: str = "") -> int:
    """转办: hand an open task to another person (its due time and timers stay); returns the instance id."""
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        row, inst = _task_under_lock(session, task_id)
        if not (may_act(session, actor, row) or "admin" in actor.role_names):
            raise Forbidden("您不是该待办的办理人，无权转办")
        _require_open(row)
        target = _active_person(session, to)
        if target.id == row.assignee_id or target.id == actor.id:
            raise InvalidInput("不能转办给当前办理人自己", [FieldError("to", "请选择其他人")])
        previous = row.assignee_id
        row.assignee_id = target.id
        _audit(session, inst, actor, "transfer", row.name, note, task_id=row.id, to=target.username, from_id=previous)
        _notify(session, [target.id], inst, "transfer", f"{actor.name} 将待办转交给您：{row.name}（{inst.title}）", row.id, note)
        return inst.id


def add_sign(rt: Runtime, task_id: int, username: str, to: str, note: str = "") -> int:
    """加签: ask ``to`` to sign off before the task can be completed; returns the add-sign task's id."""
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        row, inst = _task_under_lock(session, task_id)
        if not may_act(session, actor, row):
            raise Forbidden("您不是该待办的办理人，无权加签")
        _require_open(row)
        if row.kind != "task":
            raise Conflict("加签待办不能再加签")
        target = _active_person(session, to)
        if target.id == actor.id:
            raise InvalidInput("不能给自己加签", [FieldError("to", "请选择其他人")])
        if any(c.assignee_id == target.id for c in addsign.open_children(session, row.id)):
            raise Conflict(f"已向 {target.name} 加签，尚未签署")
        now = clock.now()
        child = HumanTask(instance_id=inst.id, task_guid=f"addsign-{os.urandom(12).hex()}", spec_id=f"{row.spec_id}#addsign",
                          name=f"加签：{row.name}", process_key=row.process_key, lane=row.lane, candidate_role="",
                          candidate_scope="", assignee_id=target.id, unit_id=row.unit_id, state="open", created_at=now,
                          due_at=row.due_at, kind=addsign.KIND, parent_id=row.id)
        session.add(child)
        session.flush()
        _audit(session, inst, actor, "add_sign", row.name, note, task_id=row.id, to=target.username, addsign_id=child.id)
        _notify(session, [target.id], inst, "addsign", f"{actor.name} 请您加签：{row.name}（{inst.title}）", child.id, note)
        return child.id


def copy(rt: Runtime, instance_id: int, username: str, to: list[str], note: str = "", task_id: int | None = None) -> int:
    """抄送: give each of ``to`` a copy (they may then read the instance); returns how many were new."""
    names = [u.strip() for u in to if u and u.strip()]
    if not names:
        raise InvalidInput("请填写抄送对象", [FieldError("to", "至少填写一位抄送对象")])
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        inst = lock_instance(session, instance_id)
        if not involved(session, actor, inst):
            raise Forbidden("您无权抄送该流程")
        targets = [_active_person(session, n) for n in dict.fromkeys(names)]
        new = [p for p in targets if not session.scalar(select(exists().where(
            CopyRecord.instance_id == inst.id, CopyRecord.person_id == p.id)))]
        now = clock.now()
        for p in new:
            session.add(CopyRecord(instance_id=inst.id, task_id=task_id, person_id=p.id, by_id=actor.id, note=note, created_at=now))
        _audit(session, inst, actor, "copy", "", note, to=[p.username for p in targets], task_id=task_id)
        _notify(session, [p.id for p in new], inst, "copy", f"{actor.name} 抄送给您：{inst.title} #{inst.id}", task_id, note)
        return len(new)


def urge(rt: Runtime, task_id: int, username: str) -> int:
    """催办: remind the task's people now; at most once per task per ``urge_interval_seconds``. Returns how many."""
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        row, inst = _task_under_lock(session, task_id)
        if not involved(session, actor, inst):
            raise Forbidden("您无权催办该待办")
        _require_open(row)
        if may_act(session, actor, row):
            raise Conflict("这是您自己的待办，无需催办")
        now = clock.now()
        interval = timedelta(seconds=rt.settings.urge_interval_seconds)
        if row.last_urged_at is not None and now - row.last_urged_at < interval:
            seconds = (row.last_urged_at + interval - now).total_seconds()
            raise TooSoon(f"该待办刚催办过，请 {max(1, math.ceil(seconds / 60))} 分钟后再试", retry_after=max(1, math.ceil(seconds)))
        people = _people_of(session, row)
        row.last_urged_at = now
        row.reminders_sent += 1
        _audit(session, inst, actor, "urge", row.name, task_id=row.id, notified=len(people))
        _notify(session, people, inst, "urge", f"{actor.name} 催办：{row.name}（{inst.title} #{inst.id}）", row.id)
        return len(people)


def withdraw(rt: Runtime, instance_id: int, username: str, reason: str = "") -> None:
    """撤回: the applicant cancels a running instance before anyone else acted on it (status terminated)."""
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        inst = lock_instance(session, instance_id)
        if inst.started_by_id != actor.id:
            raise Forbidden("只有申请人可以撤回")
        if inst.status != "running":
            raise Conflict("该流程已结束，不能撤回")
        if session.scalar(select(exists().where(
                AuditEvent.instance_id == inst.id, AuditEvent.action.in_(ACTED),
                AuditEvent.who_id.is_not(None), AuditEvent.who_id != actor.id))):
            raise Conflict("已有审批人办理，不能撤回；如需变更请联系当前审批人退回")
        open_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "open")).all()
        others = [p for r in open_rows for p in _people_of(session, r) if p != actor.id]
        workflow, loaded = restore(session, rt, inst)
        rt.engine.cancel(workflow)
        inst.status, inst.ended_at = "terminated", clock.now()
        _audit(session, inst, actor, "withdraw", "", reason)
        projection.save(session, rt, inst, workflow, loaded)
        _notify(session, others, inst, "withdraw", f"{actor.name} 已撤回申请：{inst.title} #{inst.id}", None, reason)


def _form_fields(session: Session, rt: Runtime, row: HumanTask) -> set[str]:
    if row.kind == addsign.KIND:
        return {f.id for f in addsign.FORM.form_fields}
    inst = session.get(ProcessInstance, row.instance_id)
    definition = session.get(ProcessDefinition, inst.definition_id) if inst else None
    element = rt.loaded(definition).element(row.spec_id) if definition else None
    return {f.id for f in element.form_fields} if element else set()


def save_draft(rt: Runtime, task_id: int, username: str, data: dict[str, Any]) -> None:
    """Keep what was typed into an open task's form (only its own field names; no validation)."""
    if not isinstance(data, dict):
        raise InvalidInput("data 应为对象")
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        row, inst = _task_under_lock(session, task_id)
        if not may_act(session, actor, row):
            raise Forbidden("您不是该待办的办理人")
        _require_open(row)
        fields = _form_fields(session, rt, row)
        kept = {k: (v if isinstance(v, (bool, int)) else str(v)[:DRAFT_VALUE_MAX]) for k, v in data.items()
                if k in fields and (v is None or isinstance(v, (str, int, bool, float)))}
        draft = session.scalar(select(Draft).where(Draft.task_id == row.id, Draft.person_id == actor.id))
        if draft is None:
            session.add(Draft(task_id=row.id, person_id=actor.id, data=kept, saved_at=clock.now()))
        else:
            draft.data, draft.saved_at = kept, clock.now()
        _audit(session, inst, actor, "save_draft", row.name, task_id=row.id)


def load_draft(rt: Runtime, task_id: int, username: str) -> dict[str, Any] | None:
    """The caller's saved draft of an open task, or None."""
    with unit_of_work(write=False, engine=rt.db) as session:
        actor = person_by_username(session, username)
        row = session.get(HumanTask, task_id)
        if row is None or row.state != "open":
            return None
        draft = session.scalar(select(Draft).where(Draft.task_id == task_id, Draft.person_id == actor.id))
        return dict(draft.data) if draft else None


def add_attachment(rt: Runtime, instance_id: int, username: str, filename: str, content: bytes, media_type: str = "") -> int:
    """Attach a file to a running instance (a ``Document`` of kind ``attachment``); returns its id."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()[:200] or "附件"
    if not content:
        raise InvalidInput("附件为空", [FieldError("attachments", f"文件「{name}」是空的")])
    limit = rt.settings.attachment_max_bytes
    if len(content) > limit:
        raise InvalidInput("附件过大", [FieldError("attachments", f"文件「{name}」超过 {limit // (1024 * 1024)} MB 上限")])
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        inst = lock_instance(session, instance_id)
        open_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "open")).all()
        if not (inst.started_by_id == actor.id or any(may_act(session, actor, r) for r in open_rows) or is_overseer(actor)):
            raise Forbidden("您无权为该流程上传附件")
        if inst.status != "running":
            raise Conflict("流程已结束，不能再上传附件")
        media = (media_type or "").split(";")[0].strip().lower()
        doc = Document(instance_id=inst.id, name=name, kind="attachment",
                       media_type=media if media in SAFE_MEDIA_TYPES else "application/octet-stream",
                       content=content, created_at=clock.now())
        session.add(doc)
        session.flush()
        _audit(session, inst, actor, "attach", "", None, document_id=doc.id, name=name, size=len(content))
        return doc.id
