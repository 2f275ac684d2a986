"""The JSON routes of the actions: status codes (200/201/403/409/422), shapes, and CSRF for cookie sessions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.flows import apply, open_task
from workflows.api.app import create_app


@pytest.fixture
def client(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as c:
        yield c


def bearer(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_claim_transfer_add_sign_and_complete(client, sqlite_rt):
    iid = apply(sqlite_rt)
    head, staff2, sec, me = (bearer(client, u) for u in ("head_cs", "staff_cs2", "secretary_cs", "staff_me"))
    tid = open_task(sqlite_rt, "head_cs", "unit_head_review")["id"]
    assert client.post(f"/api/tasks/{tid}/claim", headers=me).status_code == 403
    r = client.post(f"/api/tasks/{tid}/claim", headers=head)
    assert r.status_code == 200 and r.json()["tasks"][0]["assignee"] == "head_cs"
    r = client.post(f"/api/tasks/{tid}/add-sign", headers=head, json={"to": "secretary_cs", "note": "请把关"})
    assert r.status_code == 201
    child = r.json()["addsign_task_id"]
    r = client.post(f"/api/tasks/{tid}/complete", headers=head, json={"data": {"decision": "approve"}})
    assert r.status_code == 409 and "加签" in r.json()["detail"]
    r = client.post(f"/api/tasks/{child}/complete", headers=sec, json={"data": {"decision": "maybe"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "decision"
    assert client.post(f"/api/tasks/{child}/complete", headers=sec, json={"data": {"decision": "approve"}}).status_code == 200
    assert client.post(f"/api/tasks/{tid}/transfer", headers=me, json={"to": "staff_cs2"}).status_code == 403
    assert client.post(f"/api/tasks/{tid}/transfer", headers=head, json={"to": "nobody"}).status_code == 422
    r = client.post(f"/api/tasks/{tid}/transfer", headers=head, json={"to": "staff_cs2", "note": "请代办"})
    assert r.status_code == 200 and r.json() == {"instance_id": iid, "task_id": tid, "assignee": "staff_cs2"}
    r = client.post(f"/api/tasks/{tid}/complete", headers=staff2, json={"data": {"decision": "approve"}})
    assert r.status_code == 200 and r.json()["tasks"][0]["element"] == "party_org_review"
    actions = [h["action"] for h in r.json()["history"]]
    assert {"claim", "add_sign", "sign", "transfer"} <= set(actions)
    assert client.post(f"/api/tasks/{tid}/claim", headers=head).status_code == 409


def test_copy_urge_notifications_and_copied_scope(client, sqlite_rt):
    iid = apply(sqlite_rt)
    staff, head, prop, me = (bearer(client, u) for u in ("staff_cs", "head_cs", "propaganda", "staff_me"))
    tid = open_task(sqlite_rt, "head_cs", "unit_head_review")["id"]
    assert client.get(f"/api/instances/{iid}", headers=prop).status_code == 403
    assert client.post(f"/api/tasks/{tid}/copy", headers=head, json={"to": ["propaganda"], "note": "请知悉"}).json() == {"copied": 1}
    assert client.post(f"/api/instances/{iid}/copy", headers=me, json={"to": ["propaganda"]}).status_code == 403
    assert client.get(f"/api/instances/{iid}", headers=prop).status_code == 200
    r = client.get("/api/tasks", params={"scope": "copied"}, headers=prop)
    assert r.status_code == 200 and r.json()["total"] == 1 and r.json()["items"][0]["instance_id"] == iid
    assert client.post(f"/api/tasks/{tid}/urge", headers=staff).json() == {"notified": 1}
    r = client.post(f"/api/tasks/{tid}/urge", headers=staff)
    assert r.status_code == 429 and "催办" in r.json()["detail"] and 3500 < int(r.headers["Retry-After"]) <= 3600
    assert client.post(f"/api/tasks/{tid}/urge", headers=me).status_code == 403
    notes = client.get("/api/notifications", headers=head).json()
    assert {"task", "urge"} <= {n["kind"] for n in notes["items"]} and notes["unread"] == notes["total"]
    r = client.post("/api/notifications/read", headers=head, json={})
    assert r.status_code == 200 and r.json()["unread"] == 0


def test_withdraw_statuses(client, sqlite_rt):
    staff, head = bearer(client, "staff_cs"), bearer(client, "head_cs")
    iid = apply(sqlite_rt)
    assert client.post(f"/api/instances/{iid}/withdraw", headers=head, json={}).status_code == 403
    r = client.post(f"/api/instances/{iid}/withdraw", headers=staff, json={"reason": "重复申请"})
    assert r.status_code == 200 and r.json()["status"] == "terminated" and r.json()["tasks"] == []
    assert client.post(f"/api/instances/{iid}/withdraw", headers=staff).status_code == 409
    iid2 = apply(sqlite_rt, group_name="另一个群")
    tid = open_task(sqlite_rt, "head_cs", "unit_head_review")["id"]
    assert client.post(f"/api/tasks/{tid}/complete", headers=head,
                       json={"data": {"decision": "return", "opinion": "请补充"}}).status_code == 200
    r = client.post(f"/api/instances/{iid2}/withdraw", headers=staff)
    assert r.status_code == 409 and "不能撤回" in r.json()["detail"]


def test_drafts_attachments_and_diagram(client, sqlite_rt):
    staff = bearer(client, "staff_cs")
    iid = client.post("/api/processes/group_approval/instances", headers=staff, json={"data": {}}).json()["id"]
    tid = open_task(sqlite_rt, "staff_cs", "apply")["id"]
    r = client.put(f"/api/tasks/{tid}/draft", headers=staff, json={"data": {"group_name": "草稿群", "x": 1}})
    assert r.status_code == 200 and r.json()["data"] == {"group_name": "草稿群"}
    assert client.get(f"/api/tasks/{tid}/draft", headers=staff).json()["data"] == {"group_name": "草稿群"}
    r = client.post(f"/api/instances/{iid}/attachments", headers=staff,
                    files={"file": ("名单.csv", "姓名\n李老师\n".encode(), "text/csv")})
    assert r.status_code == 201
    doc = client.get(f"/api/documents/{r.json()['id']}", headers=staff)
    assert doc.status_code == 200 and doc.content.decode() == "姓名\n李老师\n"
    assert client.get(f"/api/documents/{r.json()['id']}", headers=bearer(client, "staff_me")).status_code == 403
    d = client.get(f"/api/instances/{iid}/diagram", headers=staff).json()
    assert "apply" in d["current"] and "start" in d["completed"] and d["xml"].startswith("<?xml")


def test_cookie_sessions_need_the_csrf_header_on_api_posts(client, sqlite_rt):
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": "staff_cs", "password": "demo", "csrf_token": token},
                       follow_redirects=False).status_code == 303
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/").text).group(1)
    assert client.get("/api/tasks").status_code == 200  # reading with the cookie is fine
    r = client.post("/api/processes/group_approval/instances", json={"data": {}})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post("/api/processes/group_approval/instances", json={"data": {}}, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    r = client.post("/api/processes/group_approval/instances", json={"data": {}}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
