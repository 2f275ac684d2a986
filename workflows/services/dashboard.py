"""The administrators' dashboard (read use cases): instance search, where work piles up on each diagram, one
instance with its tokens, the overview figures, and the timings the benchmark reports.

Readers: the oversight roles (administrators, the Party Office, the discipline office). Every query here reads
projections (``process_instance``, ``human_task``, ``incident``), never serialized workflows, except
:func:`instance_detail` which restores one instance to draw it. Indexes they rely on: see migration 0003.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, time as dtime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..errors import InvalidInput, NotFound
from ..models import HumanTask, Incident, Person, ProcessDefinition, ProcessInstance, TimerDue, Unit
from .incidents import require_overseer
from .runtime import Runtime

STATUSES = {"running": "运行中", "completed": "已完成", "rejected": "未通过", "terminated": "已终止", "error": "故障"}
PAGE_MAX = 200


@dataclass
class InstanceFilter:
    """Search criteria; every field is optional. Dates are local calendar days, inclusive."""

    process: str | None = None
    version: int | None = None
    unit_id: int | None = None
    status: str | None = None
    started_by: str | None = None  # username
    started_from: date | None = None
    started_to: date | None = None
    overdue: bool = False
    instance_id: int | None = None

    def as_params(self) -> dict[str, str]:
        """Non-empty criteria as query parameters (for links and the export)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, False, ""):
                out[f.name] = "1" if value is True else str(value)
        return out


def _local_midnight(rt: Runtime, day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=ZoneInfo(rt.calendar.tz))


def overdue_clause(now: datetime) -> Any:
    """The instance has an open task past its due time (the set comes from the (state, due_at) index)."""
    return ProcessInstance.id.in_(select(HumanTask.instance_id).where(HumanTask.state == "open", HumanTask.due_at < now))


def _where(session: Session, rt: Runtime, flt: InstanceFilter, now: datetime) -> list[Any]:
    where: list[Any] = []
    if flt.status and flt.status not in STATUSES:
        raise InvalidInput(f"状态只能是 {'、'.join(STATUSES)}")
    if flt.instance_id:
        where.append(ProcessInstance.id == flt.instance_id)
    if flt.process:
        where.append(ProcessInstance.process_key == flt.process)
    if flt.version:
        where.append(ProcessInstance.version == flt.version)
    if flt.unit_id:
        where.append(ProcessInstance.unit_id == flt.unit_id)
    if flt.status:
        where.append(ProcessInstance.status == flt.status)
    if flt.started_by:
        person_id = session.scalar(select(Person.id).where(or_(Person.username == flt.started_by, Person.name == flt.started_by)).limit(1))
        where.append(ProcessInstance.started_by_id == (person_id or -1))
    if flt.started_from:
        where.append(ProcessInstance.started_at >= _local_midnight(rt, flt.started_from))
    if flt.started_to:
        where.append(ProcessInstance.started_at < _local_midnight(rt, flt.started_to + timedelta(days=1)))
    if flt.overdue:
        where.append(ProcessInstance.status.in_(("running", "error")))
        where.append(overdue_clause(now))
    return where


def _search(session: Session, rt: Runtime, flt: InstanceFilter, limit: int, offset: int) -> dict[str, Any]:
    now = clock.now()
    where = _where(session, rt, flt, now)
    total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*where)) or 0
    # two steps: the page's ids (sorting only narrow index entries), then their rows
    ids = list(session.scalars(select(ProcessInstance.id).where(*where)
                               .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()).limit(limit).offset(offset)))
    found = {r[0]: r for r in session.execute(
        select(ProcessInstance.id, ProcessInstance.process_key, ProcessInstance.version, ProcessInstance.title,
               ProcessInstance.status, ProcessInstance.started_at, ProcessInstance.ended_at, ProcessInstance.error,
               ProcessInstance.data, Unit.name, Person.name)
        .join(Unit, Unit.id == ProcessInstance.unit_id, isouter=True)
        .join(Person, Person.id == ProcessInstance.started_by_id, isouter=True)
        .where(ProcessInstance.id.in_(ids)))} if ids else {}
    rows = [found[i] for i in ids if i in found]
    tasks: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for t in session.execute(select(HumanTask.instance_id, HumanTask.id, HumanTask.name, HumanTask.due_at)
                                 .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open").order_by(HumanTask.id)):
            tasks.setdefault(t.instance_id, []).append({"id": t.id, "name": t.name, "due": t.due_at.isoformat() if t.due_at else None,
                                                        "overdue": bool(t.due_at and t.due_at < now)})
    items = []
    for iid, key, version, title, status, started, ended, error, data, unit, starter in rows:
        open_tasks = tasks.get(iid, [])
        subject = next((str(data[k]) for k in ("group_name", "account_name", "campaign_name", "person_name") if (data or {}).get(k)), "")
        items.append({"id": iid, "process": key, "version": version, "title": title, "subject": subject, "status": status,
                      "status_label": STATUSES.get(status, status), "unit": unit, "started_by": starter,
                      "started_at": started.isoformat(), "ended_at": ended.isoformat() if ended else None, "error": error,
                      "tasks": open_tasks, "overdue": any(t["overdue"] for t in open_tasks)})
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def search_instances(rt: Runtime, username: str, flt: InstanceFilter | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Instances matching ``flt``, newest first, with their open tasks; ``total`` counts every match."""
    limit = max(1, min(limit, PAGE_MAX))
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        return _search(session, rt, flt or InstanceFilter(), limit, max(0, offset))


def _element_counts(session: Session, key: str, version: int | None) -> dict[str, dict[str, int]]:
    now = clock.now()
    query = (select(HumanTask.spec_id, func.count(), func.sum(case((HumanTask.due_at < now, 1), else_=0)))
             .where(HumanTask.state == "open", HumanTask.process_key == key).group_by(HumanTask.spec_id))
    if version is not None:
        query = query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(ProcessInstance.version == version)
    counts: dict[str, dict[str, int]] = {}
    for spec_id, n, late in session.execute(query):
        counts[spec_id] = {"open": n, "overdue": int(late or 0), "error": 0}
    failed = (select(Incident.element_id, func.count(func.distinct(Incident.instance_id)))
              .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
              .where(Incident.resolved_at.is_(None), ProcessInstance.process_key == key).group_by(Incident.element_id))
    if version is not None:
        failed = failed.where(ProcessInstance.version == version)
    for element_id, n in session.execute(failed):
        counts.setdefault(element_id, {"open": 0, "overdue": 0, "error": 0})["error"] = n
    return counts


def element_counts(rt: Runtime, username: str, key: str, version: int | None = None) -> dict[str, Any]:
    """Open tasks (and overdue ones) and failed steps per element of ``key`` (one version, or all): where work
    piles up. With ``version``, also the diagram XML of that version to draw the counts on."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        query = select(ProcessDefinition).where(ProcessDefinition.key == key)
        definition = session.scalar(query.where(ProcessDefinition.version == version) if version is not None
                                    else query.order_by(ProcessDefinition.version.desc()).limit(1))
        if definition is None:
            raise NotFound(f"流程 {key} 不存在" + (f"或没有第 {version} 版" if version else ""))
        versions = list(session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version)))
        names = {e.id: e.name for e in rt.loaded(definition).model.elements.values() if e.name}
        return {"key": key, "name": definition.name, "version": version, "diagram_version": definition.version, "versions": versions,
                "xml": definition.bpmn_xml, "names": names, "counts": _element_counts(session, key, version)}


def instance_detail(rt: Runtime, username: str, instance_id: int) -> dict[str, Any]:
    """One instance for the dashboard: its version's diagram, completed and current elements, open tasks, incidents."""
    from . import queries

    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None:
            raise NotFound(f"流程实例 {instance_id} 不存在")
        definition = session.get(ProcessDefinition, inst.definition_id)
        assert definition is not None
        view = queries.instance_view(session, rt, inst)
        completed: list[str] = []
        current: list[str] = []
        try:
            workflow = rt.engine.restore(rt.loaded(definition), inst.state, None)
            completed, current = rt.engine.completed_path(workflow)
        except Exception as exc:  # a broken state still shows its record
            view["restore_error"] = f"{type(exc).__name__}: {exc}"
        if inst.status not in {"running", "error"}:
            current = [c for c in current if c not in completed]
        incidents = session.scalars(select(Incident).where(Incident.instance_id == inst.id).order_by(Incident.at.desc())).all()
        view.update({"xml": definition.bpmn_xml, "completed": completed, "current": current, "error": inst.error,
                     "status_label": STATUSES.get(inst.status, inst.status),
                     "incidents": [{"id": i.id, "at": i.at.isoformat(), "element": i.element_id, "error": i.error,
                                    "resolved": i.resolved_at.isoformat() if i.resolved_at else None} for i in incidents],
                     "timer_due": (session.get(TimerDue, inst.id).due_at.isoformat() if session.get(TimerDue, inst.id) else None)})
        return view


def _overview(session: Session) -> dict[str, Any]:
    now = clock.now()
    by_status = dict(session.execute(select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)).all())
    open_tasks, overdue = session.execute(select(func.count(), func.sum(case((HumanTask.due_at < now, 1), else_=0)))
                                          .where(HumanTask.state == "open")).one()
    incidents = session.scalar(select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))) or 0
    names = dict(session.execute(select(ProcessDefinition.key, ProcessDefinition.name).order_by(ProcessDefinition.version)).all())
    running = session.execute(select(ProcessInstance.process_key, func.count()).where(ProcessInstance.status == "running")
                              .group_by(ProcessInstance.process_key)).all()
    per_process = [{"process": key, "name": names.get(key, key), "running": n} for key, n in sorted(running, key=lambda r: -r[1])]
    return {"instances": {s: int(by_status.get(s, 0)) for s in STATUSES}, "instances_total": int(sum(by_status.values())),
            "open_tasks": int(open_tasks or 0), "overdue_tasks": int(overdue or 0), "open_incidents": int(incidents),
            "running_by_process": per_process}


def overview(rt: Runtime, username: str) -> dict[str, Any]:
    """The figures at the top of /admin: instances by status, open and overdue tasks, open incidents, registry."""
    from . import oversight

    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        figures = _overview(session)
        figures["registry"] = oversight.registry_totals(session, rt)
        figures["overdue_by_unit"] = oversight.sla_by_unit_rows(session)[:10]
        return figures


def filter_options(rt: Runtime, username: str) -> dict[str, Any]:
    """Choices for the search form: processes with their versions, units, statuses."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        processes: dict[str, dict[str, Any]] = {}
        for key, name, version in session.execute(select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version)
                                                  .order_by(ProcessDefinition.key, ProcessDefinition.version)):
            processes.setdefault(key, {"key": key, "name": name, "versions": []})["versions"].append(version)
        units = [{"id": i, "name": n} for i, n in session.execute(select(Unit.id, Unit.name).order_by(Unit.name))]
        return {"processes": list(processes.values()), "units": units, "statuses": [{"code": c, "label": l} for c, l in STATUSES.items()]}


def dashboard_page_timings(rt: Runtime) -> dict[str, float]:
    """Milliseconds each dashboard page spends in the database (one run each, no permission check), for
    ``groupgov bench``: the pages an administrator opens, with the filters that are hardest to answer."""
    from . import oversight

    with unit_of_work(write=False, engine=rt.db) as session:
        key = session.scalar(select(ProcessInstance.process_key).group_by(ProcessInstance.process_key)
                             .order_by(func.count().desc()).limit(1)) or "group_approval"
        version = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key))
        unit_id = session.scalar(select(Unit.id).order_by(Unit.id).limit(1))
        pages: dict[str, Callable[[], Any]] = {
            "admin_overview": lambda: (_overview(session), oversight.registry_totals(session, rt), oversight.sla_by_unit_rows(session)),
            "admin_instances": lambda: _search(session, rt, InstanceFilter(), 50, 0),
            "admin_instances_last_page": lambda: _search(session, rt, InstanceFilter(), 50, 5000),
            "admin_instances_filtered": lambda: _search(session, rt, InstanceFilter(process=key, unit_id=unit_id, status="running"), 50, 0),
            "admin_instances_overdue": lambda: _search(session, rt, InstanceFilter(overdue=True), 50, 0),
            "admin_element_counts": lambda: _element_counts(session, key, version),
            "admin_sla": lambda: (oversight.sla_by_unit_rows(session), oversight.sla_by_person_rows(session, 100)),
            "admin_registry": lambda: oversight.registry_rows(session, rt),
            "admin_incidents": lambda: session.execute(select(Incident).where(Incident.resolved_at.is_(None))
                                                       .order_by(Incident.at.desc()).limit(50)).all(),
        }
        timings = {}
        for name, page in pages.items():
            started = time.perf_counter()
            page()
            timings[name] = round((time.perf_counter() - started) * 1000, 2)
        return timings
