"""Oversight figures (art. 13-15): overdue tasks by unit and by person, and the registry's proliferation —
groups and accounts per unit and per person by kind and status, temporary groups past their end, idle
accounts, the cleanup campaign's progress per unit.

``*_rows(session, ...)`` functions run inside the caller's read transaction (the dashboard, the export and the
benchmark share them); the public functions check that the caller is an overseer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select, union_all
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..models import GROUP_KINDS, GROUP_STATUSES, HumanTask, Person, ProcessInstance, RoleAssignment, Unit, WorkGroup
from ..roles import ROLES
from .incidents import require_overseer
from .runtime import Runtime

ACTIVE = ("applying", "filed", "dissolving")
ACCOUNT_KINDS = ("wechat_official_account", "qq_official_account")
LIST_MAX = 200


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 1)


def _today(rt: Runtime) -> date:
    return clock.now().astimezone(ZoneInfo(rt.calendar.tz)).date()


def _sla_row(now: datetime, key: dict[str, Any], n: int, late: int, oldest: datetime | None, reminders: int, escalated: int) -> dict[str, Any]:
    return {**key, "open": int(n), "overdue": int(late or 0), "reminders": int(reminders or 0), "escalated": int(escalated or 0),
            "max_days_overdue": _days(now - clock.as_utc(oldest)) if oldest is not None else 0.0}


def _sla_columns(now: datetime) -> tuple[Any, ...]:
    late = HumanTask.due_at < now
    return (func.count(), func.sum(case((late, 1), else_=0)), func.min(case((late, HumanTask.due_at), else_=None)),
            func.sum(HumanTask.reminders_sent), func.sum(case((HumanTask.escalated.is_(True), 1), else_=0)))


def _order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (-r["overdue"], -r["max_days_overdue"], -r["open"]))


def sla_by_unit_rows(session: Session) -> list[dict[str, Any]]:
    """Open tasks per unit (the instance's unit): how many, how many overdue, the oldest by days, reminders sent."""
    now = clock.now()
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    rows = session.execute(select(HumanTask.unit_id, *_sla_columns(now)).where(HumanTask.state == "open").group_by(HumanTask.unit_id))
    return _order([_sla_row(now, {"unit_id": uid, "unit": names.get(uid, "（无单位）")}, *rest) for uid, *rest in rows])


def sla_by_person_rows(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Open tasks per person who may act: the assignee, or every holder of the candidate role in its scope."""
    now = clock.now()
    assigned = session.execute(select(HumanTask.assignee_id, *_sla_columns(now))
                               .where(HumanTask.state == "open", HumanTask.assignee_id.is_not(None)).group_by(HumanTask.assignee_id)).all()
    by_role = session.execute(select(RoleAssignment.person_id, *_sla_columns(now))
                              .join(RoleAssignment, (RoleAssignment.role == HumanTask.candidate_role) & (RoleAssignment.scope == HumanTask.candidate_scope))
                              .where(HumanTask.state == "open", HumanTask.assignee_id.is_(None)).group_by(RoleAssignment.person_id)).all()
    merged: dict[int, list[Any]] = {}
    for pid, n, late, oldest, reminders, escalated in [*assigned, *by_role]:
        cur = merged.setdefault(pid, [0, 0, None, 0, 0])
        cur[0] += n
        cur[1] += int(late or 0)
        cur[2] = oldest if cur[2] is None or (oldest is not None and clock.as_utc(oldest) < clock.as_utc(cur[2])) else cur[2]
        cur[3] += int(reminders or 0)
        cur[4] += int(escalated or 0)
    people = {p.id: p for p in session.execute(select(Person.id, Person.name, Person.username, Unit.name.label("unit"))
                                               .join(Unit, Unit.id == Person.unit_id).where(Person.id.in_(list(merged))))} if merged else {}
    rows = [_sla_row(now, {"person_id": pid, "name": people[pid].name if pid in people else str(pid),
                           "username": people[pid].username if pid in people else "", "unit": people[pid].unit if pid in people else ""}, *vals)
            for pid, vals in merged.items()]
    return _order(rows)[:limit]


def overdue_task_rows(session: Session, unit_id: int | None = None, person_id: int | None = None, only_overdue: bool = True,
                      limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Open tasks (overdue ones by default), oldest due first, for one unit or one person (who may act)."""
    now = clock.now()
    where: list[Any] = [HumanTask.state == "open"]
    if only_overdue:
        where.append(HumanTask.due_at < now)
    if unit_id is not None:
        where.append(HumanTask.unit_id == unit_id)
    if person_id is not None:
        # one index lookup per way the person may act: assigned, or each of the person's (role, scope) pairs
        pairs = session.execute(select(RoleAssignment.role, RoleAssignment.scope).where(RoleAssignment.person_id == person_id)).all()
        ways = [select(HumanTask.id).where(*where, HumanTask.assignee_id == person_id)]
        ways += [select(HumanTask.id).where(*where, HumanTask.assignee_id.is_(None), HumanTask.candidate_role == r, HumanTask.candidate_scope == sc)
                 for r, sc in pairs]
        where.append(HumanTask.id.in_(union_all(*ways)))
    total = session.scalar(select(func.count()).select_from(HumanTask).where(*where)) or 0
    rows = session.execute(select(HumanTask, ProcessInstance.title, Unit.name, Person.name)
                           .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                           .join(Unit, Unit.id == HumanTask.unit_id, isouter=True)
                           .join(Person, Person.id == HumanTask.assignee_id, isouter=True)
                           .where(*where).order_by(HumanTask.due_at.asc(), HumanTask.id).limit(limit).offset(offset)).all()
    items = [{"id": t.id, "instance_id": t.instance_id, "title": title, "name": t.name, "process": t.process_key, "unit": unit,
              "who": assignee or ROLES.get(t.candidate_role, (t.candidate_role, ""))[0], "due": t.due_at.isoformat() if t.due_at else None,
              "days_overdue": _days(now - t.due_at) if t.due_at and t.due_at < now else 0.0, "reminders": t.reminders_sent,
              "escalated": t.escalated, "last_urged_at": t.last_urged_at.isoformat() if t.last_urged_at else None}
             for t, title, unit, assignee in rows]
    return {"items": items, "total": total}


def sla(rt: Runtime, username: str, person_limit: int = 100) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        return {"by_unit": sla_by_unit_rows(session), "by_person": sla_by_person_rows(session, person_limit)}


def overdue_tasks(rt: Runtime, username: str, unit_id: int | None = None, person_id: int | None = None, only_overdue: bool = True,
                  limit: int = 50, offset: int = 0) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        return overdue_task_rows(session, unit_id, person_id, only_overdue, max(1, min(limit, LIST_MAX)), max(0, offset))


def _groups_by_unit(session: Session) -> list[dict[str, Any]]:
    units: dict[int, dict[str, Any]] = {}
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    for uid, kind, status, n in session.execute(select(WorkGroup.unit_id, WorkGroup.kind, WorkGroup.status, func.count())
                                                .group_by(WorkGroup.unit_id, WorkGroup.kind, WorkGroup.status)):
        row = units.setdefault(uid, {"unit_id": uid, "unit": names.get(uid, str(uid)), "active": 0,
                                     "by_kind": dict.fromkeys(GROUP_KINDS, 0), "by_status": dict.fromkeys(GROUP_STATUSES, 0)})
        row["by_status"][status] = row["by_status"].get(status, 0) + n
        row["total"] = row.get("total", 0) + n
        if status in ACTIVE:
            row["active"] += n
            row["by_kind"][kind] = row["by_kind"].get(kind, 0) + n
    return sorted(units.values(), key=lambda r: (-r["active"], r["unit"]))


def _groups_by_owner(session: Session, limit: int) -> list[dict[str, Any]]:
    owners: dict[int, dict[str, Any]] = {}
    for pid, kind, status, n in session.execute(select(WorkGroup.owner_id, WorkGroup.kind, WorkGroup.status, func.count())
                                                .where(WorkGroup.owner_id.is_not(None))
                                                .group_by(WorkGroup.owner_id, WorkGroup.kind, WorkGroup.status)):
        row = owners.setdefault(pid, {"person_id": pid, "active": 0, "by_kind": dict.fromkeys(GROUP_KINDS, 0),
                                      "by_status": dict.fromkeys(GROUP_STATUSES, 0)})
        row["by_status"][status] = row["by_status"].get(status, 0) + n
        if status in ACTIVE:
            row["active"] += n
            row["by_kind"][kind] = row["by_kind"].get(kind, 0) + n
    owners = {pid: row for pid, row in owners.items() if row["active"]}
    top = sorted(owners.values(), key=lambda r: -r["active"])[:limit]
    people = {p.id: p for p in session.execute(select(Person.id, Person.name, Person.username, Unit.name.label("unit"))
                                               .join(Unit, Unit.id == Person.unit_id).where(Person.id.in_([r["person_id"] for r in top])))}
    for row in top:
        p = people.get(row["person_id"])
        row.update({"name": p.name if p else "", "username": p.username if p else "", "unit": p.unit if p else ""})
    return top


def _group_item(g: WorkGroup, unit: str, owner: str | None, **extra: Any) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "kind": g.kind, "kind_label": GROUP_KINDS.get(g.kind, g.kind), "status": g.status,
            "status_label": GROUP_STATUSES.get(g.status, g.status), "unit": unit, "owner": owner or "", **extra}


def _temporary_overdue(session: Session, today: date) -> list[dict[str, Any]]:
    rows = session.execute(select(WorkGroup, Unit.name, Person.name).join(Unit, Unit.id == WorkGroup.unit_id)
                           .join(Person, Person.id == WorkGroup.owner_id, isouter=True)
                           .where(WorkGroup.temporary.is_(True), WorkGroup.status.in_(ACTIVE), WorkGroup.expected_end < today)
                           .order_by(WorkGroup.expected_end, WorkGroup.id).limit(LIST_MAX)).all()
    return [_group_item(g, unit, owner, expected_end=g.expected_end.isoformat(), days_past=(today - g.expected_end).days)
            for g, unit, owner in rows]


def _stale(today: date, idle_days: int) -> Any:
    """Not updated for ``idle_days`` (never updated: filed that long ago)."""
    return or_(WorkGroup.last_update < today - timedelta(days=idle_days),
               (WorkGroup.last_update.is_(None)) & (WorkGroup.filed_at < clock.now() - timedelta(days=idle_days)))


def _idle_accounts(session: Session, today: date, idle_days: int) -> list[dict[str, Any]]:
    stale = _stale(today, idle_days)
    rows = session.execute(select(WorkGroup, Unit.name, Person.name).join(Unit, Unit.id == WorkGroup.unit_id)
                           .join(Person, Person.id == WorkGroup.owner_id, isouter=True)
                           .where(WorkGroup.kind.in_(ACCOUNT_KINDS), WorkGroup.status == "filed", stale)
                           .order_by(WorkGroup.last_update.asc(), WorkGroup.id).limit(LIST_MAX)).all()
    return [_group_item(g, unit, owner, last_update=g.last_update.isoformat() if g.last_update else None,
                        idle_days=(today - g.last_update).days if g.last_update else None) for g, unit, owner in rows]


def campaign_rows(session: Session, tz: str) -> dict[str, Any] | None:
    """The latest cleanup campaign (art. 7) with one line per unit: stage, groups listed / kept / dissolved,
    dissolutions confirmed, overdue, done. None when no campaign was ever started (or the campaign
    module is not installed)."""
    try:
        from .campaign_ops import CAMPAIGN_KEY, parts_progress
    except ImportError:
        return None
    campaign = session.scalar(select(ProcessInstance).where(ProcessInstance.process_key == CAMPAIGN_KEY)
                              .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()).limit(1))
    if campaign is None:
        return None
    data = campaign.data or {}
    items = parts_progress(session, data, tz)
    return {"id": campaign.id, "name": data.get("campaign_name") or campaign.title, "deadline": data.get("deadline"),
            "status": campaign.status, "units_total": len(items), "units_done": sum(1 for p in items if p["done"]),
            "units_overdue": sum(1 for p in items if p["overdue"]), "items": items}


def registry_totals(session: Session, rt: Runtime) -> dict[str, Any]:
    today = _today(rt)
    by_kind = dict.fromkeys(GROUP_KINDS, 0)
    for kind, n in session.execute(select(WorkGroup.kind, func.count()).where(WorkGroup.status.in_(ACTIVE)).group_by(WorkGroup.kind)):
        by_kind[kind] = n
    temp = session.scalar(select(func.count()).select_from(WorkGroup).where(
        WorkGroup.temporary.is_(True), WorkGroup.status.in_(ACTIVE), WorkGroup.expected_end < today)) or 0
    idle = session.scalar(select(func.count()).select_from(WorkGroup).where(
        WorkGroup.kind.in_(ACCOUNT_KINDS), WorkGroup.status == "filed", _stale(today, rt.settings.account_idle_days))) or 0
    return {"active": sum(by_kind.values()), "by_kind": by_kind, "temporary_overdue": temp, "idle_accounts": idle}


def registry_rows(session: Session, rt: Runtime, owner_limit: int = 50) -> dict[str, Any]:
    today = _today(rt)
    return {"totals": registry_totals(session, rt), "by_unit": _groups_by_unit(session), "by_owner": _groups_by_owner(session, owner_limit),
            "temporary_overdue": _temporary_overdue(session, today), "idle_accounts": _idle_accounts(session, today, rt.settings.account_idle_days),
            "campaign": campaign_rows(session, rt.settings.timezone), "kinds": GROUP_KINDS, "statuses": GROUP_STATUSES}


def registry(rt: Runtime, username: str) -> dict[str, Any]:
    """Groups and accounts per unit and per owner by kind and status; temporary groups past their end; idle
    official accounts (no update for ``account_idle_days``); campaign progress per unit."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        return registry_rows(session, rt)
