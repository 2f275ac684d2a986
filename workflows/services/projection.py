"""Writes what the engine state implies, in the same transaction as the instance save.

Contract: call :func:`save` after every engine action; it serializes the workflow, updates status and the data
snapshot, projects READY user tasks into ``human_task`` (new ones get candidates and a due time, vanished
ones are cancelled), upserts the earliest waiting timer into ``timer_due`` (a changed due time also goes to the
scheduler's wake-up outbox, :mod:`.wakeups`), and notifies new tasks' people.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import clock, jsoncodec
from ..db import on_commit
from ..engine.facade import LoadedSpec, UserTaskView
from ..models import HumanTask, ProcessInstance, TimerDue
from ..prepared import Prepared
from ..roles import Candidates, needs_party_org, resolve
from . import addsign
from . import wakeups, writes
from .people import party_org_of, person_id_lookup
from .runtime import Runtime


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as plain JSON types, what JSON has no type for as ``str(value)`` (the stored data snapshot)."""
    return jsoncodec.plain(data)


def save(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, *, error: str | None = None,
         open_rows: list[HumanTask] | None = None, party_org_id: int | None = None) -> None:
    """``open_rows``: the instance's open task rows (both kinds) when the caller already loaded them in this
    transaction, under the instance lock; otherwise they are queried. ``party_org_id``: the instance's Party
    organisation when the caller has it (else it is queried when a new task needs it).

    Reads first (open rows, candidates, who to notify), then writes with plain statements (:mod:`.writes`)."""
    engine = rt.engine
    now = clock.now()
    snap = engine.snapshot(workflow, loaded)
    status, outcome = inst.status, None
    if error or snap.errors:
        status = "error"
    elif status in {"running", "error"}:
        outcome = snap.outcome
        status = outcome or "running"
    new_tasks, to_cancel, open_addsigns = _plan_tasks(session, rt, inst, snap.ready, loaded, now, open_rows, status, party_org_id)
    due = snap.timers if status == "running" else []

    values: dict[str, Any] = {"state": engine.dump(workflow), "data": json_safe(snap.data), "status": status}
    if status == "error":
        values["error"] = error or inst.error
    elif inst.status in {"running", "error"}:
        values["error"] = None
        if outcome is not None:
            values["ended_at"] = now
            writes.audit(session, instance_id=inst.id, at=now, action="end", details={"outcome": outcome})
    writes.update_instance(session, inst, **values)
    for row in to_cancel:
        writes.update_task(session, row, state="cancelled", completed_at=now)
    addsign.cancel_orphans(session, inst.id, open_addsigns)
    for task, candidates in new_tasks:
        notice = {"instance_id": inst.id, "task_id": writes.insert_task(session, task), "kind": "task", "body": "",
                  "title": f"新待办：{task['name']}（{inst.title or inst.process_key}）", "created_at": now}
        if candidates.assignee_id is not None:
            writes.notify(session, [{**notice, "person_id": candidates.assignee_id}])
        else:  # every holder of the role in its scope, in the same statement
            writes.notify_holders(session, candidates.role, candidates.scope, notice)
    _project_timer(session, inst.id, due)
    _keep_warm(session, rt, inst, workflow)


def _keep_warm(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any) -> None:
    """Once this transaction commits, the next step of ``inst`` may reuse ``workflow`` (:mod:`..engine.cache`).
    A finished instance takes no further steps, so it is not kept."""
    revision, instance_id, cache = inst.revision, inst.id, rt.workflows
    if inst.status not in {"running", "error"}:
        return

    def put() -> None:
        if inst.revision == revision:  # nothing changed the row after this save
            workflow.script_engine.invoker = None  # drop the finished transaction's session
            cache.put(instance_id, revision, workflow)
    on_commit(session, put)


def open_task_rows(session: Session, instance_id: int, refresh: bool = False) -> list[HumanTask]:
    """Every open row of the instance, tasks and add-signs (one query). ``refresh``: overwrite rows this
    session already holds with what the database says now."""
    return list(session.scalars(_OPEN_ROWS_REFRESHED if refresh else _OPEN_ROWS, {"instance_id": instance_id}).all())


_OPEN_ROWS = select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.state == "open").order_by(HumanTask.id)
_OPEN_ROWS_REFRESHED = _OPEN_ROWS.execution_options(populate_existing=True)


def _plan_tasks(session: Session, rt: Runtime, inst: ProcessInstance, ready_tasks: list[UserTaskView], loaded: LoadedSpec, now: datetime,
                open_rows: list[HumanTask] | None, status: str, party_org_id: int | None) -> tuple[list[tuple[dict[str, Any], Candidates]], list[HumanTask], list[HumanTask]]:
    """(new task rows' values with who may act on them, open task rows to cancel, open add-sign rows); writes nothing."""
    ready = {t.guid: t for t in ready_tasks} if status in {"running", "error"} else {}
    rows = [r for r in (open_task_rows(session, inst.id) if open_rows is None else open_rows) if r.state == "open"]
    tasks = [r for r in rows if r.kind == "task"]
    known = {row.task_guid for row in tasks}
    to_cancel = [row for row in tasks if row.task_guid not in ready]
    lookup = person_id_lookup(session)
    new = []
    for guid, view in ready.items():
        if guid in known:
            continue
        element = loaded.element(view.spec_id)
        role = (element.candidate_groups[0] if element and element.candidate_groups else "applicant")
        if party_org_id is None and needs_party_org(role):
            party_org_id = party_org_of(session, inst.unit_id)
        candidates = resolve(role, starter_id=inst.started_by_id, unit_id=inst.unit_id, party_org_id=party_org_id,
                             data=view.data, person_ids_by_username=lookup)
        due = rt.calendar.due(element.due_date, now) if element and element.due_date else None
        row = dict(instance_id=inst.id, task_guid=guid, spec_id=view.spec_id, name=view.name,
                   process_key=inst.process_key, lane=view.lane, candidate_role=candidates.role,
                   candidate_scope=candidates.scope, assignee_id=candidates.assignee_id, unit_id=inst.unit_id,
                   state="open", created_at=now, due_at=due)
        new.append((row, candidates))
    return new, to_cancel, [r for r in rows if r.kind == addsign.KIND]


def _project_timer(session: Session, instance_id: int, due: list[datetime]) -> None:
    dialect = session.get_bind().dialect.name
    if not due:
        _TIMER_DELETE.execute(session, {"instance_id": instance_id})
        return
    earliest = min(due)
    if _timer_upsert(dialect).first(session, {"instance_id": instance_id, "due_at": earliest}) is not None:
        wakeups.record(session, earliest)  # the scheduler's outbox: a wake-up run at this due time


# plain statements built once, run on the session's connection (no ORM bookkeeping, no autoflush)
_TIMER_TABLE = TimerDue.__table__
_TIMER_DELETE = Prepared(_TIMER_TABLE.delete().where(_TIMER_TABLE.c.instance_id == bindparam("instance_id")))
_TIMER_UPSERTS: dict[str, Prepared] = {}


def _timer_upsert(dialect: str) -> Prepared:
    """Insert the instance's earliest due time, or move it; a row comes back only when something changed.
    Built once per dialect (statement construction costs more than running it)."""
    stmt = _TIMER_UPSERTS.get(dialect)
    if stmt is None:
        base = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_TIMER_TABLE)
        stmt = _TIMER_UPSERTS[dialect] = Prepared(base.on_conflict_do_update(
            index_elements=[_TIMER_TABLE.c.instance_id], set_={"due_at": base.excluded.due_at},
            where=_TIMER_TABLE.c.due_at != base.excluded.due_at).returning(_TIMER_TABLE.c.instance_id))
    return stmt
