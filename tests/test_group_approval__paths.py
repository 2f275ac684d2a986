"""Every path of the new-group approval (art. 4, 5, 16) through the use cases, on SQLite and PostgreSQL.

On PostgreSQL each use case restores the instance from the database, so every step there is also a save/restore
round trip; on SQLite steps reuse the warm workflow, as production does (tests/conftest.py).
"""

from __future__ import annotations

from sqlalchemy import select

from tests.flows import APPLICATION, act, apply, open_task
from workflows.db import unit_of_work
from workflows.models import Filing, HumanTask, WorkGroup
from workflows.services import instances, queries

APPROVE = {"decision": "approve", "opinion": "同意"}


def groups(rt):
    with unit_of_work(write=False, engine=rt.db) as s:
        return [(g.name, g.status, g.unit_id) for g in s.scalars(select(WorkGroup))]


def test_approve_path_files_the_group(rt):
    iid = apply(rt)
    inst = queries.get_instance(rt, "staff_cs", iid)
    assert [t["element"] for t in inst["tasks"]] == ["unit_head_review"]
    inst = act(rt, "head_cs", "unit_head_review", APPROVE)
    assert [t["element"] for t in inst["tasks"]] == ["party_org_review"]
    inst = act(rt, "party_cs", "party_org_review", {"decision": "approve", "opinion": "同意备案"})
    assert inst["status"] == "completed"
    assert groups(rt) == [("计算机工程学院2026级新生辅导员工作群", "filed", groups(rt)[0][2])]
    with unit_of_work(write=False, engine=rt.db) as s:
        assert s.scalar(select(Filing.instance_id)) == iid
    history = [(h["who"], h["action"], h["decision"]) for h in inst["history"] if h["action"] in {"start", "complete"}]
    assert history == [("staff_cs", "start", None), ("staff_cs", "complete", None),
                       ("head_cs", "complete", "approve"), ("party_cs", "complete", "approve")]
    assert inst["data"]["decisions"]["party_org_review"]["opinion"] == "同意备案"


def test_unit_head_reject_ends_rejected_without_group(rt):
    iid = apply(rt)
    inst = act(rt, "head_cs", "unit_head_review", {"decision": "reject", "opinion": "与现有群重复"})
    assert inst["status"] == "rejected" and inst["tasks"] == []
    assert groups(rt) == []
    assert queries.list_tasks(rt, "party_cs")["total"] == 0
    assert iid == inst["id"]


def test_party_org_reject_ends_rejected(rt):
    apply(rt)
    act(rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(rt, "party_cs", "party_org_review", {"decision": "reject", "opinion": "不符合按需建群原则"})
    assert inst["status"] == "rejected" and groups(rt) == []


def test_return_and_resubmit_then_approve(rt):
    iid = apply(rt)
    inst = act(rt, "head_cs", "unit_head_review", {"decision": "return", "opinion": "请补充群信息发布规则"})
    assert inst["status"] == "running"
    task = open_task(rt, "staff_cs", "apply")
    detail = queries.get_task(rt, "staff_cs", task["id"])
    assert detail["data"]["decisions"]["unit_head_review"]["opinion"] == "请补充群信息发布规则"
    from tests.flows import APPLICATION
    instances.complete_task(rt, task["id"], "staff_cs", {**APPLICATION, "posting_rules": "仅限工作通知，重要信息经保密审查"})
    act(rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(rt, "party_cs", "party_org_review", {"decision": "return", "opinion": "群主联系方式有误"})
    instances.complete_task(rt, open_task(rt, "staff_cs", "apply")["id"], "staff_cs", {**APPLICATION, "contact": "13900001111"})
    act(rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(rt, "party_cs", "party_org_review", APPROVE)
    assert inst["status"] == "completed" and inst["id"] == iid
    assert inst["data"]["contact"] == "13900001111"


def test_student_group_goes_to_the_student_body(rt):
    apply(rt, is_student=True, student_body="tuanwei", line="student", group_name="2026级团支部书记工作群")
    act(rt, "head_cs", "unit_head_review", APPROVE)
    assert queries.list_tasks(rt, "party_cs")["total"] == 0
    assert queries.list_tasks(rt, "xuegong")["total"] == 0
    inst = act(rt, "tuanwei", "student_body_review", APPROVE)
    assert inst["status"] == "completed"
    assert groups(rt)[0][1] == "filed"


def test_student_body_reject(rt):
    apply(rt, is_student=True, student_body="yangong", line="student")
    act(rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(rt, "yangong", "student_body_review", {"decision": "reject", "opinion": "由研究生会统一建群"})
    assert inst["status"] == "rejected"


def test_student_body_returns_to_the_applicant(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt, is_student=True, student_body="xuegong", line="student")
    act(rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(rt, "xuegong", "student_body_review", {"decision": "return", "opinion": "请写明学生管理员"})
    assert inst["status"] == "running" and [t["element"] for t in inst["tasks"]] == ["apply"]
    act(rt, "staff_cs", "apply", {**APPLICATION, "is_student": True, "student_body": "xuegong", "line": "student", "admins": "班长王同学"})
    act(rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(rt, "xuegong", "student_body_review", APPROVE)
    assert inst["status"] == "completed" and inst["id"] == iid


def test_duplicate_warning_for_similar_group_in_same_unit(rt):
    apply(rt)
    act(rt, "head_cs", "unit_head_review", APPROVE)
    act(rt, "party_cs", "party_org_review", APPROVE)
    iid = apply(rt, group_name="计算机工程学院2026级新生辅导员工作群（二）")
    data = queries.get_instance(rt, "staff_cs", iid)["data"]
    assert data["duplicate_warning"] is True
    assert data["duplicates"][0]["name"] == "计算机工程学院2026级新生辅导员工作群"
    other = apply(rt, "staff_me", group_name="机械工程学院实验室安全工作群", function="实验室安全检查通知")
    assert queries.get_instance(rt, "staff_me", other)["data"]["duplicate_warning"] is False


def test_start_with_empty_data_leaves_the_form_to_the_applicant(rt):
    iid = instances.start_process(rt, "group_approval", "staff_cs", {})
    inst = queries.get_instance(rt, "staff_cs", iid)
    assert [t["element"] for t in inst["tasks"]] == ["apply"]
    task = queries.get_task(rt, "staff_cs", inst["tasks"][0]["id"])
    assert task["form"]["properties"]["group_name"]["title"] == "工作群名称"
    assert "group_name" in task["form"]["required"]


def test_tasks_are_routed_to_the_applicants_unit(rt):
    apply(rt, "staff_me", group_name="机械工程学院教学工作群")
    assert queries.list_tasks(rt, "head_cs")["total"] == 0
    assert queries.list_tasks(rt, "head_me")["total"] == 1
    with unit_of_work(write=False, engine=rt.db) as s:
        row = s.scalar(select(HumanTask).where(HumanTask.state == "open"))
        assert row.due_at is not None and row.due_at > row.created_at


def test_start_with_partial_data_keeps_it_as_a_draft(sqlite_rt):
    iid = instances.start_process(sqlite_rt, "group_approval", "staff_cs", {"group_name": "草稿群", "member_count": "12"})
    inst = queries.get_instance(sqlite_rt, "staff_cs", iid)
    assert [t["element"] for t in inst["tasks"]] == ["apply"]
    assert inst["data"]["group_name"] == "草稿群" and inst["data"]["member_count"] == 12


def test_a_person_who_left_gets_no_tasks(sqlite_rt):
    from workflows.models import Person

    with unit_of_work(engine=sqlite_rt.db) as s:
        s.scalar(select(Person).where(Person.username == "head_cs")).status = "left"
    apply(sqlite_rt)
    assert queries.list_tasks(sqlite_rt, "head_cs")["total"] == 1  # the task is listed for the role ...
    task = open_task(sqlite_rt, "head_cs", "unit_head_review")
    import pytest

    from workflows.errors import Forbidden
    with pytest.raises(Forbidden):  # ... but someone who left may not act on it
        instances.complete_task(sqlite_rt, task["id"], "head_cs", {"decision": "approve"})
