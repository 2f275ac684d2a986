"""The art. 7 cleanup campaign and every path of a unit's part (list, sign, re-file, dissolve and confirm)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.process_flows import add_group, audit, days_later, do, document_text, documents, escalated_tasks, filings, fire_after, group, notified, open_elements, view
from workflows import clock
from workflows.db import unit_of_work
from workflows.errors import Forbidden, InvalidImport, InvalidInput
from workflows.models import ProcessInstance
from workflows.services import instances
from workflows.services.campaign import campaign_progress, submit_group_sheet, sweep_deadlines
from workflows.services.registry import today
from workflows.services.runtime import build_runtime
from workflows.services.system_starts import complete_as_system

SIGN = {"decision": "approve", "opinion": "同意"}


def launch(rt, units="计算机工程学院", days=20):
    deadline = (today(rt) + timedelta(days=days)).isoformat()
    return instances.start_process(rt, "cleanup_refiling", "admin", {"campaign_name": "2026年工作群组清理规范", "deadline": deadline,
                                                                     "unit_names": units, "notice": "按第七条清理"})


def entry(name, owner, action="keep", **more):
    return {"group_name": name, "group_kind": "微信工作群", "owner": owner, "member_scope": "学院教师", "member_count": 40,
            "function": "教学通知", "posting_rules": "只发工作通知" if action == "keep" else "", "action": "保留" if action == "keep" else "解散",
            "retention_basis": "常规教学工作需要" if action == "keep" else "", **more}


def part_of(rt, campaign_id, unit="计算机工程学院"):
    return next(p["instance_id"] for p in view(rt, campaign_id)["data"]["parts"] if p["unit_name"] == unit)


def test_campaign_refiles_kept_groups_and_has_dissolved_ones_confirmed(rt):
    kept = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    cid = launch(rt)
    assert open_elements(rt, cid) == ["track_campaign"]
    pid = part_of(rt, cid)
    assert [g["group_name"] for g in view(rt, pid)["data"]["existing_groups"]] == ["计算机工程学院教学通知群"]
    progress = campaign_progress(rt, "admin", cid)
    assert (progress["units_total"], progress["units_done"], progress["items"][0]["stage"]) == (1, 0, "填报工作群组清单")
    groups = [entry("计算机工程学院教学通知群", "staff_cs", group_id=kept), entry("2019级辅导员群", "赵老师", "dissolve"),
              entry("学院闲聊群", "staff_cs", "dissolve")]
    do(rt, "stats_cs", "list_groups", {"group_list": json.dumps(groups, ensure_ascii=False), "original_count": 5})
    assert open_elements(rt, pid) == ["unit_head_sign"]
    do(rt, "head_cs", "unit_head_sign", SIGN)
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    assert open_elements(rt, pid) == ["confirm_dissolve", "confirm_dissolve"]
    assert group(rt, kept).status == "filed" and filings(rt, kept) == ["清理规范后重新统一备案（第七条）"]
    data = view(rt, pid)["data"]
    dissolving = {i["group_name"]: i["group_id"] for i in data["dissolve_items"]}
    assert all(group(rt, gid).status == "dissolving" for gid in dissolving.values())
    assert [d[:2] for d in documents(rt, pid)] == [("att3", "工作群组备案登记表-计算机工程学院.docx")]
    att3 = document_text(rt, pid, "att3")
    assert "计算机工程学院教学通知群" in att3 and "常规教学工作需要" in att3 and "学院闲聊群" not in att3
    assert "周统计" in att3 and "张院长" in att3 and "刘书记" in att3  # statistician, unit head, Party secretary
    assert campaign_progress(rt, "admin", cid)["items"][0]["stage"] == "解散工作群组并确认"
    do(rt, "staff_cs2", "confirm_dissolve", {"dissolved_on": "2026-11-30", "opinion": "已解散"})
    assert group(rt, dissolving["2019级辅导员群"]).status == "dissolved"
    assert view(rt, cid)["status"] == "running"
    do(rt, "staff_cs", "confirm_dissolve", {"dissolved_on": "2026-11-30"})
    assert view(rt, pid)["status"] == "completed"
    campaign = view(rt, cid)
    assert campaign["status"] == "completed" and campaign["tasks"] == []
    totals = campaign["data"]["report"]["totals"]
    assert (totals["original_count"], totals["keep"], totals["dissolve"], totals["dissolved_confirmed"]) == (5, 1, 2, 2)
    assert [d[0] for d in documents(rt, cid)] == ["report"]
    assert [i["dissolved_on"] for i in view(rt, pid)["data"]["dissolve_items"]] == ["2026-11-30", "2026-11-30"]


def test_list_problems_and_returns_go_back_to_the_statistician(sqlite_rt):
    rt = sqlite_rt
    cid = launch(rt)
    pid = part_of(rt, cid)
    do(rt, "stats_cs", "list_groups", {"group_list": "[{", "original_count": 1})
    assert open_elements(rt, pid) == ["list_groups"] and "JSON" in view(rt, pid)["data"]["list_error"]
    bad = [entry("教学群", "staff_cs", retention_basis=""), entry("旧群", "查无此人", "dissolve"), {"group_name": "教学群", "action": "留着"}]
    do(rt, "stats_cs", "list_groups", {"group_list": json.dumps(bad, ensure_ascii=False), "original_count": 3})
    error = view(rt, pid)["data"]["list_error"]
    assert "须填写保留依据" in error and "找不到群主" in error and "重名" in error and "处理意见" in error
    good = json.dumps([entry("教学群", "staff_cs")], ensure_ascii=False)
    do(rt, "stats_cs", "list_groups", {"group_list": good, "original_count": 1})
    do(rt, "head_cs", "unit_head_sign", {"decision": "return", "opinion": "漏报了学生工作群"})
    assert open_elements(rt, pid) == ["list_groups"]
    do(rt, "stats_cs", "list_groups", {"group_list": good, "original_count": 2})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    do(rt, "secretary_cs", "secretary_sign", {"decision": "return", "opinion": "原有数量与台账不符"})
    assert open_elements(rt, pid) == ["list_groups"]
    do(rt, "stats_cs", "list_groups", {"group_list": good, "original_count": 1})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    assert view(rt, pid)["status"] == "completed" and view(rt, cid)["status"] == "completed"
    assert [h["decision"] for h in view(rt, pid)["history"] if h["decision"]] == ["return", "approve", "return", "approve", "approve"]
    [kept] = view(rt, pid)["data"]["groups"]
    assert group(rt, kept_id(rt, "教学群")).status == "filed" and kept["owner_username"] == "staff_cs"


def test_a_refused_signature_sends_the_list_back_recorded_as_a_rejection(sqlite_rt):
    """不同意 by the unit head or the Party secretary: the list is refused, the part goes on (art. 7 is compulsory)."""
    rt = sqlite_rt
    cid = launch(rt)
    pid = part_of(rt, cid)
    good = json.dumps([entry("教学群", "staff_cs")], ensure_ascii=False)
    do(rt, "stats_cs", "list_groups", {"group_list": good, "original_count": 1})
    with pytest.raises(InvalidInput):  # a refusal needs its reason
        do(rt, "head_cs", "unit_head_sign", {"decision": "reject"})
    inst = do(rt, "head_cs", "unit_head_sign", {"decision": "reject", "opinion": "保留依据不充分，请重新清理"})
    assert inst["status"] == "running" and open_elements(rt, pid) == ["list_groups"]
    do(rt, "stats_cs", "list_groups", {"group_list": good, "original_count": 1})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    inst = do(rt, "secretary_cs", "secretary_sign", {"decision": "reject", "opinion": "与台账不符，不予签字"})
    assert inst["status"] == "running" and open_elements(rt, pid) == ["list_groups"]
    assert campaign_progress(rt, "admin", cid)["items"][0]["stage"] == "填报工作群组清单"
    do(rt, "stats_cs", "list_groups", {"group_list": good, "original_count": 1})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    assert view(rt, pid)["status"] == "completed" and view(rt, cid)["status"] == "completed"
    signs = [(h["task"], h["decision"], h["opinion"]) for h in view(rt, pid)["history"] if h["decision"]]
    assert signs[:3] == [("单位(部门)负责人签字", "reject", "保留依据不充分，请重新清理"), ("单位(部门)负责人签字", "approve", "同意"),
                         ("二级党组织书记签字", "reject", "与台账不符，不予签字")]


def test_each_owner_is_reminded_and_escalated_for_their_own_group(sqlite_rt):
    rt = sqlite_rt
    cid = launch(rt)
    pid = part_of(rt, cid)
    groups = [entry("旧群一", "staff_cs", "dissolve"), entry("旧群二", "staff_cs2", "dissolve")]
    do(rt, "stats_cs", "list_groups", {"group_list": json.dumps(groups, ensure_ascii=False), "original_count": 2})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    fire_after(rt, 5)
    assert len(notified(rt, "staff_cs", "reminder", pid)) == 1 and len(notified(rt, "staff_cs2", "reminder", pid)) == 1
    fire_after(rt, 10)
    assert any("旧群二" in t for t in notified(rt, "staff_cs2", "escalation", pid))
    assert len(notified(rt, "head_cs", "escalation", pid)) == 2
    assert escalated_tasks(rt, pid)["confirm_dissolve"] == (2, True)
    do(rt, "staff_cs", "confirm_dissolve", {"dissolved_on": "2026-12-08"})
    do(rt, "staff_cs2", "confirm_dissolve", {"dissolved_on": "2026-12-09"})
    assert view(rt, cid)["status"] == "completed"


def test_dissolutions_survive_a_restart_with_freshly_parsed_diagrams(sqlite_rt):
    rt = sqlite_rt
    cid = launch(rt)
    pid = part_of(rt, cid)
    groups = [entry("旧群一", "staff_cs", "dissolve"), entry("旧群二", "staff_cs2", "dissolve"), entry("教学群", "staff_cs")]
    do(rt, "stats_cs", "list_groups", {"group_list": json.dumps(groups, ensure_ascii=False), "original_count": 3})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    do(rt, "staff_cs", "confirm_dissolve", {"dissolved_on": "2026-12-01"})
    fresh = build_runtime(rt.settings)  # another process: its own spec cache, diagrams parsed again
    try:
        do(fresh, "staff_cs2", "confirm_dissolve", {"dissolved_on": "2026-12-02"})
        data = view(fresh, pid)["data"]
    finally:
        fresh.db.dispose()
    assert view(rt, pid)["status"] == "completed" and view(rt, cid)["status"] == "completed"
    assert sorted(i["dissolved_on"] for i in data["dissolve_items"]) == ["2026-12-01", "2026-12-02"]


def test_deadline_reminders_then_escalation_once_each(sqlite_rt):
    rt = sqlite_rt
    cid = launch(rt, units="计算机工程学院\n机械工程学院", days=10)
    deadline = today(rt) + timedelta(days=10)
    now = clock.now()
    assert sweep_deadlines(rt, now) == []
    remind = sweep_deadlines(rt, now + timedelta(days=8))
    assert len(remind) == 2 and sweep_deadlines(rt, now + timedelta(days=8, hours=1)) == []
    assert notified(rt, "stats_cs", "reminder") and campaign_progress(rt, "admin", cid)["units_overdue"] == 0
    late = sweep_deadlines(rt, now + timedelta(days=11))
    assert len(late) == 2 and sweep_deadlines(rt, now + timedelta(days=12)) == []
    assert notified(rt, "head_me", "escalation") and notified(rt, "secretary_cs", "escalation")
    with days_later(11):
        progress = campaign_progress(rt, "admin", cid)
    assert progress["units_overdue"] == 2 and progress["deadline"] == deadline.isoformat()
    assert [p["unit_name"] for p in campaign_progress(rt, "stats_cs", cid)["items"]] == ["计算机工程学院"]
    with pytest.raises(Forbidden):
        campaign_progress(rt, "staff_cs", cid)


def test_campaign_closes_on_the_sweep_when_the_last_part_ended_meanwhile(sqlite_rt):
    rt = sqlite_rt
    cid = launch(rt)
    pid = part_of(rt, cid)
    do(rt, "stats_cs", "list_groups", {"group_list": "[]", "original_count": 0})
    do(rt, "head_cs", "unit_head_sign", SIGN)
    # an administrator looks at the campaign first: not all units done, so it waits again
    do(rt, "admin", "track_campaign", {"note": "检查进度"})
    assert open_elements(rt, cid) == ["track_campaign"]
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    assert view(rt, cid)["status"] == "completed"
    assert complete_as_system(rt, cid, "track_campaign", {}, "again") is False
    with unit_of_work(write=False, engine=rt.db) as s:
        assert s.get(ProcessInstance, pid).status == "completed"
    assert sweep_deadlines(rt, clock.now() + timedelta(days=30)) == []


def test_statistician_uploads_a_spreadsheet(sqlite_rt):
    rt = sqlite_rt
    cid = launch(rt)
    pid = part_of(rt, cid)
    task = next(t for t in view(rt, pid)["tasks"] if t["element"] == "list_groups")
    header = "工作群名称,群类别,群主,人员范围,人数,群功能,群信息发布规则,保留依据,处理意见\n"
    bad = (header + "教学群,微信工作群,staff_cs,教师,30,教学,只发通知,,保留\n").encode("utf-8")
    with pytest.raises(InvalidImport) as err:
        submit_group_sheet(rt, task["id"], "stats_cs", "清单.csv", bad)
    assert err.value.errors[0].row == 2 and "保留依据" in err.value.errors[0].message
    good = (header + "教学群,微信工作群,staff_cs,教师,30,教学,只发通知,教学需要,保留\n"
                     "旧群,QQ工作群,赵老师,学生,100,旧通知,,,解散\n").encode("utf-8")
    submit_group_sheet(rt, task["id"], "stats_cs", "清单.csv", good, original_count=4)
    data = view(rt, pid)["data"]
    assert [(g["group_name"], g["action"], g["owner_username"]) for g in data["groups"]] == [
        ("教学群", "keep", "staff_cs"), ("旧群", "dissolve", "staff_cs2")]
    assert data["original_count"] == 4 and open_elements(rt, pid) == ["unit_head_sign"]


def test_launch_problems_and_every_campaign_task_escalates(sqlite_rt):
    rt = sqlite_rt
    cid = instances.start_process(rt, "cleanup_refiling", "admin", {})
    assert open_elements(rt, cid) == ["launch"]
    fire_after(rt, 10)
    do(rt, "admin", "launch", {"campaign_name": "清理", "deadline": today(rt).isoformat()})
    assert open_elements(rt, cid) == ["launch"] and "截止日期" in view(rt, cid)["data"]["launch_error"]
    do(rt, "admin", "launch", {"campaign_name": "清理", "deadline": (today(rt) + timedelta(days=60)).isoformat(), "unit_names": "不存在学院"})
    assert "不存在学院" in view(rt, cid)["data"]["launch_error"]
    do(rt, "admin", "launch", {"campaign_name": "清理", "deadline": (today(rt) + timedelta(days=60)).isoformat(), "unit_names": "计算机工程学院"})
    pid = part_of(rt, cid)
    fire_after(rt, 40)
    assert [e["to"] for e in audit(rt, cid, "escalation")] == ["party_office", "discipline"]
    assert notified(rt, "discipline", "escalation", cid) and notified(rt, "head_cs", "escalation", pid)
    do(rt, "stats_cs", "list_groups", {"group_list": json.dumps([entry("教学群", "staff_cs")], ensure_ascii=False), "original_count": 1})
    fire_after(rt, 10)
    do(rt, "head_cs", "unit_head_sign", SIGN)
    fire_after(rt, 10)
    assert [e["to"] for e in audit(rt, pid, "escalation")] == ["unit_head", "party_org", "party_office"]
    assert escalated_tasks(rt, pid) == {"list_groups": (1, True), "unit_head_sign": (1, True), "secretary_sign": (1, True)}
    do(rt, "secretary_cs", "secretary_sign", SIGN)
    assert view(rt, cid)["status"] == "completed"


def kept_id(rt, name):
    from sqlalchemy import select

    from workflows.models import WorkGroup

    with unit_of_work(write=False, engine=rt.db) as s:
        return s.scalar(select(WorkGroup.id).where(WorkGroup.name == name))
