"""Writes what the engine state implies, in the same transaction as the instance save.

Contract: call :func:`save` after every engine action; it serializes the workflow, updates status and the data
snapshot, projects READY user tasks into ``human_task`` (new ones get candidates and a due time, vanished
ones are cancelled), upserts the earliest waiting timer into ``timer_due`` (a changed due time also goes to the
scheduler's wake-up outbox, :mod:`.wakeups`), and notifies new tasks' people.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import clock
from ..engine.facade import LoadedSpec
from ..models import AuditEvent, HumanTask, Notification, ProcessInstance, TimerDue
from ..roles import resolve
from . import addsign
from . import wakeups
from .people import holders, party_org_of, person_id_lookup
from .runtime import Runtime


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))


def save(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, *, error: str | None = None) -> None:
    engine = rt.engine
    now = clock.now()
    inst.state = engine.dump(workflow)
    inst.data = json_safe(engine.data(workflow))
    if error or engine.error_tasks(workflow):
        inst.status = "error"
        inst.error = error or inst.error
    elif inst.status in {"running", "error"}:
        inst.error = None
        outcome = engine.outcome(workflow, loaded)
        if outcome is None:
            inst.status = "running"
        else:
            inst.status = outcome
            inst.ended_at = now
            session.add(AuditEvent(instance_id=inst.id, at=now, action="end", details={"outcome": outcome}))
    _project_tasks(session, rt, inst, workflow, loaded, now)
    _project_timer(session, rt, inst, workflow)
    session.flush()


def _project_tasks(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, now: datetime) -> None:
    ready = {t.guid: t for t in rt.engine.ready_user_tasks(workflow)} if inst.status in {"running", "error"} else {}
    open_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "open",
                                                        HumanTask.kind == "task")).all()
    known = {row.task_guid for row in open_rows}
    for row in open_rows:
        if row.task_guid not in ready:
            row.state = "cancelled"
            row.completed_at = now
    addsign.cancel_orphans(session, inst.id)
    if not ready:
        return
    party_org_id = party_org_of(session, inst.unit_id)
    lookup = person_id_lookup(session)
    for guid, view in ready.items():
        if guid in known:
            continue
        element = loaded.element(view.spec_id)
        role = (element.candidate_groups[0] if element and element.candidate_groups else "applicant")
        candidates = resolve(role, starter_id=inst.started_by_id, unit_id=inst.unit_id, party_org_id=party_org_id,
                             data=view.data, person_ids_by_username=lookup)
        due = rt.calendar.due(element.due_date, now) if element and element.due_date else None
        row = HumanTask(instance_id=inst.id, task_guid=guid, spec_id=view.spec_id, name=view.name,
                        process_key=inst.process_key, lane=view.lane, candidate_role=candidates.role,
                        candidate_scope=candidates.scope, assignee_id=candidates.assignee_id, unit_id=inst.unit_id,
                        state="open", created_at=now, due_at=due)
        session.add(row)
        session.flush()
        for person_id in holders(session, candidates):
            session.add(Notification(person_id=person_id, instance_id=inst.id, task_id=row.id, kind="task",
                                     title=f"新待办：{view.name}（{inst.title or inst.process_key}）", created_at=now))


def _project_timer(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any) -> None:
    due = rt.engine.waiting_timers(workflow) if inst.status == "running" else []
    existing = session.get(TimerDue, inst.id)
    if not due:
        if existing is not None:
            session.execute(delete(TimerDue).where(TimerDue.instance_id == inst.id))
        return
    earliest = min(due)
    if existing is None:
        session.add(TimerDue(instance_id=inst.id, due_at=earliest))
    elif clock.as_utc(existing.due_at) == clock.as_utc(earliest):
        return
    else:
        existing.due_at = earliest
    wakeups.record(session, earliest)  # the scheduler's outbox: a wake-up run at this due time
