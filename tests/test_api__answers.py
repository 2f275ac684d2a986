"""The start and complete routes answer with the whole instance view, built without a second visibility check
(queries.acted_view): the answer equals what GET /api/instances/{id} shows the same person. Tokens are
checked against the account on every request: a token of someone who has left is refused at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.flows import APPLICATION
from workflows.api.app import create_app
from workflows.db import unit_of_work
from workflows.models import Person

APPROVE = {"decision": "approve", "opinion": "同意"}


@pytest.fixture
def client(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as c:
        yield c


def login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_start_and_complete_answer_what_get_instance_shows(client):
    staff, head, party = login(client, "staff_cs"), login(client, "head_cs"), login(client, "party_cs")
    r = client.post("/api/processes/group_approval/instances", json={"data": {}}, headers=staff)
    assert r.status_code == 201
    inst = r.json()
    assert inst == client.get(f"/api/instances/{inst['id']}", headers=staff).json()
    assert inst["started_by"] == "staff_cs" and inst["history"][0]["action"] == "start"
    for who, data in ((staff, APPLICATION), (head, APPROVE)):
        r = client.post(f"/api/tasks/{inst['tasks'][0]['id']}/complete", json={"data": data}, headers=who)
        assert r.status_code == 200, r.text
        inst = r.json()
        assert inst == client.get(f"/api/instances/{inst['id']}", headers=who).json()
    # a claimed task shows its assignee's username (joined in the same query as the open tasks)
    task_id = inst["tasks"][0]["id"]
    assert client.post(f"/api/tasks/{task_id}/claim", headers=party).status_code == 200
    claimed = client.get(f"/api/instances/{inst['id']}", headers=party).json()
    assert claimed["tasks"][0]["assignee"] == "party_cs" and claimed["tasks"][0]["candidates"] is None
    r = client.post(f"/api/tasks/{task_id}/complete", json={"data": APPROVE}, headers=party)
    inst = r.json()
    assert inst == client.get(f"/api/instances/{inst['id']}", headers=party).json()
    assert inst["status"] == "completed" and inst["tasks"] == []
    assert [h["who"] for h in inst["history"] if h["action"] == "complete"] == ["staff_cs", "head_cs", "party_cs"]


def test_token_of_someone_who_left_is_refused(client, sqlite_rt):
    staff = login(client, "staff_cs")
    assert client.get("/api/tasks", headers=staff).status_code == 200
    with unit_of_work(engine=sqlite_rt.db) as s:
        s.query(Person).filter(Person.username == "staff_cs").one().status = "left"
    for r in (client.get("/api/tasks", headers=staff), client.get("/api/processes", headers=staff),
              client.post("/api/processes/group_approval/instances", json={"data": {}}, headers=staff),
              client.post("/api/tasks/1/complete", json={"data": {}}, headers=staff)):
        assert r.status_code == 401 and r.json()["detail"] == "账号不存在或已停用"
