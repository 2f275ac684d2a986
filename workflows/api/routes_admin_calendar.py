"""Administrators: the working-day calendar overrides (节假日 / 调休)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..services import workday_calendar
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


class CalendarDayBody(BaseModel):
    is_workday: bool = Field(description="这一天是否为工作日")
    note: str = Field("", max_length=100, description="说明，例如「2031年国庆节」「调休上班」")


@router.get("/calendar")
def list_calendar(rt: RuntimeDep, user: CurrentUser, year: int | None = None) -> dict[str, Any]:
    """The administrator's overrides of the Chinese working-day calendar."""
    return workday_calendar.list_overrides(rt, user, year)


@router.get("/calendar/{year}/{month}")
def calendar_month(rt: RuntimeDep, user: CurrentUser, year: int, month: int) -> dict[str, Any]:
    """Every date of a month: working day or not, and which source decided."""
    return workday_calendar.month_view(rt, user, year, month)


@router.put("/calendar/{day}")
def set_calendar_day(rt: RuntimeDep, user: CurrentUser, day: dt.date, body: CalendarDayBody) -> dict[str, Any]:
    """Mark ``day`` (YYYY-MM-DD) as a working day or a day off."""
    return workday_calendar.set_override(rt, user, day, body.is_workday, body.note)


@router.delete("/calendar/{day}", status_code=204)
def delete_calendar_day(rt: RuntimeDep, user: CurrentUser, day: dt.date) -> None:
    """Remove the override: chinese-calendar (or Monday-Friday) decides again."""
    workday_calendar.delete_override(rt, user, day)
