"""Working days in the Chinese calendar, and the timer expressions diagrams may use.

Timer expressions (what a process owner types in a modeler, quoted or not):

* ISO 8601 durations ``P3D``, ``PT4H``, ``P1W``;
* working days ``P3WD`` or ``3工作日`` / ``3个工作日`` — public holidays and make-up workdays (调休) follow
  chinese-calendar, overridden by the administrator-editable ``calendar_day`` table;
* ISO 8601 date-times for ``timeDate``, and ``R<n>/<duration>`` cycles for ``timeCycle``.

A date past the years chinese-calendar knows falls back to Monday-Friday with a logged warning, never a crash.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_WORKDAYS = re.compile(r"^(?:P(\d+)WD|(\d+)\s*个?工作日)$")
_CYCLE = re.compile(r"^R(\d*)/(P.+)$")


class TimerExpressionError(ValueError):
    """A timer expression that cannot be understood; the message is Chinese."""


@dataclass(frozen=True)
class TimerExpression:
    """A parsed timer: ``kind`` is duration, workdays, date or cycle."""

    kind: str
    text: str
    workdays: int = 0
    at: datetime | None = None


def parse_timer(expression: str) -> TimerExpression:
    """Parse what a diagram's timer says; raises :class:`TimerExpressionError` with a Chinese message."""
    text = (expression or "").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    if not text:
        raise TimerExpressionError("定时器没有设置时间表达式")
    upper = text.upper()
    if m := _WORKDAYS.match(upper if upper.startswith("P") else text):
        return TimerExpression("workdays", text, workdays=int(m.group(1) or m.group(2)))
    if _ISO_DURATION.match(upper):
        return TimerExpression("duration", upper)
    if m := _CYCLE.match(upper):
        if not _ISO_DURATION.match(m.group(2)):
            raise TimerExpressionError(f"循环定时器中的间隔 {m.group(2)} 不是 ISO 8601 时长")
        return TimerExpression("cycle", upper)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise TimerExpressionError(
            f"无法识别的定时器表达式「{text}」：请写 ISO 8601 时长（如 P3D、PT4H）、工作日（如 P3WD 或 3工作日）或日期时间"
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return TimerExpression("date", text, at=at)


@dataclass
class WorkCalendar:
    """Decides working days: overrides first, then chinese-calendar, then Monday-Friday."""

    overrides: dict[date, bool] = field(default_factory=dict)
    tz: str = "Asia/Shanghai"
    _warned_years: set[int] = field(default_factory=set)
    # chinese-calendar's answer per day, remembered (its data is fixed; overrides are checked first)
    _known: dict[date, bool] = field(default_factory=dict, repr=False)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._from_chinese_calendar(day)
        return known

    def _from_chinese_calendar(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning("chinese-calendar has no data for %s; counting Monday-Friday as working days "
                            "(add holidays to the calendar override table)", day.year)
            return day.weekday() < 5

    def add_workdays(self, start: datetime, days: int) -> datetime:
        """``start`` plus ``days`` working days, at the same local time of day."""
        local = start.astimezone(ZoneInfo(self.tz))
        current = local.date()
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_workday(current):
                counted += 1
        result = datetime.combine(current, local.timetz())
        return result.astimezone(timezone.utc)

    def due(self, expression: str, start: datetime) -> datetime:
        """When a timer armed at ``start`` comes due (cycles: its first occurrence)."""
        timer = parse_timer(expression)
        if timer.kind == "workdays":
            return self.add_workdays(start, timer.workdays)
        if timer.kind == "date":
            assert timer.at is not None
            return timer.at.astimezone(timezone.utc)
        text = timer.text.split("/", 1)[1] if timer.kind == "cycle" else timer.text
        return start + iso_duration(text)


def iso_duration(text: str) -> timedelta:
    """An ISO 8601 duration as a timedelta (years as 365 days, months as 30: only for due-date estimates)."""
    m = _ISO_DURATION.match(text.upper())
    if not m:
        raise TimerExpressionError(f"{text} 不是 ISO 8601 时长")
    y, mo, w, d, _, h, mi, s, _ = m.groups()
    num = lambda g: float(g[:-1]) if g else 0.0  # noqa: E731
    return timedelta(days=num(y) * 365 + num(mo) * 30 + num(w) * 7 + num(d), hours=num(h), minutes=num(mi), seconds=num(s))
