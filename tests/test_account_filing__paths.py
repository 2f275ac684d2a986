"""Every path of the official account filing (art. 5, 10; att. 2). Each step restores the instance from the database."""

from __future__ import annotations

from datetime import date

from tests.process_flows import audit, do, document_text, documents, escalated_tasks, filings, fire_after, groups_of_instance, notified, open_elements, view
from workflows.services import instances

ACCOUNT = {
    "group_name": "计算机工程学院团学风采", "group_kind": "wechat_official_account", "open_date": "2023-09-01", "followers": 3200,
    "real_name_verified": True, "registered_name": "江苏理工学院计算机工程学院", "function": "学院新闻与学生活动发布",
    "first_responsible_name": "张院长", "first_responsible_title": "院长", "first_responsible_mobile": "13812345678",
    "first_responsible_landline": "0519-86953000", "admin_name": "李老师", "admin_title": "辅导员", "admin_mobile": "13912345678",
    "admin_landline": "", "admin_email": "li@jsut.edu.cn", "posting_rules": "稿件经学院党委审核后发布",
}
APPROVE = {"decision": "approve", "opinion": "同意"}


def start(rt, **changes):
    return instances.start_process(rt, "account_filing", "staff_cs", {**ACCOUNT, **changes})


def test_filed_path_registers_the_account_with_att2(rt):
    iid = start(rt)
    assert open_elements(rt, iid) == ["unit_head_review"]
    do(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意开通"})
    assert open_elements(rt, iid) == ["propaganda_review"]
    inst = do(rt, "propaganda", "propaganda_review", {"decision": "approve", "opinion": "准予备案"})
    assert inst["status"] == "completed"
    [account] = groups_of_instance(rt, iid)
    assert (account.kind, account.status, account.name) == ("wechat_official_account", "filed", "计算机工程学院团学风采")
    assert account.member_count == 3200 and account.last_update is not None and account.last_update >= date(2026, 1, 1)
    assert account.details["registered_name"] == "江苏理工学院计算机工程学院"
    assert account.details["admin"]["email"] == "li@jsut.edu.cn"
    assert len(filings(rt, account.id)) == 1
    [(kind, name, size)] = documents(rt, iid)
    assert (kind, name) == ("att2", "公众号备案登记表-计算机工程学院团学风采.docx") and size > 1000
    assert inst["data"]["att2_document_id"] and any(d["kind"] == "att2" for d in inst["documents"])
    att2 = document_text(rt, iid, "att2")
    assert all(text in att2 for text in ("计算机工程学院团学风采", "江苏理工学院计算机工程学院", "13912345678", "准予备案", "卫部长"))
    assert [d["decision"] for d in inst["data"]["decisions"].values()] == ["approve", "approve"]


def test_unit_head_rejects(sqlite_rt):
    iid = start(sqlite_rt)
    inst = do(sqlite_rt, "head_cs", "unit_head_review", {"decision": "reject", "opinion": "学院已有官方公众号"})
    assert inst["status"] == "rejected" and groups_of_instance(sqlite_rt, iid) == []


def test_propaganda_rejects(sqlite_rt):
    iid = start(sqlite_rt)
    do(sqlite_rt, "head_cs", "unit_head_review", APPROVE)
    inst = do(sqlite_rt, "propaganda", "propaganda_review", {"decision": "reject", "opinion": "未实名认证，不予备案"})
    assert inst["status"] == "rejected" and groups_of_instance(sqlite_rt, iid) == []


def test_returns_from_unit_head_and_propaganda_then_filed(sqlite_rt):
    iid = start(sqlite_rt)
    do(sqlite_rt, "head_cs", "unit_head_review", {"decision": "return", "opinion": "请补充管理员固定电话"})
    assert open_elements(sqlite_rt, iid) == ["apply"]
    do(sqlite_rt, "staff_cs", "apply", {**ACCOUNT, "admin_landline": "0519-86953111"})
    do(sqlite_rt, "head_cs", "unit_head_review", APPROVE)
    do(sqlite_rt, "propaganda", "propaganda_review", {"decision": "return", "opinion": "关注量请按后台数据填写"})
    do(sqlite_rt, "staff_cs", "apply", {**ACCOUNT, "followers": 3315})
    do(sqlite_rt, "head_cs", "unit_head_review", APPROVE)
    inst = do(sqlite_rt, "propaganda", "propaganda_review", APPROVE)
    assert inst["status"] == "completed"
    [account] = groups_of_instance(sqlite_rt, iid)
    assert account.member_count == 3315 and account.status == "filed"


def test_every_task_is_reminded_and_escalated(sqlite_rt):
    rt = sqlite_rt
    iid = instances.start_process(rt, "account_filing", "staff_cs", {})
    assert open_elements(rt, iid) == ["apply"]
    assert fire_after(rt, 10) == 1
    assert notified(rt, "staff_cs", "reminder", iid) and notified(rt, "head_cs", "escalation", iid)
    do(rt, "staff_cs", "apply", ACCOUNT)
    fire_after(rt, 10)
    assert notified(rt, "party_cs", "escalation", iid)
    do(rt, "head_cs", "unit_head_review", APPROVE)
    fire_after(rt, 10)
    assert notified(rt, "admin", "escalation", iid) and notified(rt, "propaganda", "reminder", iid)
    assert escalated_tasks(rt, iid) == {"apply": (1, True), "unit_head_review": (1, True), "propaganda_review": (1, True)}
    assert [e["to"] for e in audit(rt, iid, "escalation")] == ["unit_head", "party_org", "party_office"]
    inst = do(rt, "propaganda", "propaganda_review", APPROVE)
    assert inst["status"] == "completed" and view(rt, iid)["tasks"] == []
