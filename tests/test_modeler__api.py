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
