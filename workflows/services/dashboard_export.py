"""The dashboard as an .xlsx workbook (openpyxl, write-only): the filtered instances, overdue tasks by unit and by
person, the registry by unit and by owner, temporary groups past their end, idle accounts, campaign progress and
open incidents — one sheet each, Chinese headers. Overseers only.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from ..db import unit_of_work
from ..models import GROUP_KINDS, GROUP_STATUSES, Incident, ProcessInstance
from . import dashboard, oversight
from .incidents import require_overseer
from .runtime import Runtime

EXPORT_MAX_ROWS = 20000
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]], widths: list[int] | None = None) -> None:
    ws = wb.create_sheet(title)
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    for row in rows:
        ws.append(row)


def _local(value: str | datetime | None, tz: ZoneInfo) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _instances(session: Any, rt: Runtime, flt: dashboard.InstanceFilter) -> list[list[Any]]:
    tz = ZoneInfo(rt.calendar.tz)
    rows: list[list[Any]] = []
    offset = 0
    while offset < EXPORT_MAX_ROWS:
        page = dashboard._search(session, rt, flt, 1000, offset)
        for r in page["items"]:
            rows.append([r["id"], r["process"], r["version"], r["title"], r["subject"], r["status_label"], r["unit"] or "",
                         r["started_by"] or "", _local(r["started_at"], tz), _local(r["ended_at"], tz),
                         "、".join(t["name"] for t in r["tasks"]), "是" if r["overdue"] else "", r["error"] or ""])
        offset += 1000
        if offset >= page["total"]:
            break
    return rows


def export_xlsx(rt: Runtime, username: str, flt: dashboard.InstanceFilter | None = None) -> bytes:
    """The workbook's bytes; the instance sheet follows ``flt`` (at most ``EXPORT_MAX_ROWS`` rows)."""
    flt = flt or dashboard.InstanceFilter()
    wb = Workbook(write_only=True)
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        _sheet(wb, "流程实例", ["编号", "流程", "版本", "名称", "事项", "状态", "单位", "发起人", "发起时间", "结束时间", "当前待办", "逾期", "故障"],
               _instances(session, rt, flt), [8, 18, 6, 20, 30, 8, 20, 10, 20, 20, 24, 6, 40])
        sla_cols = ["待办数", "逾期数", "最长逾期（天）", "已催办次数", "已升级"]
        _sheet(wb, "逾期-按单位", ["单位", *sla_cols],
               [[r["unit"], r["open"], r["overdue"], r["max_days_overdue"], r["reminders"], r["escalated"]] for r in oversight.sla_by_unit_rows(session)],
               [24, 10, 10, 14, 12, 10])
        _sheet(wb, "逾期-按个人", ["姓名", "账号", "单位", *sla_cols],
               [[r["name"], r["username"], r["unit"], r["open"], r["overdue"], r["max_days_overdue"], r["reminders"], r["escalated"]]
                for r in oversight.sla_by_person_rows(session, 1000)], [12, 14, 24, 10, 10, 14, 12, 10])
        reg = oversight.registry_rows(session, rt, owner_limit=1000)
        _sheet(wb, "群组-按单位", ["单位", "在册合计", *GROUP_KINDS.values(), *GROUP_STATUSES.values()],
               [[r["unit"], r["active"], *r["by_kind"].values(), *r["by_status"].values()] for r in reg["by_unit"]], [24, 10])
        _sheet(wb, "群组-按群主", ["姓名", "账号", "单位", "在册合计", *GROUP_KINDS.values(), *GROUP_STATUSES.values()],
               [[r["name"], r["username"], r["unit"], r["active"], *r["by_kind"].values(), *r["by_status"].values()] for r in reg["by_owner"]],
               [12, 14, 24, 10])
        _sheet(wb, "临时群逾期未解散", ["名称", "类别", "单位", "群主", "预计结束", "已超期（天）", "状态"],
               [[g["name"], g["kind_label"], g["unit"], g["owner"], g["expected_end"], g["days_past"], g["status_label"]]
                for g in reg["temporary_overdue"]], [30, 12, 24, 10, 12, 12, 10])
        _sheet(wb, "闲置公众号", ["名称", "类别", "单位", "负责人", "最近更新", "未更新（天）"],
               [[g["name"], g["kind_label"], g["unit"], g["owner"], g["last_update"] or "从未", g["idle_days"] if g["idle_days"] is not None else ""]
                for g in reg["idle_accounts"]], [30, 12, 24, 10, 12, 12])
        if reg["campaign"]:
            _sheet(wb, "清理整顿进度", ["单位", "当前阶段", "列出群组", "保留", "解散", "已确认解散", "整顿前数量", "逾期", "完成"],
                   [[p["unit_name"], p["stage"], p["listed"], p["keep"], p["dissolve"], p["dissolved_confirmed"], p["original_count"],
                     "是" if p["overdue"] else "", "是" if p["done"] else ""] for p in reg["campaign"]["items"]], [24, 24])
        open_incidents = session.execute(select(Incident, ProcessInstance.process_key).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
                                         .where(Incident.resolved_at.is_(None)).order_by(Incident.at.desc()).limit(EXPORT_MAX_ROWS)).all()
        _sheet(wb, "故障", ["实例", "流程", "步骤", "时间", "错误"],
               [[i.instance_id, key, i.element_id, _local(i.at, ZoneInfo(rt.calendar.tz)), i.error] for i, key in open_incidents], [8, 18, 20, 20, 60])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
