"""Reminder and escalation boundary timers of the group approval, with time moved by time-machine."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import select

from tests.flows import act, apply, open_task
from workflows.db import unit_of_work
from workflows.models import HumanTask, Notification, Person, TimerDue
from workflows.services import timers

# A Monday with no holiday around it: working days are plain weekdays here.
MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)


def notes(rt, username: str, kind: str) -> list[str]:
    with unit_of_work(write=False, engine=rt.db) as s:
        pid = s.scalar(select(Person.id).where(Person.username == username))
        return list(s.scalars(select(Notification.title).where(Notification.person_id == pid, Notification.kind == kind)))


def test_reminder_then_escalation_when_the_due_date_passes(rt):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        apply(rt)
        task = open_task(rt, "head_cs", "unit_head_review")
        assert task["due"].startswith("2026-06-04")  # 3 working days
        assert timers.fire_due_timers(rt) == 0
        traveller.move_to(MONDAY + timedelta(days=2, minutes=1))  # Wednesday: 2 working days passed
        assert timers.fire_due_timers(rt) == 1
        assert len(notes(rt, "head_cs", "reminder")) == 1
        assert notes(rt, "party_cs", "escalation") == []
        assert timers.fire_due_timers(rt) == 0  # nothing fires twice
        traveller.move_to(MONDAY + timedelta(days=3, minutes=1))
        assert timers.fire_due_timers(rt) == 1
        assert len(notes(rt, "party_cs", "escalation")) == 1
        assert len(notes(rt, "head_cs", "escalation")) == 1
        with unit_of_work(write=False, engine=rt.db) as s:
            row = s.get(HumanTask, task["id"])
            assert row.state == "open" and row.escalated and row.reminders_sent == 1
        inst = act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "补办"})
        assert [t["element"] for t in inst["tasks"]] == ["party_org_review"]
        assert {h["action"] for h in inst["history"]} >= {"reminder", "escalation", "timer"}


def test_weekend_and_holiday_do_not_count(sqlite_rt):
    # 2026-09-30 (Wed) + 3 working days skips the National Day holiday (Oct 1-7) and lands on the make-up Saturday Oct 10
    with time_machine.travel(datetime(2026, 9, 30, 1, 0, tzinfo=timezone.utc), tick=False):
        apply(sqlite_rt)
        assert open_task(sqlite_rt, "head_cs", "unit_head_review")["due"].startswith("2026-10-10")


def test_timer_index_follows_the_instance(sqlite_rt):
    with time_machine.travel(MONDAY, tick=False):
        iid = apply(sqlite_rt)
        with unit_of_work(write=False, engine=sqlite_rt.db) as s:
            due = s.get(TimerDue, iid).due_at
        assert due == MONDAY + timedelta(days=2)
        act(sqlite_rt, "head_cs", "unit_head_review", {"decision": "reject", "opinion": "不同意"})
        with unit_of_work(write=False, engine=sqlite_rt.db) as s:
            assert s.get(TimerDue, iid) is None
