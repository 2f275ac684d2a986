"""The scaled deployment (deployments/README.md) on loopback: PostgreSQL, a Prefect server on its own PostgreSQL
database, two Prefect workers on a work pool, two web processes (one also dispatching timer wake-ups). A bounded
mixed load through both web processes — group approvals (with the same approval sent to both web processes at
once), timer probes left to their 20-second timer, and probes whose task a person completes right at the due
time — must end with no lost update, no timer fired twice and no error. Real time: waits for real timers."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from tests.plugins.system_parts import need
from workflows.bench.pgcluster import find_postgres_bindir
from workflows.bench.topology import WORK_POOL, Topology
from workflows.models import AuditEvent, HumanTask, Incident, ProcessInstance

pytestmark = pytest.mark.slow

PROBE = Path(__file__).parent / "data" / "timer_probe.bpmn"
APPROVALS, PROBES, RACED_PROBES = 12, 8, 3
TIMER_S = 20.0
RACE_OFFSETS_S = (-1.0, -0.2, 0.1)  # the person's completion relative to the due time (started + TIMER_S)
APPLICATION = {"group_kind": "wechat_group", "function": "发布工作通知", "member_scope": "学院教师", "member_count": 30,
               "owner_name": "李老师", "admins": "赵老师", "contact": "13912345678", "line": "teaching",
               "is_student": False, "posting_rules": "只发布工作通知"}
APPROVE = {"decision": "approve", "opinion": "同意"}


@pytest.fixture(scope="module")
def topology():
    if find_postgres_bindir() is None:
        need("postgresql", "no PostgreSQL server binaries (initdb, pg_ctl); apt-get install postgresql")
    topo = Topology(workers=2, web=2)
    try:
        topo.start()
    except Exception as exc:
        pytest.fail(f"the scaled topology did not come up: {exc}")
    yield topo
    topo.stop()


class Client:
    """Logs the three demo people in once; sends each request to the next web process (round robin)."""

    def __init__(self, urls: list[str]) -> None:
        self.clients = [httpx.Client(base_url=u, timeout=60) for u in urls]
        self._next = itertools.cycle(range(len(urls)))
        self._lock = threading.Lock()
        self.auth = {}
        for user in ("staff_cs", "head_cs", "party_cs", "admin"):
            r = self.clients[0].post("/api/auth/token", data={"username": user, "password": "demo"})
            r.raise_for_status()
            self.auth[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        self.statuses: list[int] = []

    def post(self, path: str, user: str, data: dict[str, Any], web: int | None = None) -> httpx.Response:
        if web is None:
            with self._lock:
                web = next(self._next)
        r = self.clients[web].post(path, json={"data": data}, headers=self.auth[user])
        with self._lock:
            self.statuses.append(r.status_code)
        return r


def ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
    return r.json()


def approval(client: Client, i: int, race: bool) -> dict[str, Any]:
    inst = ok(client.post("/api/processes/group_approval/instances", "staff_cs", {}))
    inst = ok(client.post(f"/api/tasks/{inst['tasks'][0]['id']}/complete", "staff_cs",
                          {**APPLICATION, "group_name": f"计算机工程学院第{i}期负载测试群"}))
    head_task = inst["tasks"][0]["id"]
    if race:  # the same approval on both web processes at once: exactly one wins, the other gets 409
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda web: client.post(f"/api/tasks/{head_task}/complete", "head_cs", APPROVE, web), (0, 1)))
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text[:200] for r in answers]
        inst = next(r for r in answers if r.status_code == 200).json()
    else:
        inst = ok(client.post(f"/api/tasks/{head_task}/complete", "head_cs", APPROVE))
    inst = ok(client.post(f"/api/tasks/{inst['tasks'][0]['id']}/complete", "party_cs", APPROVE))
    assert inst["status"] == "completed", inst
    return inst


def test_mixed_load_loses_nothing_fires_each_timer_once_and_errs_nowhere(topology: Topology) -> None:
    client = Client(topology.web_urls)
    r = client.clients[0].post("/api/deployments", headers=client.auth["admin"],
                               files=[("files", ("timer_probe.bpmn", PROBE.read_bytes(), "application/xml"))])
    assert r.status_code == 200, r.text

    # timer probes first (their 20 s run while the approvals load both web processes)
    probes: list[tuple[int, int, float]] = []  # instance id, wait task id, started (monotonic)
    for _ in range(PROBES):
        inst = client.post("/api/processes/timer_probe/instances", "staff_cs", {})
        assert inst.status_code == 201, inst.text
        probes.append((inst.json()["id"], inst.json()["tasks"][0]["id"], time.monotonic()))
        time.sleep(0.4)
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda i: approval(client, i, race=i % 3 == 0), range(APPROVALS)))
    assert len(done) == APPROVALS

    # a person completes some probes' task right at the timer's due time: the timer or the person wins, never both
    raced: dict[int, int] = {}
    for (instance_id, task_id, started), offset in zip(probes[:RACED_PROBES], RACE_OFFSETS_S):
        time.sleep(max(0.0, started + TIMER_S + offset - time.monotonic()))
        raced[instance_id] = client.post(f"/api/tasks/{task_id}/complete", "staff_cs", {}).status_code

    engine = create_engine(topology.database_url)
    probe_ids = [p[0] for p in probes]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            fired = dict(conn.execute(select(AuditEvent.instance_id, func.count()).where(
                AuditEvent.instance_id.in_(probe_ids), AuditEvent.action == "timer").group_by(AuditEvent.instance_id)).all())
        if all(fired.get(i) or raced.get(i) == 200 for i in probe_ids):
            break
        time.sleep(1)
    time.sleep(3)  # anything fired twice would show now

    with engine.connect() as conn:
        fired = dict(conn.execute(select(AuditEvent.instance_id, func.count()).where(
            AuditEvent.instance_id.in_(probe_ids), AuditEvent.action == "timer").group_by(AuditEvent.instance_id)).all())
        statuses = dict(conn.execute(select(ProcessInstance.id, ProcessInstance.status)).all())
        open_elements = {i: sorted(conn.execute(select(HumanTask.spec_id).where(
            HumanTask.instance_id == i, HumanTask.state == "open")).scalars()) for i in probe_ids}
        completes = conn.execute(select(AuditEvent.instance_id, AuditEvent.task, func.count()).where(
            AuditEvent.action == "complete").group_by(AuditEvent.instance_id, AuditEvent.task)).all()
        incidents = conn.execute(select(func.count()).select_from(Incident)).scalar()
    engine.dispose()

    for instance_id in probe_ids:
        if raced.get(instance_id) == 200:  # the person won: the timer was cancelled, never fired
            assert fired.get(instance_id, 0) == 0 and statuses[instance_id] == "completed", instance_id
        else:  # the timer fired exactly once and moved the instance on
            assert fired.get(instance_id) == 1, (instance_id, fired, topology.logs())
            assert open_elements[instance_id] == ["after_timer"], (instance_id, open_elements[instance_id])
    assert set(raced.values()) <= {200, 409}, raced
    approvals = [i["id"] for i in done]
    assert all(statuses[i] == "completed" for i in approvals)
    per_task = {(i, task): n for i, task, n in completes}
    assert all(n == 1 for n in per_task.values()), [k for k, n in per_task.items() if n != 1]  # no decision recorded twice
    assert sum(1 for (i, _task) in per_task if i in approvals) == 3 * APPROVALS
    assert "error" not in statuses.values() and incidents == 0
    assert not [s for s in client.statuses if s >= 500], client.statuses

    with httpx.Client(base_url=topology.prefect_api, timeout=10) as prefect:
        bad = prefect.post("/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["FAILED", "CRASHED"]}}}})
        ran = prefect.post("/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["RUNNING", "COMPLETED"]}}}})
    assert bad.json() == [], [(f["name"], f["state"]["message"]) for f in bad.json()]
    workers = {f.get("work_pool_name") for f in ran.json() if f["state"]["type"] in ("RUNNING", "COMPLETED")}
    assert workers == {WORK_POOL}, [(f["name"], f["state"]["type"], f.get("work_pool_name")) for f in ran.json()]
