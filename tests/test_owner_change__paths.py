"""Every path of the owner / account creator change (art. 10), started by hand or by the system."""

from __future__ import annotations

import pytest

from tests.process_flows import add_group, audit, do, escalated_tasks, filings, fire_after, group, notified, open_elements, person_id, view
from workflows.errors import InvalidInput
from workflows.services import instances
from workflows.services.system_starts import start_process_as_system

APPROVE = {"decision": "approve", "opinion": "同意"}


def start(rt, group_name="计算机工程学院教学通知群", **changes):
    data = {"group_name": group_name, "reason": "job_change", "new_owner_username": "staff_cs2", "note": "李老师转岗", **changes}
    return instances.start_process(rt, "owner_change", "staff_cs", data)


def test_group_owner_change_filed_with_the_party_org(rt):
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start(rt)
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    assert view(rt, iid)["data"]["old_owner_username"] == "staff_cs"
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    assert open_elements(rt, iid) == ["party_org_file"]
    inst = do(rt, "party_cs", "party_org_file", {"decision": "approve", "opinion": "准予备案"})
    assert inst["status"] == "completed"
    g = group(rt, gid)
    assert g.owner_id == person_id(rt, "staff_cs2") and g.status == "filed"
    assert [(h["from"], h["to"]) for h in g.details["owner_history"]] == [("staff_cs", "staff_cs2")]
    assert filings(rt, gid) == ["群主变更：李老师 → 赵老师（群主工作变更）"]
    assert notified(rt, "staff_cs2", "outcome", iid)


def test_account_creator_change_is_filed_with_propaganda(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院团学风采", kind="wechat_official_account")
    iid = start(rt, "计算机工程学院团学风采")
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    assert open_elements(rt, iid) == ["propaganda_file"]
    inst = do(rt, "propaganda", "propaganda_file", APPROVE)
    assert inst["status"] == "completed" and group(rt, gid).owner_id == person_id(rt, "staff_cs2")


def test_unknown_group_returns_to_the_applicant(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start(rt, "不存在的群")
    assert open_elements(rt, iid) == ["apply"]
    assert "计算机工程学院教学通知群" in view(rt, iid)["data"]["group_error"]
    do(rt, "staff_cs", "apply", {"group_name": "计算机工程学院教学通知群", "reason": "transfer"})
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    assert view(rt, iid)["data"]["group_id"] == gid


def test_other_units_group_is_refused(sqlite_rt):
    add_group(sqlite_rt, "staff_me", "机械工程学院实验室群")
    iid = start(sqlite_rt, "机械工程学院实验室群")
    assert open_elements(sqlite_rt, iid) == ["apply"]


def test_invalid_new_owner_goes_back_to_the_unit_head(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start(rt)
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "nobody", **APPROVE})
    assert open_elements(rt, iid) == ["unit_head_confirm"] and "nobody" in view(rt, iid)["data"]["owner_error"]
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs", **APPROVE})
    assert "已是该群组的群主" in view(rt, iid)["data"]["owner_error"]
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "stats_cs", **APPROVE})
    do(rt, "party_cs", "party_org_file", APPROVE)
    assert group(rt, gid).owner_id == person_id(rt, "stats_cs")


def test_unit_head_rejects(sqlite_rt):
    gid = add_group(sqlite_rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start(sqlite_rt)
    inst = do(sqlite_rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", "decision": "reject", "opinion": "该群将解散"})
    assert inst["status"] == "rejected" and group(sqlite_rt, gid).owner_id == person_id(sqlite_rt, "staff_cs")
    assert iid == inst["id"]


def test_unit_returns_a_manual_change_to_the_applicant(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start(rt)
    inst = do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", "decision": "return", "opinion": "请先征得新群主同意"})
    assert inst["status"] == "running" and open_elements(rt, iid) == ["apply"]
    assert inst["history"][-1]["decision"] == "return" and inst["history"][-1]["opinion"] == "请先征得新群主同意"
    do(rt, "staff_cs", "apply", {"group_name": "计算机工程学院教学通知群", "reason": "job_change", "new_owner_username": "stats_cs"})
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "stats_cs", **APPROVE})
    do(rt, "party_cs", "party_org_file", APPROVE)
    assert group(rt, gid).owner_id == person_id(rt, "stats_cs")


def test_unit_returns_a_system_started_change_to_its_naming_task(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start_process_as_system(rt, "owner_change", {"group_id": gid, "reason": "departure"}, group(rt, gid).unit_id,
                                  person_id(rt, "staff_cs"), origin="org_import")
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", "decision": "return", "opinion": "请办公室另行提名"})
    assert open_elements(rt, iid) == ["name_new_owner"]  # no applicant to ask: the unit names someone again
    fire_after(rt, 10)
    assert escalated_tasks(rt, iid)["name_new_owner"] == (1, True) and notified(rt, "party_cs", "escalation", iid)
    do(rt, "head_cs", "name_new_owner", {"new_owner_username": "stats_cs", "note": "统计员兼任"})
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "stats_cs", **APPROVE})
    inst = do(rt, "party_cs", "party_org_file", APPROVE)
    assert inst["status"] == "completed" and group(rt, gid).owner_id == person_id(rt, "stats_cs")


def test_opinion_is_required_unless_approving(sqlite_rt):
    add_group(sqlite_rt, "staff_cs", "计算机工程学院教学通知群")
    start(sqlite_rt)
    for decision in ("reject", "return"):
        with pytest.raises(InvalidInput):
            do(sqlite_rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", "decision": decision})


def test_propaganda_returns_then_rejects_an_account_change(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院团学风采", kind="wechat_official_account")
    iid = start(rt, "计算机工程学院团学风采")
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    do(rt, "propaganda", "propaganda_file", {"decision": "return", "opinion": "新创建人须完成实名认证"})
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    inst = do(rt, "propaganda", "propaganda_file", {"decision": "reject", "opinion": "不予备案"})
    assert inst["status"] == "rejected" and group(rt, gid).owner_id == person_id(rt, "staff_cs")


def test_filing_return_then_reject(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start(rt)
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    do(rt, "party_cs", "party_org_file", {"decision": "return", "opinion": "新群主须为在编教师"})
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    inst = do(rt, "party_cs", "party_org_file", {"decision": "reject", "opinion": "不予备案"})
    assert inst["status"] == "rejected" and group(rt, gid).owner_id == person_id(rt, "staff_cs")


def test_system_start_skips_the_application_and_escalates_every_task(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    iid = start_process_as_system(rt, "owner_change", {"group_id": gid, "reason": "departure"}, group(rt, gid).unit_id,
                                  person_id(rt, "staff_cs"), origin="org_import")
    assert open_elements(rt, iid) == ["unit_head_confirm"]
    assert view(rt, iid)["data"]["reason_label"] == "群主离职"
    fire_after(rt, 10)
    assert notified(rt, "party_cs", "escalation", iid)
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    fire_after(rt, 10)
    assert notified(rt, "admin", "escalation", iid)
    do(rt, "party_cs", "party_org_file", APPROVE)
    assert view(rt, iid)["status"] == "completed"
    assert escalated_tasks(rt, iid) == {"unit_head_confirm": (1, True), "party_org_file": (1, True)}


def test_application_and_propaganda_tasks_escalate(sqlite_rt):
    rt = sqlite_rt
    add_group(rt, "staff_cs", "计算机工程学院团学风采", kind="wechat_official_account")
    iid = instances.start_process(rt, "owner_change", "staff_cs", {})
    fire_after(rt, 10)
    assert notified(rt, "head_cs", "escalation", iid)
    do(rt, "staff_cs", "apply", {"group_name": "计算机工程学院团学风采", "reason": "transfer"})
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", **APPROVE})
    fire_after(rt, 20)
    assert [e["to"] for e in audit(rt, iid, "escalation")] == ["unit_head", "party_office"]
    do(rt, "propaganda", "propaganda_file", APPROVE)
    assert view(rt, iid)["status"] == "completed"
