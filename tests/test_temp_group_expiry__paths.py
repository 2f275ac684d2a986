"""Temporary groups (art. 6): registration within the limits, and every path of their expiry process."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.process_flows import audit, do, escalated_tasks, fire_after, group, instances_of, notified, open_elements, view
from workflows.errors import InvalidInput
from workflows.services import instances
from workflows.services.periodic import start_ended_temp_groups
from workflows.services.registry import register_temp_group, today

TEMP = {"group_name": "2026年迎新志愿者临时群", "group_kind": "wechat_group", "function": "迎新报到当天的志愿者调度",
        "member_scope": "学院迎新志愿者", "member_count": 30}


def register(rt, days=3, **changes):
    return register_temp_group(rt, "staff_cs", {**TEMP, "expected_end": (today(rt) + timedelta(days=days)).isoformat(), **changes})


def test_registration_limits_tell_the_user_to_apply_normally(sqlite_rt):
    rt = sqlite_rt
    with pytest.raises(InvalidInput, match="请按常规程序申请新建工作群组审批") as too_many:
        register(rt, member_count=rt.settings.temp_group_max_members + 1)
    assert too_many.value.errors[0].field == "member_count"
    with pytest.raises(InvalidInput, match="不超过 90 天") as too_long:
        register(rt, days=rt.settings.temp_group_max_days + 1)
    assert too_long.value.errors[0].field == "expected_end"
    with pytest.raises(InvalidInput, match="工作群名称"):
        register(rt, group_name="")
    g = register(rt)
    assert (g["temporary"], g["group_status"], g["owner_username"]) == (True, "filed", "staff_cs")


def test_periodic_start_once_then_owner_dissolves(rt):
    g = register(rt, days=3)
    assert start_ended_temp_groups(rt, today(rt) + timedelta(days=2)) == []
    lines = start_ended_temp_groups(rt, today(rt) + timedelta(days=3))
    assert len(lines) == 1 and "2026年迎新志愿者临时群" in lines[0]
    assert start_ended_temp_groups(rt, today(rt) + timedelta(days=4)) == []
    [inst] = instances_of(rt, "temp_group_expiry")
    assert open_elements(rt, inst.id) == ["confirm_dissolve"] and group(rt, g["group_id"]).status == "dissolving"
    done = do(rt, "staff_cs", "confirm_dissolve", {"action": "dissolved", "dissolved_on": "2026-11-27"})
    assert done["status"] == "completed"
    after = group(rt, g["group_id"])
    assert after.status == "dissolved" and after.details["dissolved_on"] == "2026-11-27" and after.dissolved_at is not None


def test_owner_reports_the_end_by_hand(sqlite_rt):
    rt = sqlite_rt
    g = register(rt, days=20)
    iid = instances.start_process(rt, "temp_group_expiry", "staff_cs", {"group_name": "2026年迎新志愿者临时群", "note": "迎新已结束"})
    assert open_elements(rt, iid) == ["confirm_dissolve"]
    do(rt, "staff_cs", "confirm_dissolve", {"action": "dissolved", "dissolved_on": date.today().isoformat()})
    assert group(rt, g["group_id"]).status == "dissolved"
    assert start_ended_temp_groups(rt, today(rt) + timedelta(days=30)) == []


def test_unknown_or_permanent_group_goes_back_to_the_report(sqlite_rt):
    rt = sqlite_rt
    from tests.process_flows import add_group

    add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = instances.start_process(rt, "temp_group_expiry", "staff_cs", {"group_name": "计算机工程学院教学通知群"})
    assert open_elements(rt, iid) == ["report_end"] and "不是临时工作群组" in view(rt, iid)["data"]["group_error"]
    register(rt)
    do(rt, "staff_cs", "report_end", {"group_name": "2026年迎新志愿者临时群"})
    assert open_elements(rt, iid) == ["confirm_dissolve"]


def test_extension_within_the_limit_then_periodic_again(sqlite_rt):
    rt = sqlite_rt
    g = register(rt, days=0)
    start_ended_temp_groups(rt)
    [inst] = instances_of(rt, "temp_group_expiry")
    new_end = (today(rt) + timedelta(days=200)).isoformat()
    do(rt, "staff_cs", "confirm_dissolve", {"action": "extend", "new_end_date": new_end, "opinion": "志愿服务延长"})
    assert open_elements(rt, inst.id) == ["confirm_dissolve"] and "最长 90 天" in view(rt, inst.id)["data"]["extend_error"]
    new_end = (today(rt) + timedelta(days=10)).isoformat()
    done = do(rt, "staff_cs", "confirm_dissolve", {"action": "extend", "new_end_date": new_end, "opinion": "志愿服务延长"})
    assert done["status"] == "completed"
    after = group(rt, g["group_id"])
    assert after.status == "filed" and after.expected_end.isoformat() == new_end
    assert start_ended_temp_groups(rt, today(rt) + timedelta(days=9)) == []
    assert len(start_ended_temp_groups(rt, today(rt) + timedelta(days=10))) == 1


def test_overdue_dissolution_moves_to_the_unit_head_who_is_escalated_too(sqlite_rt):
    rt = sqlite_rt
    g = register(rt, days=0)
    start_ended_temp_groups(rt)
    [inst] = instances_of(rt, "temp_group_expiry")
    fire_after(rt, 5)  # after 3 working days: a reminder, the task stays with the owner
    assert notified(rt, "staff_cs", "reminder", inst.id) and open_elements(rt, inst.id) == ["confirm_dissolve"]
    fire_after(rt, 9)  # after 5 working days: overdue, the unit head takes over
    assert open_elements(rt, inst.id) == ["unit_head_dissolve"]
    assert notified(rt, "head_cs", "escalation", inst.id) and notified(rt, "staff_cs", "escalation", inst.id)
    fire_after(rt, 20)
    assert notified(rt, "party_cs", "escalation", inst.id)
    assert escalated_tasks(rt, inst.id) == {"confirm_dissolve": (1, True), "unit_head_dissolve": (1, True)}
    done = do(rt, "head_cs", "unit_head_dissolve", {"action": "dissolved", "dissolved_on": date.today().isoformat()})
    assert done["status"] == "completed" and group(rt, g["group_id"]).status == "dissolved"


def test_report_task_is_reminded_and_escalated(sqlite_rt):
    rt = sqlite_rt
    iid = instances.start_process(rt, "temp_group_expiry", "staff_cs", {})
    assert open_elements(rt, iid) == ["report_end"]
    fire_after(rt, 10)
    assert [e["to"] for e in audit(rt, iid, "escalation")] == ["unit_head"] and notified(rt, "head_cs", "escalation", iid)
