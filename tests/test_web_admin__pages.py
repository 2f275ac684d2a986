"""Admin and modeler pages render for the right people (no browser): 200 for overseers / owners, 403 for staff."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.flaky import FLAKY, deploy_flaky
from tests.flows import apply
from workflows.api.app import create_app
from workflows.services import instances


@pytest.fixture
def app_rt(sqlite_rt):
    deploy_flaky(sqlite_rt)
    FLAKY.fail = True
    apply(sqlite_rt)
    failed = instances.start_process(sqlite_rt, "test_flaky", "staff_cs", {})
    yield sqlite_rt, failed
    FLAKY.fail = True


def signed_in(rt, username):
    client = TestClient(create_app(rt))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": username, "password": "demo", "csrf_token": token}, follow_redirects=False).status_code == 303
    return client


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


DASHBOARD = ["/admin", "/admin/instances", "/admin/instances?process=group_approval&status=running&overdue=1&started_from=2020-01-01",
             "/admin/sla", "/admin/registry", "/admin/incidents", "/admin/processes/group_approval", "/admin/processes/group_approval?version=1"]
MODELER = ["/modeler", "/modeler/group_approval", "/modeler/group_approval/versions"]


def test_pages_for_each_role(app_rt):
    rt, failed = app_rt
    admin, discipline, staff = signed_in(rt, "admin"), signed_in(rt, "discipline"), signed_in(rt, "staff_cs")
    for path in DASHBOARD + [f"/admin/instances/{failed}", f"/admin/sla?unit=2", "/admin/sla?person=4"]:
        assert admin.get(path).status_code == 200, path
        assert discipline.get(path).status_code == 200, path
        assert staff.get(path).status_code == 403, path
    for path in MODELER:
        assert admin.get(path).status_code == 200, path
        assert discipline.get(path).status_code == 403, path
    assert "管理" in admin.get("/").text and "管理" not in staff.get("/").text
    page = admin.get(f"/admin/instances/{failed}").text
    assert "外部登记系统无响应" in page and 'id="retry"' in page
    assert 'id="retry"' not in discipline.get(f"/admin/instances/{failed}").text
    assert "bad date" not in admin.get("/admin/instances?started_from=bad").text
    assert "格式不对" in admin.get("/admin/instances?started_from=bad").text
    assert TestClient(create_app(rt)).get("/admin", follow_redirects=False).headers["location"].startswith("/login")


def test_retry_from_the_page_is_admin_only(app_rt):
    rt, failed = app_rt
    discipline = signed_in(rt, "discipline")
    r = discipline.post(f"/admin/instances/{failed}/retry", data={"csrf_token": csrf(discipline, "/admin")}, follow_redirects=False)
    assert r.status_code == 403
    admin = signed_in(rt, "admin")
    FLAKY.fail = False
    r = admin.post(f"/admin/instances/{failed}/retry", data={"csrf_token": csrf(admin, "/admin")})
    assert r.status_code == 200 and "已重试" in r.text and "运行中" in r.text
    assert admin.post(f"/admin/instances/{failed}/retry", data={}).status_code == 403  # no CSRF token


def test_versions_page_compares_migrates_and_rolls_back(app_rt):
    from tests.diagram_edits import reference, set_timer
    from workflows.services import modeler

    rt, _ = app_rt
    modeler.deploy(rt, "admin", "group_approval", set_timer(reference(), "apply_remind_timer", "P2WD"))
    admin = signed_in(rt, "admin")
    page = admin.get("/modeler/group_approval/versions?from=1&to=2").text
    assert "apply_remind_timer" in page and "timeDuration P3WD" in page and "timeDuration P2WD" in page
    token = csrf(admin, "/modeler/group_approval/versions")
    dry = admin.post("/modeler/group_approval/migrate", data={"csrf_token": token, "to_version": "2", "dry_run": "1"}).text
    assert "试运行：可迁移 1 个" in dry
    done = admin.post("/modeler/group_approval/migrate", data={"csrf_token": token, "to_version": "2", "dry_run": "0"}).text
    assert "已迁移" in done
    rolled = admin.post("/modeler/group_approval/rollback", data={"csrf_token": token, "to_version": "1"}).text
    assert "已回滚" in rolled and "第 3 版" in rolled
