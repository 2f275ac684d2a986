"""The approval actions beside complete: claim, transfer, add-sign, copy, urge, withdraw, drafts, attachments.

Each is one transaction, audited, refusing with Forbidden / Conflict / InvalidInput; none moves the timers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.flows import APPLICATION, act, apply, open_task
from workflows import clock
from workflows.db import unit_of_work
from workflows.errors import Conflict, Forbidden, InvalidInput, TooSoon
from workflows.models import AuditEvent, HumanTask, Notification, Person, RoleAssignment, TimerDue
from workflows.services import actions, addsign, instances, queries, timers

APPROVE = {"decision": "approve", "opinion": "同意"}


def audit(rt, iid: int, action: str) -> list[AuditEvent]:
    with unit_of_work(write=False, engine=rt.db) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == action)).all())


def notes(rt, username: str, kind: str) -> list[Notification]:
    with unit_of_work(write=False, engine=rt.db) as s:
        pid = s.scalar(select(Person.id).where(Person.username == username))
        return list(s.scalars(select(Notification).where(Notification.person_id == pid, Notification.kind == kind)).all())


def row(rt, task_id: int) -> HumanTask:
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.get(HumanTask, task_id)


def timer_due(rt, iid: int):
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.scalar(select(TimerDue.due_at).where(TimerDue.instance_id == iid))


def second_unit_head(rt) -> None:
    """Make staff_cs2 a second unit head of the School of Computer Engineering (two candidates)."""
    with unit_of_work(engine=rt.db) as s:
        head = s.scalar(select(Person).where(Person.username == "head_cs"))
        other = s.scalar(select(Person).where(Person.username == "staff_cs2"))
        s.add(RoleAssignment(person_id=other.id, role="unit_head", scope=f"unit:{head.unit_id}"))


def test_claim_takes_a_group_task_once(sqlite_rt):
    rt = sqlite_rt
    second_unit_head(rt)
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    assert task["assignee"] is None and task["candidates"]["role"] == "unit_head"
    with pytest.raises(Forbidden):
        actions.claim(rt, task["id"], "staff_me")
    assert actions.claim(rt, task["id"], "staff_cs2") == iid
    assert row(rt, task["id"]).assignee_id is not None
    with pytest.raises(Conflict):
        actions.claim(rt, task["id"], "head_cs")
    assert actions.claim(rt, task["id"], "staff_cs2") == iid  # idempotent for the claimer
    assert [e.who for e in audit(rt, iid, "claim")] == ["staff_cs2"]
    assert queries.list_tasks(rt, "head_cs")["total"] == 0
    with pytest.raises(Forbidden):
        instances.complete_task(rt, task["id"], "head_cs", APPROVE)


def test_transfer_reassigns_and_keeps_due_time_and_timers(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    before_due, before_timer = row(rt, task["id"]).due_at, timer_due(rt, iid)
    with pytest.raises(Forbidden):
        actions.transfer(rt, task["id"], "staff_me", "staff_cs2")
    with pytest.raises(InvalidInput):
        actions.transfer(rt, task["id"], "head_cs", "nobody")
    actions.transfer(rt, task["id"], "head_cs", "赵老师", "出差期间请代为审核")  # a unique real name works too
    after = row(rt, task["id"])
    assert after.due_at == before_due and timer_due(rt, iid) == before_timer
    [event] = audit(rt, iid, "transfer")
    assert (event.who, event.opinion, event.details["to"]) == ("head_cs", "出差期间请代为审核", "staff_cs2")
    assert [n.task_id for n in notes(rt, "staff_cs2", "transfer")] == [task["id"]]
    with pytest.raises(Forbidden):
        instances.complete_task(rt, task["id"], "head_cs", APPROVE)
    inst = act(rt, "staff_cs2", "unit_head_review", APPROVE)
    assert [t["element"] for t in inst["tasks"]] == ["party_org_review"]


def test_add_sign_blocks_the_task_until_signed(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    with pytest.raises(Forbidden):
        actions.add_sign(rt, task["id"], "staff_cs", "secretary_cs")
    child_id = actions.add_sign(rt, task["id"], "head_cs", "secretary_cs", "请书记把关")
    with pytest.raises(Conflict):
        actions.add_sign(rt, task["id"], "head_cs", "secretary_cs")
    sign_task = open_task(rt, "secretary_cs")
    assert sign_task["id"] == child_id and sign_task["kind"] == "addsign" and sign_task["parent_id"] == task["id"]
    detail = queries.get_task(rt, "secretary_cs", child_id)
    assert detail["form"]["properties"]["decision"]["enum"] == ["approve", "reject"] and detail["can_complete"]
    with pytest.raises(Conflict, match="加签人"):
        instances.complete_task(rt, task["id"], "head_cs", APPROVE)
    with pytest.raises(InvalidInput) as err:
        instances.complete_task(rt, child_id, "secretary_cs", {"decision": "reject"})
    assert [e.field for e in err.value.errors] == ["opinion"]
    with pytest.raises(Forbidden):
        instances.complete_task(rt, child_id, "head_cs", APPROVE)
    instances.complete_task(rt, child_id, "secretary_cs", {"decision": "approve", "opinion": "同意建群"})
    [signed] = audit(rt, iid, "sign")
    assert (signed.who, signed.decision, signed.opinion) == ("secretary_cs", "approve", "同意建群")
    assert len(audit(rt, iid, "add_sign")) == 1 and notes(rt, "head_cs", "addsign")
    inst = act(rt, "head_cs", "unit_head_review", APPROVE)
    assert [t["element"] for t in inst["tasks"]] == ["party_org_review"]


def test_add_sign_survives_timers_and_is_cancelled_with_its_parent(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    child_id = actions.add_sign(rt, task["id"], "head_cs", "secretary_cs")
    with time_machine.travel(clock.now() + timedelta(days=5), tick=False):
        assert timers.fire_due_timers(rt) >= 1  # reminder timer: the projection runs, the add-sign stays
    assert row(rt, child_id).state == "open" and row(rt, task["id"]).state == "open"
    with pytest.raises(Conflict):
        actions.withdraw(rt, iid, "staff_cs")  # asking for an add-sign is acting on it
    with unit_of_work(engine=rt.db) as s:  # the parent goes away (e.g. an administrator ends the instance)
        s.get(HumanTask, task["id"]).state = "cancelled"
        addsign.cancel_orphans(s, iid)
    assert row(rt, child_id).state == "cancelled"


def test_copy_lets_the_recipient_read_the_instance(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    with pytest.raises(Forbidden):
        queries.get_instance(rt, "propaganda", iid)
    with pytest.raises(Forbidden):
        actions.copy(rt, iid, "staff_me", ["propaganda"])
    with pytest.raises(InvalidInput):
        actions.copy(rt, iid, "staff_cs", [])
    assert actions.copy(rt, iid, "staff_cs", ["propaganda", "discipline"], "请知悉") == 2
    assert actions.copy(rt, iid, "staff_cs", ["propaganda"]) == 0
    assert queries.get_instance(rt, "propaganda", iid)["id"] == iid
    copied = queries.list_tasks(rt, "propaganda", "copied")
    assert copied["total"] == 1 and copied["items"][0]["copied_by"] == "staff_cs" and copied["items"][0]["note"] == "请知悉"
    assert len(notes(rt, "propaganda", "copy")) == 1
    assert [e.details["to"] for e in audit(rt, iid, "copy")] == [["propaganda", "discipline"], ["propaganda"]]


def test_urge_notifies_the_task_people_once_an_hour(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    with pytest.raises(Forbidden):
        actions.urge(rt, task["id"], "staff_me")
    with pytest.raises(Conflict):
        actions.urge(rt, task["id"], "head_cs")  # one's own task
    start = clock.now()
    with time_machine.travel(start, tick=False):
        assert actions.urge(rt, task["id"], "staff_cs") == 1
    with time_machine.travel(start + timedelta(minutes=59), tick=False), pytest.raises(TooSoon, match="1 分钟后再试") as refused:
        actions.urge(rt, task["id"], "staff_cs")
    assert refused.value.retry_after == 60
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert actions.urge(rt, task["id"], "staff_cs") == 1
    assert row(rt, task["id"]).reminders_sent == 2
    assert len(notes(rt, "head_cs", "urge")) == 2 and len(audit(rt, iid, "urge")) == 2


def test_withdraw_before_anyone_acted_terminates(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    with pytest.raises(Forbidden):
        actions.withdraw(rt, iid, "head_cs")
    actions.withdraw(rt, iid, "staff_cs", "信息填错，重新申请")
    inst = queries.get_instance(rt, "staff_cs", iid)
    assert inst["status"] == "terminated" and inst["tasks"] == [] and inst["ended_at"]
    assert row(rt, task["id"]).state == "cancelled" and timer_due(rt, iid) is None
    [event] = audit(rt, iid, "withdraw")
    assert (event.who, event.opinion) == ("staff_cs", "信息填错，重新申请")
    assert notes(rt, "head_cs", "withdraw")
    with pytest.raises(Conflict):
        actions.withdraw(rt, iid, "staff_cs")
    with pytest.raises(Conflict):
        instances.complete_task(rt, task["id"], "head_cs", APPROVE)


def test_withdraw_refused_after_the_unit_head_acted(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    act(rt, "head_cs", "unit_head_review", {"decision": "return", "opinion": "请补充发布规则"})
    with pytest.raises(Conflict, match="不能撤回"):
        actions.withdraw(rt, iid, "staff_cs")
    assert queries.get_instance(rt, "staff_cs", iid)["status"] == "running"
    assert audit(rt, iid, "withdraw") == []


def test_withdraw_refused_after_a_claim(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    actions.claim(rt, open_task(rt, "head_cs", "unit_head_review")["id"], "head_cs")
    with pytest.raises(Conflict):
        actions.withdraw(rt, iid, "staff_cs")


def test_drafts_keep_only_the_form_fields(sqlite_rt):
    rt = sqlite_rt
    iid = instances.start_process(rt, "group_approval", "staff_cs", {})
    task = open_task(rt, "staff_cs", "apply")
    with pytest.raises(Forbidden):
        actions.save_draft(rt, task["id"], "staff_cs2", {"group_name": "x"})
    actions.save_draft(rt, task["id"], "staff_cs", {"group_name": "2026级新生群", "member_count": "abc", "hacker": "1"})
    assert actions.load_draft(rt, task["id"], "staff_cs") == {"group_name": "2026级新生群", "member_count": "abc"}
    actions.save_draft(rt, task["id"], "staff_cs", {"group_name": "改名了"})
    assert actions.load_draft(rt, task["id"], "staff_cs") == {"group_name": "改名了"}
    assert actions.load_draft(rt, task["id"], "staff_cs2") is None
    assert len(audit(rt, iid, "save_draft")) == 2
    instances.complete_task(rt, task["id"], "staff_cs", APPLICATION)
    assert actions.load_draft(rt, task["id"], "staff_cs") is None  # a completed task has no draft to resume


def test_attachments_are_documents_of_the_instance(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    with pytest.raises(Forbidden):
        actions.add_attachment(rt, iid, "staff_me", "x.pdf", b"%PDF-1.4", "application/pdf")
    with pytest.raises(InvalidInput):
        actions.add_attachment(rt, iid, "staff_cs", "empty.txt", b"", "text/plain")
    with pytest.raises(InvalidInput, match="附件过大"):
        actions.add_attachment(rt, iid, "staff_cs", "big.bin", b"0" * (rt.settings.attachment_max_bytes + 1))
    doc_id = actions.add_attachment(rt, iid, "staff_cs", "C:\\Users\\li\\群成员名单.pdf", b"%PDF-1.4 demo", "application/pdf")
    docs = queries.get_instance(rt, "staff_cs", iid)["documents"]
    assert {"id": doc_id, "name": "群成员名单.pdf", "kind": "attachment", "status": "ready", "error": None} in docs
    assert audit(rt, iid, "attach")[0].details["name"] == "群成员名单.pdf"
