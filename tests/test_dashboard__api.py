"""The /api/admin routes: what the dashboard pages do, for scripts; overseers read, administrators act (403 else)."""

from __future__ import annotations

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.flaky import FLAKY, deploy_flaky
from tests.flows import apply
from workflows.api.app import create_app
from workflows.services import instances


@pytest.fixture
def client(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as c:
        yield c


def login(client, username):
    r = client.post("/api/auth/token", data={"username": username, "password": "demo"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def failed(sqlite_rt):
    deploy_flaky(sqlite_rt)
    FLAKY.fail = True
    iid = instances.start_process(sqlite_rt, "test_flaky", "staff_cs", {})
    yield iid
    FLAKY.fail = True


def test_reads_for_overseers_only(client, sqlite_rt):
    iid = apply(sqlite_rt)
    admin, discipline, staff = login(client, "admin"), login(client, "discipline"), login(client, "staff_cs")
    for path in ("/api/admin/overview", "/api/admin/instances", f"/api/admin/instances/{iid}", "/api/admin/sla",
                 "/api/admin/sla/tasks", "/api/admin/registry", "/api/admin/incidents", "/api/admin/filters",
                 "/api/admin/processes/group_approval/counts", "/api/admin/export.xlsx"):
        assert client.get(path, headers=staff).status_code == 403, path
        assert client.get(path, headers=discipline).status_code == 200, path
    assert client.get("/api/admin/overview").status_code == 401
    found = client.get("/api/admin/instances", params={"process": "group_approval", "status": "running", "started_by": "staff_cs"},
                       headers=admin).json()
    assert found["total"] == 1 and found["items"][0]["id"] == iid and found["items"][0]["tasks"][0]["name"] == "单位(部门)负责人审核"
    assert client.get("/api/admin/instances", params={"status": "bogus"}, headers=admin).status_code == 422
    assert client.get("/api/admin/instances", params={"started_from": "not-a-date"}, headers=admin).status_code == 422
    counts = client.get("/api/admin/processes/group_approval/counts", params={"version": 1}, headers=admin).json()
    assert counts["counts"]["unit_head_review"]["open"] == 1 and counts["xml"].startswith("<?xml")
    detail = client.get(f"/api/admin/instances/{iid}", headers=admin).json()
    assert "unit_head_review" in detail["current"]
    r = client.get("/api/admin/export.xlsx", params={"process": "group_approval"}, headers=admin)
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(BytesIO(r.content)).sheetnames[0] == "流程实例"


def test_incident_actions_are_admin_only_and_audited(client, sqlite_rt, failed):
    admin, discipline, staff = login(client, "admin"), login(client, "discipline"), login(client, "staff_cs")
    listed = client.get("/api/admin/incidents", headers=discipline).json()
    assert listed["total"] == 1 and listed["items"][0]["instance_id"] == failed
    for action in ("retry", "skip", "terminate"):
        for who in (staff, discipline):
            assert client.post(f"/api/admin/instances/{failed}/{action}", json={}, headers=who).status_code == 403
    FLAKY.fail = False
    r = client.post(f"/api/admin/instances/{failed}/retry", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "running"
    assert client.post(f"/api/admin/instances/{failed}/skip", json={}, headers=admin).status_code == 409
    r = client.post(f"/api/admin/instances/{failed}/terminate", json={"reason": "测试终止"}, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "terminated"
    history = [(h["who"], h["action"]) for h in r.json()["history"]]
    assert ("admin", "retry") in history and ("admin", "terminate") in history


def test_session_cookie_calls_need_the_csrf_header(client, sqlite_rt, failed):
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": "admin", "password": "demo", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.post(f"/api/admin/instances/{failed}/terminate", json={}).status_code == 403  # no X-CSRF-Token
    assert client.get("/api/admin/overview").status_code == 200
