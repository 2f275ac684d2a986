"""The administrator's working-day calendar: overrides of chinese-calendar (``calendar_day`` rows).

An override says a date is (or is not) a working day, whatever chinese-calendar says: for years the library
does not know yet, or a school-specific closure. Use cases are admin-only; a change reloads this process's
calendar (:meth:`Runtime.reload_calendar`); other processes read the table when they start (the scheduler's
flows reload it on every run). Due dates already computed keep their value.
"""

from __future__ import annotations

import calendar as monthcal
from datetime import date
from typing import Any

import chinese_calendar
from sqlalchemy import select

from .. import clock
from ..db import unit_of_work
from ..errors import InvalidInput, NotFound
from ..models import AuditEvent, CalendarDay
from .people import require_admin
from .runtime import Runtime


def _source(rt: Runtime, day: date) -> str:
    if day in rt.calendar.overrides:
        return "override"
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return "weekday_fallback"
    return "chinese_calendar"


def list_overrides(rt: Runtime, username: str, year: int | None = None) -> dict[str, Any]:
    """The override rows (of ``year`` when given), oldest first."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_admin(session, username, "维护工作日历")
        query = select(CalendarDay).order_by(CalendarDay.day)
        if year is not None:
            query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        items = [{"day": r.day.isoformat(), "is_workday": r.is_workday, "note": r.note} for r in session.scalars(query)]
        return {"items": items, "total": len(items)}


def month_view(rt: Runtime, username: str, year: int, month: int) -> dict[str, Any]:
    """Every date of a month: working day or not, and why (override, chinese_calendar, weekday_fallback)."""
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise InvalidInput("年份或月份不正确")
    with unit_of_work(write=False, engine=rt.db) as session:
        require_admin(session, username, "维护工作日历")
    days = [date(year, month, d) for d in range(1, monthcal.monthrange(year, month)[1] + 1)]
    return {"year": year, "month": month,
            "days": [{"day": d.isoformat(), "is_workday": rt.calendar.is_workday(d), "source": _source(rt, d)} for d in days]}


def set_override(rt: Runtime, username: str, day: date, is_workday: bool, note: str = "") -> dict[str, Any]:
    """Create or change the override of ``day``; audited; reloads the calendar."""
    if len(note) > 100:
        raise InvalidInput("备注不能超过 100 个字")
    with unit_of_work(engine=rt.db) as session:
        actor = require_admin(session, username, "维护工作日历")
        row = session.get(CalendarDay, day)
        if row is None:
            row = CalendarDay(day=day, is_workday=is_workday, note=note)
            session.add(row)
        else:
            row.is_workday, row.note = is_workday, note
        session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=actor.id, who=actor.username, action="calendar_set",
                               details={"day": day.isoformat(), "is_workday": is_workday, "note": note}))
    rt.reload_calendar()
    return {"day": day.isoformat(), "is_workday": is_workday, "note": note}


def delete_override(rt: Runtime, username: str, day: date) -> None:
    """Remove the override of ``day`` (chinese-calendar decides again); audited; reloads the calendar."""
    with unit_of_work(engine=rt.db) as session:
        actor = require_admin(session, username, "维护工作日历")
        row = session.get(CalendarDay, day)
        if row is None:
            raise NotFound(f"{day.isoformat()} 没有日历调整")
        session.delete(row)
        session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=actor.id, who=actor.username, action="calendar_delete",
                               details={"day": day.isoformat()}))
    rt.reload_calendar()
