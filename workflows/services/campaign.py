"""Use cases of the art. 7 cleanup campaign: per-unit progress, the spreadsheet upload, the deadline sweep.

A campaign is a ``cleanup_refiling`` instance (started like any process; its first form takes the name and the
deadline); its unit parts are ``cleanup_unit`` instances (see ``campaign_ops.py``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select

from ..db import unit_of_work
from ..errors import Forbidden, InvalidInput, NotFound
from ..models import AuditEvent, HumanTask, Notification, ProcessInstance, RoleAssignment, Unit
from ..roles import Candidates
from . import group_list, instances
from .campaign_ops import CAMPAIGN_KEY, PART_KEY, TRACK_TASK, deadline_end, part_done, parts_progress
from .people import holders, is_overseer, person_by_username
from .runtime import Runtime
from .system_starts import complete_as_system

log = logging.getLogger(__name__)


def campaign_progress(rt: Runtime, username: str, campaign_id: int) -> dict[str, Any]:
    """Where every unit of a campaign stands. Overseers and the campaign's starter see all units; a unit's own
    statistician, head or Party secretary see their unit's line."""
    with unit_of_work(write=False, engine=rt.db) as session:
        me = person_by_username(session, username)
        campaign = session.get(ProcessInstance, campaign_id)
        if campaign is None or campaign.process_key != CAMPAIGN_KEY:
            raise NotFound(f"清理规范工作 {campaign_id} 不存在")
        items = parts_progress(session, campaign.data or {}, rt.settings.timezone)
        if not (is_overseer(me) or campaign.started_by_id == me.id):
            scopes = {r.scope for r in me.roles if r.role in {"statistician", "unit_head", "secretary", "party_org"}}
            unit_org = dict(session.execute(select(Unit.id, Unit.party_org_id)).all())
            items = [p for p in items if f"unit:{p['unit_id']}" in scopes or f"org:{unit_org.get(p['unit_id'])}" in scopes]
            if not items:
                raise Forbidden("您无权查看该清理规范工作的进度")
        d = campaign.data or {}
        done = sum(1 for p in items if p["done"])
        return {"id": campaign.id, "name": d.get("campaign_name") or campaign.title, "deadline": d.get("deadline"),
                "status": campaign.status, "units_total": len(items), "units_done": done,
                "units_overdue": sum(1 for p in items if p["overdue"]), "items": items, "total": len(items),
                "report": d.get("report", {}).get("totals") if isinstance(d.get("report"), dict) else None}


def parse_group_sheet(filename: str, content: bytes) -> dict[str, Any]:
    """A spreadsheet of the unit's groups as the list the ``list_groups`` form takes (for a preview)."""
    items = group_list.parse_sheet(filename, content)
    return {"items": items, "total": len(items)}


def submit_group_sheet(rt: Runtime, task_id: int, username: str, filename: str, content: bytes,
                       original_count: int | None = None, note: str = "") -> int:
    """The statistician hands in the list as a spreadsheet: parsed, then the ``list_groups`` task is completed
    with it (same checks as the form). Returns the unit part's instance id."""
    with unit_of_work(write=False, engine=rt.db) as session:
        row = session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(f"待办 {task_id} 不存在")
        if row.spec_id != "list_groups" or row.process_key != PART_KEY:
            raise InvalidInput("只有“填报工作群组清单”待办可以上传群组清单表格")
    items = group_list.parse_sheet(filename, content)
    data: dict[str, Any] = {"group_list": json.dumps(items, ensure_ascii=False),
                            "original_count": len(items) if original_count is None else original_count}
    if note:
        data["note"] = note
    return instances.complete_task(rt, task_id, username, data)


def sweep_deadlines(rt: Runtime, now: datetime) -> list[str]:
    """For each running campaign: remind unfinished units ``campaign_remind_days`` before the deadline, escalate
    them once it has passed (each once per unit part), and close the campaign when every part is done."""
    with unit_of_work(write=False, engine=rt.db) as session:
        ids = list(session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_key == CAMPAIGN_KEY,
                                                                    ProcessInstance.status == "running")).all())
    lines: list[str] = []
    for campaign_id in ids:
        try:
            lines += _sweep_one(rt, campaign_id, now)
        except Exception:  # one broken campaign never stops the others
            log.exception("campaign %s: deadline sweep failed", campaign_id)
    return lines


def _sweep_one(rt: Runtime, campaign_id: int, now: datetime) -> list[str]:
    tz = rt.settings.timezone
    lines: list[str] = []
    with unit_of_work(engine=rt.db) as session:
        campaign = session.get(ProcessInstance, campaign_id)
        if campaign is None or campaign.status != "running":
            return []
        d = campaign.data or {}
        end = deadline_end(d.get("deadline"), tz)
        parts = d.get("parts") or []
        if not parts or end is None:
            return []
        name = d.get("campaign_name") or campaign.title
        unfinished = [p for p in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_([x["instance_id"] for x in parts])))
                      if not part_done(session, p)]
        if now >= end:
            for part in unfinished:
                if _once(session, part, "deadline_escalation", now):
                    n = _notify_part(session, part, "escalation", f"督办：「{name}」已过截止日期（{d.get('deadline')}），本单位尚未完成",
                                     ("unit_head", "secretary"), now)
                    lines.append(f"「{name}」：{_unit_name(session, part)}逾期未完成，已督办 {n} 人")
        elif now >= end - timedelta(days=rt.settings.campaign_remind_days + 1):
            for part in unfinished:
                if _once(session, part, "deadline_reminder", now):
                    n = _notify_part(session, part, "reminder", f"提醒：「{name}」将于 {d.get('deadline')} 截止，请抓紧完成", (), now)
                    lines.append(f"「{name}」：已提醒{_unit_name(session, part)} {n} 人")
    if not unfinished:
        if complete_as_system(rt, campaign_id, TRACK_TASK, {}, "所有单位均已完成清理规范"):
            lines.append(f"「{name}」：所有单位均已完成，已汇总结束")
    return lines


def _once(session: Any, part: ProcessInstance, action: str, now: datetime) -> bool:
    """Record ``action`` on the part unless it was recorded before; True when this call recorded it."""
    if session.scalar(select(exists().where(AuditEvent.instance_id == part.id, AuditEvent.action == action))):
        return False
    session.add(AuditEvent(instance_id=part.id, at=now, action=action))
    return True


def _notify_part(session: Any, part: ProcessInstance, kind: str, message: str, roles: tuple[str, ...], now: datetime) -> int:
    """Notify whoever holds the part's open tasks, plus ``roles`` of its unit / Party org; flag its open tasks."""
    people: set[int] = set()
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == part.id, HumanTask.state == "open")).all()
    for row in rows:
        people.update(holders(session, Candidates(row.candidate_role, row.candidate_scope, row.assignee_id)))
        if kind == "reminder":
            row.reminders_sent += 1
        else:
            row.escalated = True
    org = session.scalar(select(Unit.party_org_id).where(Unit.id == part.unit_id))
    for role in roles:
        scope = f"org:{org}" if role == "secretary" else f"unit:{part.unit_id}"
        people.update(session.scalars(select(RoleAssignment.person_id).where(RoleAssignment.role == role, RoleAssignment.scope == scope)))
    for person_id in sorted(people):
        session.add(Notification(person_id=person_id, instance_id=part.id, kind=kind, title=message, created_at=now))
    return len(people)


def _unit_name(session: Any, part: ProcessInstance) -> str:
    return session.scalar(select(Unit.name).where(Unit.id == part.unit_id)) or ""
