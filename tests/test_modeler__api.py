"""The /api/modeler routes: process owners only; validate names elements; deploy, compare, migrate, rollback."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.diagram_edits import reference, set_attribute, set_timer
from tests.flows import apply
from workflows.api.app import create_app


@pytest.fixture
def client(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as c:
        yield c


def login(client, username):
    r = client.post("/api/auth/token", data={"username": username, "password": "demo"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_only_process_owners(client):
    staff, discipline = login(client, "staff_cs"), login(client, "discipline")
    xml = set_timer(reference(), "apply_remind_timer", "P2WD").decode()
    for who in (staff, discipline):
        assert client.get("/api/modeler/catalogue", headers=who).status_code == 403
        assert client.get("/api/modeler/group_approval/diagram", headers=who).status_code == 403
        assert client.post("/api/modeler/group_approval/validate", json={"xml": xml}, headers=who).status_code == 403
        assert client.post("/api/modeler/group_approval/deploy", json={"xml": xml}, headers=who).status_code == 403
        assert client.post("/api/modeler/group_approval/rollback", json={}, headers=who).status_code == 403
    assert client.get("/api/modeler/processes", headers=login(client, "admin")).json()["total"] >= 1


def test_edit_deploy_compare_migrate_rollback(client, sqlite_rt):
    admin = login(client, "admin")
    old = apply(sqlite_rt)
    current = client.get("/api/modeler/group_approval/diagram", headers=admin).json()
    assert current["version"] == 1 and "P3WD" in current["xml"]
    bad = set_attribute(reference(), "unit_head_review", "dueDate", "三天").decode()
    checked = client.post("/api/modeler/group_approval/validate", json={"xml": bad}, headers=admin).json()
    assert not checked["valid"] and checked["errors"][0]["element_id"] == "unit_head_review"
    refused = client.post("/api/modeler/group_approval/deploy", json={"xml": bad}, headers=admin)
    assert refused.status_code == 422 and refused.json()["detail"][0]["element_id"] == "unit_head_review"
    good = set_attribute(set_timer(reference(), "apply_remind_timer", "P2WD"), "party_org_review", "candidateGroups", "secretary").decode()
    deployed = client.post("/api/modeler/group_approval/deploy", json={"xml": good}, headers=admin).json()
    assert deployed == {"key": "group_approval", "name": "新建工作群组审批", "version": 2, "created": True}
    diff = client.get("/api/modeler/group_approval/compare", params={"from": 1, "to": 2}, headers=admin).json()
    assert {c["id"] for c in diff["changed"]} == {"apply_remind_timer", "party_org_review"}
    dry = client.post("/api/modeler/group_approval/migrate", json={"to_version": 2, "dry_run": True}, headers=admin).json()
    assert dry["migrated"] == 1 and dry["dry_run"]
    moved = client.post("/api/modeler/group_approval/migrate", json={"to_version": 2, "instance_ids": [old]}, headers=admin).json()
    assert moved["items"][0]["migrated"] is True
    processes = client.get("/api/modeler/processes", headers=admin).json()["items"]
    ga = next(p for p in processes if p["key"] == "group_approval")
    assert [(v["version"], v["instances"]) for v in ga["versions"]] == [(1, {}), (2, {"running": 1})]
    rolled = client.post("/api/modeler/group_approval/rollback", json={}, headers=admin).json()
    assert rolled["version"] == 3 and rolled["restored"] == 1
    history = client.get("/api/modeler/group_approval/history", headers=admin).json()["items"]
    assert [h["action"] for h in history][:2] == ["rollback", "deploy"]


def test_a_new_process_is_a_draft_until_its_first_deploy(client, sqlite_rt):
    """新建流程: version 1 from the starter diagram, which nobody can start and the start list does not offer;
    deploying it from the modeler (changed or as it is) publishes it; a taken key or a bad one is refused."""
    admin, staff = login(client, "admin"), login(client, "staff_cs")
    assert client.post("/api/modeler/processes", json={"key": "seal_use", "name": "用印申请"}, headers=staff).status_code == 403
    created = client.post("/api/modeler/processes", json={"key": "seal_use", "name": "用印申请"}, headers=admin)
    assert created.status_code == 201 and created.json() == {"key": "seal_use", "name": "用印申请", "version": 1, "published": False}
    taken = client.post("/api/modeler/processes", json={"key": "seal_use", "name": "另一个"}, headers=admin)
    assert taken.status_code == 409 and "已存在" in taken.json()["detail"]
    bad = client.post("/api/modeler/processes", json={"key": "Seal-Use", "name": " "}, headers=admin)
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"key", "name"}
    assert client.post("/api/modeler/processes", json={"key": "group_approval", "name": "x"}, headers=admin).status_code == 409

    draft = client.get("/api/modeler/seal_use/diagram", headers=admin).json()
    assert draft["version"] == 1 and draft["published"] is False and 'name="用印申请"' in draft["xml"]
    assert client.post("/api/modeler/seal_use/validate", json={"xml": draft["xml"]}, headers=admin).json()["valid"]
    assert "seal_use" not in {p["key"] for p in client.get("/api/processes", headers=staff).json()["items"]}
    refused = client.post("/api/processes/seal_use/instances", json={"data": {}}, headers=staff)
    assert refused.status_code == 404 and "尚未部署" in refused.json()["detail"]
    listed = next(p for p in client.get("/api/modeler/processes", headers=admin).json()["items"] if p["key"] == "seal_use")
    assert listed["current"] is None

    published = client.post("/api/modeler/seal_use/deploy", json={"xml": draft["xml"]}, headers=admin).json()
    assert published == {"key": "seal_use", "name": "用印申请", "version": 1, "created": True}
    assert client.get("/api/modeler/seal_use/diagram", headers=admin).json()["published"] is True
    inst = client.post("/api/processes/seal_use/instances", json={"data": {"group_name": "学院公章", "details": "盖章：教学材料"}},
                       headers=staff)
    assert inst.status_code == 201 and inst.json()["tasks"][0]["element"] == "unit_head_review"
    head = login(client, "head_cs")
    done = client.post(f"/api/tasks/{inst.json()['tasks'][0]['id']}/complete", json={"data": {"decision": "approve"}}, headers=head)
    assert done.status_code == 200 and done.json()["status"] == "completed"
    history = client.get("/api/modeler/seal_use/history", headers=admin).json()["items"]
    assert [h["action"] for h in history] == ["deploy", "create"] and history[0]["details"]["published"] is True
