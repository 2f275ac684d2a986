"""Working days: Chinese holidays and make-up workdays (调休), the administrator's override table, and the
Monday-Friday fallback (with a logged warning) for years chinese-calendar does not know."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient

from workflows.api.app import create_app
from workflows.errors import Forbidden
from workflows.services import workday_calendar
from workflows.workdays import WorkCalendar

UTC = timezone.utc


def test_national_day_holiday_and_make_up_saturday():
    cal = WorkCalendar()
    assert not cal.is_workday(date(2024, 10, 1))  # 国庆节
    assert cal.is_workday(date(2024, 9, 29))      # Sunday, make-up workday (调休上班)
    assert cal.is_workday(date(2024, 10, 12))     # Saturday, make-up workday
    # Monday 30 Sep 09:00 Beijing + 3 working days: 8, 9, 10 October
    start = datetime(2024, 9, 30, 1, 0, tzinfo=UTC)
    assert cal.add_workdays(start, 3) == datetime(2024, 10, 10, 1, 0, tzinfo=UTC)
    assert cal.due("P3WD", start) == cal.due("3个工作日", start)


def test_unknown_year_falls_back_to_weekdays_with_one_warning(caplog):
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="workflows.workdays"):
        assert cal.is_workday(date(2099, 1, 2))       # a Friday
        assert not cal.is_workday(date(2099, 1, 3))   # a Saturday
        due = cal.add_workdays(datetime(2099, 1, 2, 1, 0, tzinfo=UTC), 1)
    assert due == datetime(2099, 1, 5, 1, 0, tzinfo=UTC)  # Monday
    warnings = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(warnings) == 1 and "Monday-Friday" in warnings[0].getMessage()


def test_override_table_decides_before_the_library(sqlite_rt):
    rt = sqlite_rt
    new_year = date(2027, 1, 1)  # a Friday in a year chinese-calendar 1.11 does not know
    assert rt.calendar.is_workday(new_year)
    assert workday_calendar.month_view(rt, "admin", 2027, 1)["days"][0]["source"] == "weekday_fallback"
    workday_calendar.set_override(rt, "admin", new_year, False, "元旦")
    workday_calendar.set_override(rt, "admin", date(2026, 10, 9), False, "校庆放假")  # overrides a known year too
    assert not rt.calendar.is_workday(new_year) and not rt.calendar.is_workday(date(2026, 10, 9))
    # Thursday 31 Dec 2026 + 1 working day skips the overridden New Year's Day: Monday 4 Jan 2027
    assert rt.calendar.add_workdays(datetime(2026, 12, 31, 1, 0, tzinfo=UTC), 1) == datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    listed = workday_calendar.list_overrides(rt, "admin", 2027)["items"]
    assert listed == [{"day": "2027-01-01", "is_workday": False, "note": "元旦"}]
    assert workday_calendar.month_view(rt, "admin", 2027, 1)["days"][0] == {"day": "2027-01-01", "is_workday": False, "source": "override"}
    workday_calendar.delete_override(rt, "admin", new_year)
    assert rt.calendar.is_workday(new_year)
    with pytest.raises(Forbidden):
        workday_calendar.set_override(rt, "staff_cs", new_year, False)


def test_calendar_api_is_for_administrators_only(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as client:
        def token(username: str) -> dict[str, str]:
            r = client.post("/api/auth/token", data={"username": username, "password": "demo"})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        body = {"is_workday": True, "note": "调休上班"}
        assert client.put("/api/admin/calendar/2027-02-06", json=body, headers=token("head_cs")).status_code == 403
        admin = token("admin")
        r = client.put("/api/admin/calendar/2027-02-06", json=body, headers=admin)
        assert r.status_code == 200 and r.json() == {"day": "2027-02-06", **body}
        assert sqlite_rt.calendar.is_workday(date(2027, 2, 6))  # a Saturday, now a working day
        assert client.get("/api/admin/calendar?year=2027", headers=admin).json()["total"] == 1
        assert client.put("/api/admin/calendar/2027-02-30", json=body, headers=admin).status_code == 422
        assert client.delete("/api/admin/calendar/2027-02-06", headers=admin).status_code == 204
        assert client.delete("/api/admin/calendar/2027-02-06", headers=admin).status_code == 404
