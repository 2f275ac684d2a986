"""Rosters (art. 11) and every path of the member exit."""

from __future__ import annotations

import pytest

from tests.process_flows import add_group, audit, do, escalated_tasks, fire_after, notified, open_elements, view
from workflows.errors import Forbidden, InvalidInput
from workflows.services import instances
from workflows.services.registry import record_roster, roster


def test_roster_is_recorded_by_the_owner_and_checked(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    assert record_roster(rt, "staff_cs", gid, ["staff_cs2", "stats_cs", "staff_cs2"])["total"] == 2
    assert [m["username"] for m in roster(rt, "head_cs", gid)["items"]] == ["staff_cs2", "stats_cs"]
    with pytest.raises(InvalidInput, match="nobody"):
        record_roster(rt, "staff_cs", gid, ["nobody"])
    with pytest.raises(Forbidden):
        record_roster(rt, "staff_me", gid, ["staff_me"])


def test_reported_member_is_removed_by_the_owner(rt):
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    record_roster(rt, "staff_cs", gid, ["staff_cs2", "stats_cs"])
    iid = instances.start_process(rt, "member_exit", "head_cs", {"group_name": "计算机工程学院教学通知群",
                                                               "member_username": "staff_cs2", "reason": "transfer"})
    assert open_elements(rt, iid) == ["remove_member"]
    assert view(rt, iid)["tasks"][0]["assignee"] == "staff_cs"
    done = do(rt, "staff_cs", "remove_member", {"result": "removed", "removed_on": "2026-11-26"})
    assert done["status"] == "completed" and done["data"]["member_removed"] is True
    assert [m["username"] for m in roster(rt, "staff_cs", gid)["items"]] == ["stats_cs"]


def test_wrong_report_goes_back_then_not_a_member(sqlite_rt):
    rt = sqlite_rt
    add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = instances.start_process(rt, "member_exit", "stats_cs", {"group_name": "计算机工程学院教学通知群",
                                                                "member_username": "staff_cs", "reason": "transfer"})
    assert open_elements(rt, iid) == ["apply"] and "请改为办理群主变更" in view(rt, iid)["data"]["exit_error"]
    do(rt, "stats_cs", "apply", {"group_name": "计算机工程学院教学通知群", "member_username": "ghost", "reason": "other"})
    assert "ghost" in view(rt, iid)["data"]["exit_error"]
    do(rt, "stats_cs", "apply", {"group_name": "计算机工程学院教学通知群", "member_username": "staff_cs2", "reason": "departure"})
    done = do(rt, "staff_cs", "remove_member", {"result": "not_member", "opinion": "未曾入群"})
    assert done["status"] == "completed" and done["data"]["member_removed"] is False


def test_both_tasks_escalate_to_the_unit_head(sqlite_rt):
    rt = sqlite_rt
    add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = instances.start_process(rt, "member_exit", "stats_cs", {})
    fire_after(rt, 10)
    do(rt, "stats_cs", "apply", {"group_name": "计算机工程学院教学通知群", "member_username": "staff_cs2", "reason": "departure"})
    fire_after(rt, 10)
    assert [e["to"] for e in audit(rt, iid, "escalation")] == ["unit_head", "unit_head"]
    assert escalated_tasks(rt, iid) == {"apply": (1, True), "remove_member": (1, True)}
    assert notified(rt, "staff_cs", "reminder", iid) and len(notified(rt, "head_cs", "escalation", iid)) == 2
    assert do(rt, "staff_cs", "remove_member", {"result": "removed", "removed_on": "2026-12-10"})["status"] == "completed"
