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

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import clock
from ..db import on_commit
from ..engine.facade import LoadedSpec
from ..models import AuditEvent, HumanTask, Notification, ProcessInstance, TimerDue
from ..roles import needs_party_org, resolve
from . import addsign
from . import wakeups
from .people import holders, party_org_of, person_id_lookup
from .runtime import Runtime


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))


def save(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, *, error: str | None = None,
         open_rows: list[HumanTask] | None = None) -> None:
    """``open_rows``: the instance's open task rows (both kinds) when the caller already loaded them in this
    transaction, under the instance lock; otherwise they are queried."""
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
    _project_tasks(session, rt, inst, workflow, loaded, now, open_rows)
    _project_timer(session, rt, inst, workflow)
    session.flush()
    _keep_warm(session, rt, inst, workflow)


def _keep_warm(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any) -> None:
    """Once this transaction commits, the next step of ``inst`` may reuse ``workflow`` (:mod:`..engine.cache`)."""
    revision, instance_id, cache = inst.revision, inst.id, rt.workflows

    def put() -> None:
        if inst.revision == revision:  # nothing changed the row after this save
            workflow.script_engine.invoker = None  # drop the finished transaction's session
            cache.put(instance_id, revision, workflow)
    on_commit(session, put)


def open_task_rows(session: Session, instance_id: int) -> list[HumanTask]:
    """Every open row of the instance, tasks and add-signs (one query)."""
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open")).all())


def _project_tasks(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, now: datetime,
                   open_rows: list[HumanTask] | None) -> None:
    ready = {t.guid: t for t in rt.engine.ready_user_tasks(workflow)} if inst.status in {"running", "error"} else {}
    rows = [r for r in (open_task_rows(session, inst.id) if open_rows is None else open_rows) if r.state == "open"]
    tasks = [r for r in rows if r.kind == "task"]
    known = {row.task_guid for row in tasks}
    for row in tasks:
        if row.task_guid not in ready:
            row.state = "cancelled"
            row.completed_at = now
    addsign.cancel_orphans(session, inst.id, [r for r in rows if r.kind == addsign.KIND])
    new = [(guid, view) for guid, view in ready.items() if guid not in known]
    if not new:
        return
    party_org_id: int | None = None
    lookup = person_id_lookup(session)
    created = []
    for guid, view in new:
        element = loaded.element(view.spec_id)
        role = (element.candidate_groups[0] if element and element.candidate_groups else "applicant")
        if party_org_id is None and needs_party_org(role):
            party_org_id = party_org_of(session, inst.unit_id)
        candidates = resolve(role, starter_id=inst.started_by_id, unit_id=inst.unit_id, party_org_id=party_org_id,
                             data=view.data, person_ids_by_username=lookup)
        due = rt.calendar.due(element.due_date, now) if element and element.due_date else None
        row = HumanTask(instance_id=inst.id, task_guid=guid, spec_id=view.spec_id, name=view.name,
                        process_key=inst.process_key, lane=view.lane, candidate_role=candidates.role,
                        candidate_scope=candidates.scope, assignee_id=candidates.assignee_id, unit_id=inst.unit_id,
                        state="open", created_at=now, due_at=due)
        session.add(row)
        created.append((row, view, candidates))
    session.flush()  # the new rows' ids, for their notifications
    for row, view, candidates in created:
        for person_id in holders(session, candidates):
            session.add(Notification(person_id=person_id, instance_id=inst.id, task_id=row.id, kind="task",
                                     title=f"新待办：{view.name}（{inst.title or inst.process_key}）", created_at=now))


def _project_timer(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any) -> None:
    due = rt.engine.waiting_timers(workflow) if inst.status == "running" else []
    table = TimerDue.__table__
    if not due:
        session.execute(table.delete().where(table.c.instance_id == inst.id))
        return
    earliest = min(due)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(instance_id=inst.id, due_at=earliest)
    # one statement: insert, or move the due time; a row comes back only when something changed
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.instance_id], set_={"due_at": stmt.excluded.due_at},
                                      where=table.c.due_at != stmt.excluded.due_at).returning(table.c.instance_id)
    if session.execute(stmt).first() is not None:
        wakeups.record(session, earliest)  # the scheduler's outbox: a wake-up run at this due time
