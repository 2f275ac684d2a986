"""The HTTP API of interface.md: auth, start, tasks, complete with 401/403/409/422 and nothing half-applied."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.flows import APPLICATION
from workflows.api.app import create_app
from workflows.db import unit_of_work
from workflows.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance


@pytest.fixture
def client(rt):
    with TestClient(create_app(rt)) as c:
        yield c


def login(client: TestClient, username: str, password: str = "demo") -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


def counts(rt) -> tuple[int, int, int]:
    with unit_of_work(write=False, engine=rt.db) as s:
        return (s.scalar(select(func.count()).select_from(ProcessInstance)),
                s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "completed")),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_401_without_or_with_bad_credentials(client):
    assert client.get("/api/tasks").status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    r = client.post("/api/auth/token", data={"username": "staff_cs", "password": "wrong"})
    assert r.status_code == 401 and r.json()["detail"] == "用户名或密码错误"


def test_full_approval_over_http(client, rt):
    staff, head, party = login(client, "staff_cs"), login(client, "head_cs"), login(client, "party_cs")
    procs = client.get("/api/processes", headers=staff).json()
    assert {"key": "group_approval", "name": "新建工作群组审批", "version": 1} .items() <= next(p for p in procs["items"] if p["key"] == "group_approval").items()
    r = client.post("/api/processes/group_approval/instances", json={"data": {}}, headers=staff)
    assert r.status_code == 201
    inst = r.json()
    assert inst["status"] == "running" and inst["tasks"][0]["name"] == "填写工作群审批表"
    task_id = inst["tasks"][0]["id"]
    form = client.get(f"/api/tasks/{task_id}", headers=staff).json()["form"]
    assert form["properties"]["group_kind"]["enum"] == ["wechat_group", "qq_group"]
    assert client.post(f"/api/tasks/{task_id}/complete", json={"data": APPLICATION}, headers=staff).status_code == 200
    mine = client.get("/api/tasks?scope=mine", headers=head).json()
    assert mine["total"] == 1 and mine["items"][0]["process"] == "group_approval" and mine["items"][0]["due"]
    assert mine["items"][0]["candidates"]["role"] == "unit_head"
    r = client.post(f"/api/tasks/{mine['items'][0]['id']}/complete", json={"data": {"decision": "approve", "opinion": "同意"}}, headers=head)
    assert r.status_code == 200
    task = client.get("/api/tasks?scope=mine", headers=party).json()["items"][0]
    r = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"decision": "approve", "opinion": "准予备案"}}, headers=party)
    inst = r.json()
    assert inst["status"] == "completed"
    assert [h["opinion"] for h in inst["history"] if h["decision"]] == ["同意", "准予备案"]
    assert client.get("/api/tasks?scope=done", headers=party).json()["total"] == 1
    started = client.get("/api/tasks?scope=started", headers=staff).json()
    assert started["total"] == 0
    assert client.get(f"/api/instances/{inst['id']}", headers=login(client, "admin")).status_code == 200
    assert client.get(f"/api/instances/{inst['id']}", headers=login(client, "staff_me")).status_code == 403


def test_403_422_409_change_nothing(client, rt):
    staff, head = login(client, "staff_cs"), login(client, "head_cs")
    inst = client.post("/api/processes/group_approval/instances", json={"data": APPLICATION}, headers=staff).json()
    task_id = inst["tasks"][0]["id"]
    before = counts(rt)
    r = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "approve"}}, headers=login(client, "head_me"))
    assert r.status_code == 403 and "无权" in r.json()["detail"]
    r = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "maybe", "evil": "x"}}, headers=head)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"decision", "evil"} <= fields
    r = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "reject"}}, headers=head)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "opinion"
    assert counts(rt) == before
    assert client.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "approve"}}, headers=head).status_code == 200
    after = counts(rt)
    r = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"decision": "approve"}}, headers=head)
    assert r.status_code == 409
    assert counts(rt) == after
    assert client.post("/api/tasks/999999/complete", json={"data": {}}, headers=head).status_code == 404


def test_start_with_invalid_data_creates_nothing(client, rt):
    staff = login(client, "staff_cs")
    before = counts(rt)
    r = client.post("/api/processes/group_approval/instances", json={"data": {"member_count": "很多", "nope": 1}}, headers=staff)
    assert r.status_code == 422
    assert counts(rt) == before
    assert client.post("/api/processes/unknown/instances", json={"data": {}}, headers=staff).status_code == 404


def test_deploy_api_refuses_bad_diagram_with_element_errors(client, rt):
    admin = login(client, "admin")
    good = (rt.settings.bpmn_dir / "group_approval.bpmn").read_bytes()
    bad = good.replace(b'camunda:topic="file_group"', b'camunda:topic="rm_rf"').replace(b'camunda:candidateGroups="unit_head"', b'camunda:candidateGroups="janitor"')
    r = client.post("/api/deployments", files=[("files", ("group_approval.bpmn", bad, "application/xml"))], headers=admin)
    assert r.status_code == 422
    elements = {e["element_id"] for e in r.json()["detail"]}
    assert {"file_group", "unit_head_review"} <= elements
    with unit_of_work(write=False, engine=rt.db) as s:
        assert s.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == "group_approval")) == 1
    r = client.post("/api/deployments", files=[("files", ("group_approval.bpmn", good.replace(b"P3WD", b"P2WD"), "application/xml"))], headers=admin)
    assert r.status_code == 200 and r.json()["items"][0]["version"] == 2
    r = client.post("/api/deployments", files=[("files", ("g.bpmn", good, "application/xml"))], headers=login(client, "staff_cs"))
    assert r.status_code == 403


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in ["/api/auth/token", "/api/processes", "/api/processes/{key}/instances", "/api/instances/{instance_id}",
                 "/api/tasks", "/api/tasks/{task_id}", "/api/tasks/{task_id}/complete", "/api/documents/{document_id}", "/api/deployments"]:
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 200
