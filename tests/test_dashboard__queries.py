"""Dashboard read use cases: instance search and filters, tokens per element, overdue by unit and person."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from tests.diagram_edits import reference, set_timer
from tests.flaky import FLAKY, deploy_flaky
from tests.flows import act, apply
from workflows.errors import Forbidden, InvalidInput
from workflows.services import dashboard, instances, modeler, oversight, timers
from workflows.services.dashboard import InstanceFilter

APPROVE = {"decision": "approve", "opinion": "同意"}
MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


def ids(result):
    return [i["id"] for i in result["items"]]


def seed(rt):
    """Five instances over three days, two units, two versions, one rejected, one failed."""
    with time_machine.travel(MONDAY, tick=False) as t:
        a = apply(rt)                                   # cs, v1, waits for head_cs
        t.move_to(MONDAY + timedelta(days=1))
        b = apply(rt, "staff_me", group_name="机械学院实验室安全群")  # me, v1
        act(rt, "head_me", "unit_head_review", APPROVE)    # -> party_org_review
        modeler.deploy(rt, "admin", "group_approval", set_timer(reference(), "unit_head_review_remind_timer", "P1WD"))
        t.move_to(MONDAY + timedelta(days=2))
        c = apply(rt, "staff_cs2", group_name="计算机学院党员学习群")  # cs, v2
        d = apply(rt, "staff_cs2", group_name="计算机学院临时会务群")
        act(rt, "head_cs", "unit_head_review", {"decision": "reject", "opinion": "与现有群重复"})  # rejects a (oldest first)
        deploy_flaky(rt)
        FLAKY.fail = True
        e = instances.start_process(rt, "test_flaky", "staff_me", {})
    return rt, dict(a=a, b=b, c=c, d=d, e=e)


@pytest.fixture
def spread(sqlite_rt):
    return seed(sqlite_rt)


@pytest.fixture
def spread_any(rt):
    """The same on SQLite and PostgreSQL (the filters and the overdue arithmetic are SQL)."""
    return seed(rt)


def test_filters(spread_any):
    rt, i = spread_any
    everything = dashboard.search_instances(rt, "admin")
    assert everything["total"] == 5 and ids(everything) == [i["e"], i["d"], i["c"], i["b"], i["a"]]
    search = lambda **kw: ids(dashboard.search_instances(rt, "discipline", InstanceFilter(**kw)))  # noqa: E731
    assert search(process="test_flaky") == [i["e"]]
    assert search(process="group_approval", version=2) == [i["d"], i["c"]]
    cs = everything["items"][-1]["unit"]
    assert cs == "计算机工程学院"
    opts = dashboard.filter_options(rt, "admin")
    unit_id = {u["name"]: u["id"] for u in opts["units"]}["机械工程学院"]
    assert search(unit_id=unit_id) == [i["e"], i["b"]]
    assert search(status="rejected") == [i["a"]]
    assert search(status="error") == [i["e"]]
    assert search(started_by="staff_cs2") == [i["d"], i["c"]]
    assert search(started_by="赵老师") == [i["d"], i["c"]]
    assert search(started_by="nobody") == []
    assert search(started_from=date(2026, 6, 2), started_to=date(2026, 6, 2)) == [i["b"]]
    assert search(started_from=date(2026, 6, 2)) == [i["e"], i["d"], i["c"], i["b"]]
    assert search(instance_id=i["c"]) == [i["c"]]
    page = dashboard.search_instances(rt, "admin", InstanceFilter(), limit=2, offset=2)
    assert page["total"] == 5 and ids(page) == [i["c"], i["b"]]
    with pytest.raises(InvalidInput):
        search(status="lost")
    with pytest.raises(Forbidden):
        dashboard.search_instances(rt, "staff_cs")
    row = everything["items"][0]
    assert row["status_label"] == "故障" and row["started_by"] == "孙老师" and "外部登记系统无响应" in row["error"]
    assert {p["key"]: p["versions"] for p in opts["processes"]}["group_approval"] == [1, 2]


def test_overdue_filter_and_sla(spread_any):
    rt, i = spread_any
    # due dates: b's party_org_review and c/d's unit_head_review are 3 working days after they were created
    with time_machine.travel(MONDAY + timedelta(days=3, hours=12), tick=False):  # Thursday 21:00
        assert ids(dashboard.search_instances(rt, "admin", InstanceFilter(overdue=True))) == []
    with time_machine.travel(MONDAY + timedelta(days=8, hours=1), tick=False):  # Tuesday 9 June, 10:00
        timers.fire_due_timers(rt)
        overdue = dashboard.search_instances(rt, "admin", InstanceFilter(overdue=True))
        assert ids(overdue) == [i["d"], i["c"], i["b"]]
        assert all(r["overdue"] and r["tasks"][0]["overdue"] for r in overdue["items"])
        sla = oversight.sla(rt, "discipline")
        units = {u["unit"]: u for u in sla["by_unit"]}
        assert units["计算机工程学院"]["open"] == 2 and units["计算机工程学院"]["overdue"] == 2
        # c and d: created Wednesday 09:00, due 3 working days later (Monday 8 June 09:00): 1 day and 1 hour ago
        assert units["计算机工程学院"]["max_days_overdue"] == pytest.approx(1.0, abs=0.05)
        assert units["计算机工程学院"]["reminders"] == 2 and units["计算机工程学院"]["escalated"] == 2
        assert units["机械工程学院"]["overdue"] == 1  # b: due Friday 5 June 09:00
        assert units["机械工程学院"]["max_days_overdue"] == pytest.approx(4.0, abs=0.05)
        people = {p["username"]: p for p in sla["by_person"]}
        assert people["head_cs"]["open"] == 2 and people["head_cs"]["overdue"] == 2
        assert people["party_me"]["overdue"] == 1 and "head_me" not in people
        assert sla["by_unit"][0]["unit"] == "计算机工程学院"  # most overdue first
        tasks = oversight.overdue_tasks(rt, "admin", person_id=people["head_cs"]["person_id"])
        assert tasks["total"] == 2 and tasks["items"][0]["who"] == "单位(部门)负责人"
        assert tasks["items"][0]["days_overdue"] == pytest.approx(1.0, abs=0.05)
        unit_tasks = oversight.overdue_tasks(rt, "admin", unit_id=units["机械工程学院"]["unit_id"])
        assert [t["instance_id"] for t in unit_tasks["items"]] == [i["b"]]


def test_counts_per_element(spread):
    rt, i = spread
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        all_versions = dashboard.element_counts(rt, "admin", "group_approval")
    assert all_versions["counts"] == {"unit_head_review": {"open": 2, "overdue": 0, "error": 0},
                                      "party_org_review": {"open": 1, "overdue": 0, "error": 0}}
    assert all_versions["diagram_version"] == 2 and all_versions["versions"] == [1, 2]
    v1 = dashboard.element_counts(rt, "admin", "group_approval", 1)
    assert v1["counts"] == {"party_org_review": {"open": 1, "overdue": 1, "error": 0}} and "P2WD" in v1["xml"]  # today: long overdue
    assert dashboard.element_counts(rt, "admin", "test_flaky")["counts"] == {"flaky": {"open": 0, "overdue": 0, "error": 1}}


def test_instance_detail_shows_tokens(spread):
    rt, i = spread
    detail = dashboard.instance_detail(rt, "admin", i["b"])
    assert detail["current"] == ["party_org_review", "party_org_review_escalate_timer", "party_org_review_remind_timer"]
    assert {"start", "apply", "unit_head_review"} <= set(detail["completed"])
    failed = dashboard.instance_detail(rt, "admin", i["e"])
    assert failed["status"] == "error" and failed["current"] == ["flaky"] and failed["incidents"][0]["element"] == "flaky"
    with pytest.raises(Forbidden):
        dashboard.instance_detail(rt, "staff_me", i["b"])


def test_overview_and_timings(spread):
    rt, i = spread
    over = dashboard.overview(rt, "admin")
    assert over["instances"] == {"running": 3, "completed": 0, "rejected": 1, "terminated": 0, "error": 1}
    assert over["open_tasks"] == 3 and over["open_incidents"] == 1
    timings = dashboard.dashboard_page_timings(rt)
    assert {"admin_overview", "admin_instances", "admin_instances_overdue", "admin_element_counts", "admin_sla",
            "admin_registry", "admin_incidents"} <= timings.keys()
    assert all(isinstance(v, float) and v >= 0 for v in timings.values())
