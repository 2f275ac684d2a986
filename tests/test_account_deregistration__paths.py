"""Account updates (art. 10) and every path of the inactive account deregistration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.process_flows import add_group, audit, days_later, do, escalated_tasks, fire_after, group, instances_of, notified, open_elements, view
from workflows.errors import Forbidden, InvalidInput
from workflows.services import instances
from workflows.services.periodic import start_idle_accounts
from workflows.services.registry import record_account_update, today

APPROVE = {"decision": "approve", "opinion": "同意"}


def account(rt, idle_days=15, name="计算机工程学院团学风采"):
    return add_group(rt, "staff_cs", name, kind="wechat_official_account", last_update=today(rt) - timedelta(days=idle_days))


def test_updates_are_recorded_by_the_accounts_people_only(sqlite_rt):
    rt = sqlite_rt
    gid = account(rt, idle_days=20)
    assert record_account_update(rt, "staff_cs", gid)["last_update"] == today(rt).isoformat()
    with pytest.raises(Forbidden):
        record_account_update(rt, "staff_me", gid)
    assert record_account_update(rt, "propaganda", gid, today(rt) - timedelta(days=3))["last_update"] == today(rt).isoformat()
    with pytest.raises(InvalidInput, match="晚于今天"):
        record_account_update(rt, "head_cs", gid, today(rt) + timedelta(days=1))
    with pytest.raises(InvalidInput, match="不是公众号"):
        record_account_update(rt, "staff_cs", add_group(rt, "staff_cs", "教学通知群"))


def test_idle_account_is_deregistered_when_the_owner_confirms(rt):
    fresh = account(rt, idle_days=13, name="计算机工程学院就业指导")
    gid = account(rt)
    lines = start_idle_accounts(rt)
    assert len(lines) == 1 and "计算机工程学院团学风采" in lines[0]
    assert start_idle_accounts(rt) == []
    [inst] = instances_of(rt, "account_deregistration")
    assert open_elements(rt, inst.id) == ["owner_respond"] and view(rt, inst.id)["data"]["idle_days"] == 15
    done = do(rt, "staff_cs", "owner_respond", {"response": "deregister"})
    assert done["status"] == "completed" and group(rt, gid).status == "deregistered"
    assert group(rt, fresh).status == "filed"
    assert start_idle_accounts(rt) == []


def test_explanation_accepted_keeps_the_account_for_this_idle_period(sqlite_rt):
    rt = sqlite_rt
    gid = account(rt)
    start_idle_accounts(rt)
    [inst] = instances_of(rt, "account_deregistration")
    do(rt, "staff_cs", "owner_respond", {"response": "explain", "explanation": "寒假期间暂停更新，开学后每周更新两次"})
    assert open_elements(rt, inst.id) == ["propaganda_review"]
    done = do(rt, "propaganda", "propaganda_review", APPROVE)
    assert done["status"] == "completed" and group(rt, gid).status == "filed"
    assert group(rt, gid).details["idle_explanation_accepted"]["note"].startswith("寒假")
    assert start_idle_accounts(rt, today(rt) + timedelta(days=7)) == []
    with days_later(3):  # updated again after the explanation: a new idle period counts from here
        record_account_update(rt, "staff_cs", gid)
    assert start_idle_accounts(rt, today(rt) + timedelta(days=16)) == []
    assert len(start_idle_accounts(rt, today(rt) + timedelta(days=17))) == 1


def test_explanation_returned_then_rejected_deregisters(sqlite_rt):
    rt = sqlite_rt
    gid = account(rt)
    start_idle_accounts(rt)
    [inst] = instances_of(rt, "account_deregistration")
    do(rt, "staff_cs", "owner_respond", {"response": "explain", "explanation": "忙"})
    do(rt, "propaganda", "propaganda_review", {"decision": "return", "opinion": "请说明今后的更新安排"})
    assert open_elements(rt, inst.id) == ["owner_respond"]
    do(rt, "staff_cs", "owner_respond", {"response": "explain", "explanation": "无人维护"})
    done = do(rt, "propaganda", "propaganda_review", {"decision": "reject", "opinion": "无人维护的公众号应注销"})
    assert done["status"] == "completed" and group(rt, gid).status == "deregistered"


def test_owner_asks_by_hand_and_a_wrong_name_goes_back(sqlite_rt):
    rt = sqlite_rt
    gid = account(rt, idle_days=1)
    iid = instances.start_process(rt, "account_deregistration", "staff_cs", {"group_name": "团学风采二号"})
    assert open_elements(rt, iid) == ["request"] and view(rt, iid)["data"]["group_error"]
    do(rt, "staff_cs", "request", {"group_name": "计算机工程学院团学风采", "note": "合并到学院主号"})
    do(rt, "staff_cs", "owner_respond", {"response": "deregister"})
    assert group(rt, gid).status == "deregistered"


def test_every_task_escalates(sqlite_rt):
    rt = sqlite_rt
    iid = instances.start_process(rt, "account_deregistration", "staff_cs", {})
    fire_after(rt, 10)
    account(rt)
    do(rt, "staff_cs", "request", {"group_name": "计算机工程学院团学风采"})
    fire_after(rt, 10)
    do(rt, "staff_cs", "owner_respond", {"response": "explain", "explanation": "人员调整"})
    fire_after(rt, 10)
    assert [e["to"] for e in audit(rt, iid, "escalation")] == ["propaganda", "propaganda", "party_office"]
    assert escalated_tasks(rt, iid) == {"request": (1, True), "owner_respond": (1, True), "propaganda_review": (1, True)}
    assert notified(rt, "admin", "escalation", iid)
    do(rt, "propaganda", "propaganda_review", APPROVE)
    assert view(rt, iid)["status"] == "completed"
