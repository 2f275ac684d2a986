"""Each of the six processes started and completed over the HTTP API by the demo accounts of interface.md, and the
register / campaign routes (token from POST /api/auth/token, FastAPI TestClient over ``create_app(rt)``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.process_flows import demo_runtime
from workflows.api.app import create_app
from workflows.db import unit_of_work
from workflows.models import Person, Unit
from workflows.services.registry import today

ACCOUNT = {
    "group_name": "计算机工程学院青年之声", "group_kind": "wechat_official_account", "open_date": "2024-03-01", "followers": 1800,
    "real_name_verified": True, "registered_name": "江苏理工学院计算机工程学院团委", "first_responsible_name": "王宁",
    "first_responsible_title": "院长", "first_responsible_mobile": "13812345678", "admin_name": "钱嘉红", "admin_title": "辅导员",
    "admin_mobile": "13912345678", "admin_email": "qjh@jsut.edu.cn",
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):
    rt = demo_runtime(tmp_path_factory.mktemp("api"))
    with TestClient(create_app(rt)) as client:
        yield Api(client, rt)
    rt.db.dispose()


class Api:
    """A small client: logs the demo accounts in once and speaks the JSON API of interface.md."""

    def __init__(self, client: TestClient, rt: Any) -> None:
        self.client, self.rt, self.tokens = client, rt, {}

    def headers(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = self.client.post("/api/auth/token", data={"username": user, "password": "demo"})
            assert r.status_code == 200, r.text
            self.tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.tokens[user]

    def call(self, method: str, path: str, user: str, status: int = 200, **kw: Any) -> Any:
        r = self.client.request(method, path, headers=self.headers(user), **kw)
        assert r.status_code == status, r.text
        return r.json()

    def start(self, user: str, key: str, data: dict | None = None) -> dict:
        return self.call("POST", f"/api/processes/{key}/instances", user, 201, json={"data": data or {}})

    def task(self, user: str, instance_id: int, element: str) -> dict:
        items = self.call("GET", "/api/tasks?scope=mine&limit=200", user)["items"]
        found = [t for t in items if t["instance_id"] == instance_id and t["element"] == element]
        assert found, f"{user} has no {element} in #{instance_id}: {[(t['instance_id'], t['element']) for t in items]}"
        return self.call("GET", f"/api/tasks/{found[0]['id']}", user)

    def complete(self, user: str, instance_id: int, element: str, data: dict) -> dict:
        task = self.task(user, instance_id, element)
        assert task["can_complete"] and set(data) <= set(task["form"]["properties"]), task["form"]
        return self.call("POST", f"/api/tasks/{task['id']}/complete", user, json={"data": data})

    def group_id(self, user: str, name: str) -> int:
        return next(g["group_id"] for g in self.call("GET", "/api/registry/groups?limit=500", user)["items"] if g["group_name"] == name)


def cs_staff(rt: Any, n: int = 2) -> list[str]:
    with unit_of_work(write=False, engine=rt.db) as s:
        cs = s.scalar(select(Unit.id).where(Unit.name == "计算机工程学院"))
        people = s.scalars(select(Person).where(Person.unit_id == cs).order_by(Person.username)).all()
        return [p.username for p in people if not p.roles and p.username != "staff_cs"][:n]


def test_account_filing_owner_change_and_deregistration(api):
    inst = api.start("staff_cs", "account_filing")
    assert [t["element"] for t in inst["tasks"]] == ["apply"]
    form = api.task("staff_cs", inst["id"], "apply")["form"]
    assert form["properties"]["open_date"]["format"] == "date" and "registered_name" in form["required"]
    api.complete("staff_cs", inst["id"], "apply", ACCOUNT)
    api.complete("head_cs", inst["id"], "unit_head_review", {"decision": "approve", "opinion": "同意"})
    done = api.complete("propaganda", inst["id"], "propaganda_review", {"decision": "approve", "opinion": "准予备案"})
    assert done["status"] == "completed" and [d["kind"] for d in done["documents"]] == ["att2"]
    r = api.client.get(f"/api/documents/{done['documents'][0]['id']}", headers=api.headers("staff_cs"))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    gid = api.group_id("staff_cs", "计算机工程学院青年之声")

    change = api.start("staff_cs", "owner_change")
    api.complete("staff_cs", change["id"], "apply", {"group_name": "计算机工程学院青年之声", "reason": "job_change",
                                                     "new_owner_username": "stats_cs"})
    api.complete("head_cs", change["id"], "unit_head_confirm", {"new_owner_username": "stats_cs", "decision": "approve"})
    assert api.complete("propaganda", change["id"], "propaganda_file", {"decision": "approve"})["status"] == "completed"
    assert api.call("GET", "/api/registry/groups?kind=wechat_official_account", "stats_cs")["items"][0]["owner_username"] == "stats_cs"

    assert api.call("POST", f"/api/registry/groups/{gid}/updates", "stats_cs", json={})["last_update"] == today(api.rt).isoformat()
    api.call("POST", f"/api/registry/groups/{gid}/updates", "staff_cs", 403, json={})
    dereg = api.start("stats_cs", "account_deregistration")
    api.complete("stats_cs", dereg["id"], "request", {"group_name": "计算机工程学院青年之声", "note": "并入学院主号"})
    api.complete("stats_cs", dereg["id"], "owner_respond", {"response": "explain", "explanation": "拟并入学院主号，暂缓注销"})
    assert api.complete("propaganda", dereg["id"], "propaganda_review", {"decision": "reject", "opinion": "请注销"})["status"] == "completed"
    assert api.call("GET", "/api/registry/groups?status=deregistered", "propaganda")["total"] == 1


def test_temporary_group_and_member_exit(api):
    big = {"group_name": "运动会临时群", "function": "校运会报名", "member_count": 500, "expected_end": today(api.rt).isoformat()}
    r = api.call("POST", "/api/registry/temp-groups", "staff_cs", 422, json={"data": big})
    assert "请按常规程序申请新建工作群组审批" in r["detail"] and r["errors"][0]["field"] == "member_count"
    group = api.call("POST", "/api/registry/temp-groups", "staff_cs", 201, json={"data": {**big, "member_count": 12}})
    assert group["temporary"] and group["group_status"] == "filed"
    members = cs_staff(api.rt)
    roster = api.call("PUT", f"/api/registry/groups/{group['group_id']}/members", "staff_cs", json={"members": members})
    assert roster["total"] == 2

    leave = api.start("head_cs", "member_exit")
    api.complete("head_cs", leave["id"], "apply", {"group_name": "运动会临时群", "member_username": members[0], "reason": "transfer"})
    done = api.complete("staff_cs", leave["id"], "remove_member", {"result": "removed", "removed_on": today(api.rt).isoformat()})
    assert done["status"] == "completed"
    assert [m["username"] for m in api.call("GET", f"/api/registry/groups/{group['group_id']}/members", "staff_cs")["items"]] == members[1:]

    end = api.start("staff_cs", "temp_group_expiry")
    api.complete("staff_cs", end["id"], "report_end", {"group_name": "运动会临时群", "note": "运动会结束"})
    done = api.complete("staff_cs", end["id"], "confirm_dissolve", {"action": "dissolved", "dissolved_on": today(api.rt).isoformat()})
    assert done["status"] == "completed"
    assert api.call("GET", "/api/registry/groups?status=dissolved", "staff_cs")["items"][0]["group_name"] == "运动会临时群"


def test_cleanup_campaign_with_a_spreadsheet(api):
    deadline = (today(api.rt) + timedelta(days=20)).isoformat()
    campaign = api.start("admin", "cleanup_refiling")
    api.complete("admin", campaign["id"], "launch", {"campaign_name": "2026年清理规范", "deadline": deadline, "unit_names": "计算机工程学院"})
    progress = api.call("GET", f"/api/campaigns/{campaign['id']}/progress", "admin")
    assert (progress["units_total"], progress["units_done"]) == (1, 0)
    part = progress["items"][0]["instance_id"]
    assert api.call("GET", f"/api/campaigns/{campaign['id']}/progress", "stats_cs")["total"] == 1
    api.call("GET", f"/api/campaigns/{campaign['id']}/progress", "staff_cs", 403)

    owner = cs_staff(api.rt, 1)[0]
    sheet = ("工作群名称,群类别,群主,人员范围,人数,群功能,群信息发布规则,保留依据,处理意见\n"
             f"计算机工程学院教职工群,微信工作群,staff_cs,全院教职工,80,工作通知,仅发布工作通知,学院日常管理需要,保留\n"
             f"计算机工程学院2018级班主任群,QQ工作群,{owner},2018级班主任,12,毕业班事务,,,解散\n").encode("utf-8")
    preview = api.call("POST", "/api/campaigns/group-sheet", "stats_cs", files={"file": ("清单.csv", sheet, "text/csv")})
    assert preview["total"] == 2
    bad = api.call("POST", "/api/campaigns/group-sheet", "stats_cs", 422, files={"file": ("清单.txt", b"x", "text/plain")})
    assert bad["errors"][0]["row"] == 0
    task = api.task("stats_cs", part, "list_groups")
    api.call("POST", f"/api/tasks/{task['id']}/group-sheet", "stats_cs", files={"file": ("清单.csv", sheet, "text/csv")},
             data={"original_count": "3"})
    api.complete("head_cs", part, "unit_head_sign", {"decision": "approve", "opinion": "同意"})
    api.complete("secretary_cs", part, "secretary_sign", {"decision": "approve", "opinion": "同意"})
    assert api.complete(owner, part, "confirm_dissolve", {"dissolved_on": deadline})["status"] == "completed"
    final = api.call("GET", f"/api/instances/{campaign['id']}", "admin")
    assert final["status"] == "completed" and [d["kind"] for d in final["documents"]] == ["report"]
    assert api.call("GET", f"/api/instances/{part}", "stats_cs")["documents"][0]["kind"] == "att3"


def test_periodic_starts_are_for_administrators(api):
    assert api.call("POST", "/api/periodic/temp-groups", "admin")["total"] == 0
    api.call("POST", "/api/periodic/idle-accounts", "staff_cs", 403)
    api.call("POST", "/api/periodic/nothing", "admin", 422)
