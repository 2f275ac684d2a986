"""What the art. 7 cleanup handlers do (``ctx.ops.registry.campaign``), over the caller's transaction.

The campaign (``cleanup_refiling``) opens one ``cleanup_unit`` instance per unit; each unit part lists its groups,
gets two signatures, re-files the kept groups and has every dissolved group confirmed by its owner. A part is
done when its instance ended or its last step recorded ``unit_part_done``; when the last part is done, the
campaign's waiting task ``track_campaign`` is completed by the system in the same transaction. Lock order is
always part, then campaign, so two parts finishing at once cannot both miss being last.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from .. import clock
from ..models import AuditEvent, Filing, HumanTask, Person, ProcessInstance, RoleAssignment, Unit, WorkGroup
from . import group_list
from .registry_ops import RegistryOps, parse_day

PART_KEY = "cleanup_unit"
CAMPAIGN_KEY = "cleanup_refiling"
TRACK_TASK = "track_campaign"
LIVE = ("applying", "filed", "dissolving")
ENDED = ("completed", "rejected", "terminated")


def deadline_end(deadline: Any, tz: str) -> datetime | None:
    """The moment a campaign's deadline day is over (local midnight after it), UTC."""
    day = parse_day(deadline)
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def part_done(session: Any, part: ProcessInstance) -> bool:
    if part.status in ENDED:
        return True
    return bool(session.scalar(select(exists().where(AuditEvent.instance_id == part.id, AuditEvent.action == "unit_part_done"))))


def parts_progress(session: Any, campaign_data: dict[str, Any], tz: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """One line per unit of a campaign (its data: ``parts``, ``deadline``): where each unit part stands."""
    now = now or clock.now()
    end = deadline_end(campaign_data.get("deadline"), tz)
    parts = campaign_data.get("parts") or []
    rows = {p.id: p for p in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_([p["instance_id"] for p in parts])))}
    open_tasks: dict[int, list[str]] = {}
    for t in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(list(rows)), HumanTask.state == "open")):
        open_tasks.setdefault(t.instance_id, []).append(t.name)
    out = []
    for p in parts:
        inst = rows.get(p["instance_id"])
        if inst is None:
            continue
        d = inst.data or {}
        groups = d.get("groups") or []
        items = d.get("dissolve_items") or []
        done = part_done(session, inst)
        out.append({
            "unit_id": p["unit_id"], "unit_name": p["unit_name"], "instance_id": inst.id, "status": inst.status, "done": done,
            "stage": "已完成" if done else "、".join(sorted(set(open_tasks.get(inst.id, [])))) or "处理中",
            "listed": len(groups), "keep": sum(1 for g in groups if g.get("action") == "keep"),
            "dissolve": sum(1 for g in groups if g.get("action") == "dissolve"),
            "dissolved_confirmed": sum(1 for i in items if i.get("dissolved_on")),
            "original_count": d.get("original_count"), "overdue": bool(not done and end is not None and now >= end),
        })
    return out


class CampaignOps:
    """Handler-side operations of the cleanup campaign and its unit parts."""

    def __init__(self, reg: RegistryOps) -> None:
        self.reg = reg
        self.session = reg.session
        self.runtime = reg.runtime

    # ------------------------------------------------------------- the campaign

    def open_unit_parts(self, ctx: Any) -> dict[str, Any]:
        """Start one ``cleanup_unit`` per unit (all units); their first task is due on the campaign deadline."""
        from .system_starts import start_in_session

        d = ctx.data
        deadline = parse_day(d.get("deadline"))
        if deadline is None or deadline <= self.reg.today(ctx):
            return {"launch_error": "截止日期应晚于今天"}
        if self.runtime is None:
            raise RuntimeError("starting unit parts needs the runtime (Operations.runtime)")
        units = list(self.session.scalars(select(Unit).order_by(Unit.id)))
        wanted = [n.strip() for n in re.split(r"[\n,，、;；]+", d.get("unit_names") or "") if n.strip()]
        if wanted:
            unknown = sorted(set(wanted) - {u.name for u in units})
            if unknown:
                return {"launch_error": "以下单位不存在：" + "、".join(unknown)}
            units = [u for u in units if u.name in wanted]
        due = deadline_end(deadline, self.reg.tz)
        name = d.get("campaign_name") or "工作群组清理规范"
        parts = []
        for unit in units:
            starter = self._first_holder("statistician", f"unit:{unit.id}") or self._first_holder("unit_head", f"unit:{unit.id}") or ctx.starter_id
            data = {"campaign_id": ctx.instance_id, "campaign_name": name, "deadline": deadline.isoformat()}
            part = start_in_session(self.session, self.runtime, PART_KEY, data, unit.id, starter, origin="campaign",
                                    title=f"{name}：{unit.name}")
            for row in self.session.scalars(select(HumanTask).where(HumanTask.instance_id == part.id, HumanTask.state == "open")):
                row.due_at = due
            parts.append({"unit_id": unit.id, "unit_name": unit.name, "instance_id": part.id})
        self.reg.record(ctx, "campaign_opened", {"units": len(parts), "deadline": deadline.isoformat()})
        return {"launch_error": None, "parts": parts, "unit_count": len(parts)}

    def check_parts(self, ctx: Any) -> dict[str, Any]:
        progress = parts_progress(self.session, ctx.data, self.reg.tz, ctx.now)
        done = sum(1 for p in progress if p["done"])
        return {"all_done": done == len(progress), "units_done": done, "units_total": len(progress)}

    def report(self, ctx: Any) -> dict[str, Any]:
        """The campaign report: per unit, groups before the cleanup, kept, dissolved (data and an .xlsx document)."""
        progress = parts_progress(self.session, ctx.data, self.reg.tz, ctx.now)
        totals = {k: sum(int(p[k] or 0) for p in progress) for k in ("original_count", "listed", "keep", "dissolve", "dissolved_confirmed")}
        doc = self._report_document(ctx, progress, totals)
        return {"report": {"units": progress, "totals": totals}, "report_document_id": doc}

    # ------------------------------------------------------------- a unit part

    def unit_groups(self, ctx: Any) -> dict[str, Any]:
        """The unit's groups in the register, as a starting list for its statistician."""
        rows = self.session.scalars(select(WorkGroup).where(WorkGroup.unit_id == ctx.unit_id, WorkGroup.status.in_(LIVE))
                                    .order_by(WorkGroup.id)).all()
        owners = {p.id: p for p in self.session.scalars(select(Person).where(Person.id.in_({g.owner_id for g in rows if g.owner_id})))}
        existing = [{"group_id": g.id, "group_name": g.name, "group_kind": g.kind,
                     "owner": owners[g.owner_id].username if g.owner_id in owners else g.details.get("owner_name", ""),
                     "member_scope": g.member_scope, "member_count": g.member_count, "function": g.function,
                     "posting_rules": g.posting_rules, "retention_basis": g.retention_basis, "action": "keep"} for g in rows]
        return {"existing_groups": existing, "existing_count": len(existing)}

    def check_list(self, ctx: Any) -> dict[str, Any]:
        """Validate the statistician's list against the register and the staff roster; problems go back to them."""
        raw, error = group_list.load(ctx.data.get("group_list"))
        if raw is None:
            return {"list_error": error, "list_problems": []}
        groups, problems = group_list.check(raw)
        for i, g in enumerate(groups, start=1):
            if g["group_id"] is not None:
                row = self.session.get(WorkGroup, g["group_id"])
                if row is None or row.unit_id != ctx.unit_id:
                    problems.append(group_list.problem(i, g["group_name"], "group_id", f"台账编号 {g['group_id']} 不是本单位的群组"))
            else:
                row = self.session.scalar(select(WorkGroup).where(WorkGroup.unit_id == ctx.unit_id, WorkGroup.name == g["group_name"],
                                                                  WorkGroup.status.in_(LIVE)).limit(1))
                g["group_id"] = row.id if row else None
            owner = self._owner(ctx.unit_id, g["owner"])
            g["owner_username"], g["owner_name"] = (owner.username, owner.name) if owner else ("", g["owner"])
            if owner is None and g["action"] == "dissolve":
                problems.append(group_list.problem(i, g["group_name"], "owner",
                                                   f"找不到群主“{g['owner']}”，解散的群组须由群主确认，请填写群主的用户名"))
        if problems:
            # list_error: the text people read; list_problems: the same per entry and field (the web form shows them per row)
            return {"list_error": "群组清单有误：\n" + "\n".join(p.text for p in problems),
                    "list_problems": [p.as_dict() for p in problems]}
        listed = {g["group_id"] for g in groups if g["group_id"]}
        unlisted = [g["group_name"] for g in ctx.data.get("existing_groups") or [] if g["group_id"] not in listed]
        return {"list_error": None, "list_problems": [], "groups": groups, "unlisted_groups": unlisted,
                "keep_count": sum(1 for g in groups if g["action"] == "keep"),
                "dissolve_count": sum(1 for g in groups if g["action"] == "dissolve")}

    def refile(self, ctx: Any) -> dict[str, Any]:
        """Kept groups: filed again with a Filing; dissolved ones: ``dissolving``, one confirmation item each."""
        items = []
        refiled = 0
        for g in ctx.data.get("groups") or []:
            row = self.session.get(WorkGroup, g["group_id"]) if g.get("group_id") else None
            if row is None:
                row = WorkGroup(unit_id=ctx.unit_id, name=g["group_name"], kind=g["group_kind"], instance_id=ctx.instance_id)
                self.session.add(row)
            owner = self.reg.person(g.get("owner_username"))
            row.name, row.kind, row.function, row.member_scope = g["group_name"], g["group_kind"], g["function"], g["member_scope"]
            row.member_count, row.posting_rules, row.retention_basis = g["member_count"], g["posting_rules"], g["retention_basis"]
            row.owner_id = owner.id if owner else row.owner_id
            row.details = {**(row.details or {}), "owner_name": g.get("owner_name") or "", "cleanup_campaign_id": ctx.data.get("campaign_id"),
                           "cleanup_part_id": ctx.instance_id}
            self.session.flush()
            if g["action"] == "keep":
                row.status, row.filed_at = "filed", ctx.now
                self.session.add(Filing(group_id=row.id, kind=row.kind, filed_by_id=ctx.starter_id, filed_at=ctx.now,
                                        instance_id=ctx.instance_id, note="清理规范后重新统一备案（第七条）"))
                refiled += 1
            else:
                row.status = "dissolving"
                items.append({"group_id": row.id, "group_name": row.name, "owner_username": g["owner_username"],
                              "owner_name": g["owner_name"], "dissolved_on": None})
        self.reg.record(ctx, "refiled", {"kept": refiled, "dissolving": len(items)})
        doc = self.reg.store_document(ctx, "att3", self._att3_context(ctx), f"工作群组备案登记表-{ctx.data.get('unit_name', '')}.docx")
        return {"dissolve_items": items, "refiled_count": refiled, "att3_document_id": doc}

    def part_finished(self, ctx: Any) -> dict[str, Any]:
        """Mark this part done; if it was the last one, complete the campaign's waiting task (system)."""
        from .instances import lock_instance
        from .system_starts import complete_in_session

        from .projection import json_safe

        self.reg.record(ctx, "unit_part_done", {"campaign_id": ctx.data.get("campaign_id")})
        # the campaign reads this part's final figures from its row before the part's own save writes them
        self.reg.instance.data = json_safe(ctx.data)
        self.session.flush()
        campaign_id = ctx.data.get("campaign_id")
        if not campaign_id or self.runtime is None:
            return {"part_done": True}
        campaign = lock_instance(self.session, int(campaign_id))
        if campaign.status == "running" and all(p["done"] for p in parts_progress(self.session, campaign.data or {}, self.reg.tz, ctx.now)):
            complete_in_session(self.session, self.runtime, campaign, TRACK_TASK, {}, "所有单位均已完成清理规范")
        return {"part_done": True}

    # ------------------------------------------------------------- helpers

    def _first_holder(self, role: str, scope: str) -> int | None:
        return self.session.scalar(select(RoleAssignment.person_id).join(Person, Person.id == RoleAssignment.person_id).where(
            RoleAssignment.role == role, RoleAssignment.scope == scope, Person.status == "active").order_by(Person.id).limit(1))

    def _owner(self, unit_id: int | None, text: str) -> Person | None:
        if not text:
            return None
        person = self.reg.person(text)
        if person is not None:
            return person
        same = self.session.scalars(select(Person).where(Person.name == text, Person.status == "active")).all()
        in_unit = [p for p in same if p.unit_id == unit_id]
        if len(in_unit) == 1:
            return in_unit[0]
        return same[0] if len(same) == 1 else None

    def _signer_name(self, ctx: Any, spec_id: str) -> str:
        decision = (ctx.data.get("decisions") or {}).get(spec_id) or {}
        if decision.get("name"):
            return decision["name"]
        pid = self.session.scalar(select(HumanTask.completed_by_id).where(HumanTask.instance_id == ctx.instance_id, HumanTask.spec_id == spec_id,
                                                                          HumanTask.state == "completed").order_by(HumanTask.id.desc()).limit(1))
        person = self.session.get(Person, pid) if pid else None
        return person.name if person else ""

    def _att3_context(self, ctx: Any) -> dict[str, Any]:
        d = ctx.data
        kept = [g for g in d.get("groups") or [] if g["action"] == "keep"]
        return {"unit_name": d.get("unit_name", ""), "original_count": d.get("original_count"),
                "groups": [{"group_name": g["group_name"], "owner_name": g.get("owner_name") or g.get("owner"), "member_scope": g["member_scope"],
                            "member_count": g["member_count"], "function": g["function"], "posting_rules": g["posting_rules"],
                            "retention_basis": g["retention_basis"]} for g in kept],
                "statistician": {"name": self._signer_name(ctx, "list_groups")}, "unit_head": {"name": self._signer_name(ctx, "unit_head_sign")},
                "party_secretary": {"name": self._signer_name(ctx, "secretary_sign")}, "fill_date": self.reg.today(ctx)}

    def _report_document(self, ctx: Any, progress: list[dict[str, Any]], totals: dict[str, int]) -> int | None:
        import io

        from openpyxl import Workbook

        from ..models import Document

        wb = Workbook()
        ws = wb.active
        ws.title = "清理规范汇总"
        ws.append(["单位(部门)", "原有工作群组数量", "登记群组", "保留并重新备案", "解散", "已确认解散", "完成情况"])
        for p in progress:
            ws.append([p["unit_name"], p["original_count"], p["listed"], p["keep"], p["dissolve"], p["dissolved_confirmed"],
                       "已完成" if p["done"] else p["stage"]])
        ws.append(["合计", totals["original_count"], totals["listed"], totals["keep"], totals["dissolve"], totals["dissolved_confirmed"], ""])
        buf = io.BytesIO()
        wb.save(buf)
        name = f"{ctx.data.get('campaign_name') or '工作群组清理规范'}汇总表.xlsx"
        doc = Document(instance_id=ctx.instance_id, name=name, kind="report", content=buf.getvalue(), created_at=ctx.now,
                       media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.session.add(doc)
        self.session.flush()
        return doc.id

