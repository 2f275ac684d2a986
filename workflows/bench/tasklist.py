"""Task-list latency on a large database: ``GET /api/tasks?scope=mine&limit=50`` (and the use case behind it)
with 100,000 instances and 10,000 open tasks, on SQLite.

The rows are bulk-inserted with SQLAlchemy Core (running the engine 100,000 times would take an hour):
instances of group_approval started by demo people across all units, 90 % finished (their three decision
tasks completed), 10 % running with one open task — the application form (assigned to the applicant), the
unit head's or the Party committee's review (candidate role scoped to the unit / Party organisation), or a
student body's review (school-wide role). The task list never reads the serialized workflow, so those rows
carry an empty state.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from .common import Figure, Sizes, median, percentile, scratch_dir, scratch_runtime, sqlite_url

SAMPLED_USERS = ("head_cs", "party_cs", "xuegong", "staff_cs", "yangong", "tuanwei")
STEPS = (  # spec id, name, role, share of open tasks
    ("apply", "填写工作群审批表", "applicant", 0.15),
    ("unit_head_review", "单位(部门)负责人审核", "unit_head", 0.35),
    ("party_org_review", "二级党组织审批备案", "party_org", 0.35),
    ("student_body_review", "学生工作主管部门审批备案", "student_body", 0.15),
)
STUDENT_BODIES = ("xuegong", "yangong", "tuanwei")


def populate(rt: Any, instances: int, open_tasks: int, seed: int = 20191138) -> None:
    """Insert ``instances`` instances, ``open_tasks`` of them running with one open task."""
    from ..clock import now
    from ..db import unit_of_work
    from ..models import HumanTask, Person, ProcessDefinition, ProcessInstance, Unit

    rnd = random.Random(seed)
    with unit_of_work(engine=rt.db) as s:
        definition = s.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "group_approval")).one()
        people = s.execute(select(Person.id, Person.unit_id, Unit.party_org_id).join(Unit, Unit.id == Person.unit_id)).all()
        first_id = (s.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    t0 = now() - timedelta(days=400)
    running = set(rnd.sample(range(instances), open_tasks))
    weights = [w for *_, w in STEPS]
    inst_rows: list[dict[str, Any]] = []
    task_rows: list[dict[str, Any]] = []

    def flush() -> None:
        with unit_of_work(engine=rt.db) as s:
            if inst_rows:
                s.execute(insert(ProcessInstance.__table__), inst_rows)
            if task_rows:
                s.execute(insert(HumanTask.__table__), task_rows)
        inst_rows.clear()
        task_rows.clear()

    for k in range(instances):
        iid = first_id + k
        starter_id, unit_id, org_id = rnd.choice(people)
        started = t0 + timedelta(minutes=k * 5 + rnd.randint(0, 4))
        is_running = k in running
        status = "running" if is_running else ("completed" if rnd.random() < 0.8 else "rejected")
        inst_rows.append({
            "id": iid, "definition_id": definition.id, "process_key": "group_approval", "version": definition.version,
            "status": status, "unit_id": unit_id, "started_by_id": starter_id, "started_at": started,
            "ended_at": None if is_running else started + timedelta(days=3), "title": definition.name,
            "data": {"group_name": f"工作群{iid}", "applicant_username": "", "member_count": rnd.randint(5, 200)},
            "state": b"{}", "error": None, "revision": 4,
        })
        base = {"instance_id": iid, "process_key": "group_approval", "unit_id": unit_id, "lane": "",
                "reminders_sent": 0, "escalated": False, "decision": None, "opinion": None, "completed_at": None,
                "completed_by_id": None, "assignee_id": None, "candidate_role": "", "candidate_scope": ""}
        if is_running:
            spec_id, name, role, _ = rnd.choices(STEPS, weights)[0]
            task = {**base, "task_guid": str(uuid.uuid4()), "spec_id": spec_id, "name": name, "state": "open",
                    "created_at": started, "due_at": started + timedelta(days=rnd.randint(1, 5))}
            if role == "applicant":
                task["assignee_id"] = starter_id
            elif role == "student_body":
                task["candidate_role"] = rnd.choice(STUDENT_BODIES)
            else:
                task["candidate_role"] = role
                task["candidate_scope"] = f"unit:{unit_id}" if role == "unit_head" else f"org:{org_id}"
            task_rows.append(task)
        else:
            for j, (spec_id, name, role, _) in enumerate(STEPS[:3]):
                done = started + timedelta(hours=j + 1)
                task_rows.append({**base, "task_guid": str(uuid.uuid4()), "spec_id": spec_id, "name": name,
                                  "state": "completed", "created_at": started, "due_at": started + timedelta(days=3),
                                  "completed_at": done, "completed_by_id": starter_id if j == 0 else None,
                                  "assignee_id": starter_id if j == 0 else None,
                                  "candidate_role": "" if j == 0 else role,
                                  "candidate_scope": "" if j == 0 else (f"unit:{unit_id}" if j == 1 else f"org:{org_id}"),
                                  "decision": None if j == 0 else "approve", "opinion": None if j == 0 else "同意"})
        if len(inst_rows) >= 5000:
            flush()
    flush()  # no ANALYZE: the product never runs it, so the planner works as it would in production


def measure_usecase(rt: Any, samples: int) -> float:
    """p95 in ms of ``queries.list_tasks(scope=mine, limit=50)`` over the sampled users."""
    from ..services import queries

    for user in SAMPLED_USERS:
        queries.list_tasks(rt, user, "mine", limit=50)
    times = []
    for k in range(samples):
        start = time.perf_counter()
        queries.list_tasks(rt, SAMPLED_USERS[k % len(SAMPLED_USERS)], "mine", limit=50)
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 95)


def measure_http(base_url: str, samples: int) -> float:
    """p95 in ms of ``GET /api/tasks?scope=mine&limit=50`` (client-side, keep-alive) over the sampled users."""
    import httpx

    from .http import login

    with httpx.Client(base_url=base_url, timeout=30) as client:
        auth = {u: login(client, u) for u in SAMPLED_USERS}
        for user in SAMPLED_USERS:
            client.get("/api/tasks", params={"scope": "mine", "limit": 50}, headers=auth[user]).raise_for_status()
        times = []
        for k in range(samples):
            user = SAMPLED_USERS[k % len(SAMPLED_USERS)]
            start = time.perf_counter()
            r = client.get("/api/tasks", params={"scope": "mine", "limit": 50}, headers=auth[user])
            times.append((time.perf_counter() - start) * 1000)
            r.raise_for_status()
    return percentile(times, 95)


def run(sizes: Sizes) -> list[Figure]:
    from .http import web_server

    with scratch_dir("tasklist") as var_dir:
        url = sqlite_url(var_dir)
        rt = scratch_runtime(url, var_dir)
        populate(rt, sizes.tasklist_instances, sizes.tasklist_open)
        usecase = median([measure_usecase(rt, sizes.tasklist_samples) for _ in range(min(sizes.repeats, 3))])
        dashboard = measure_dashboard(rt, samples=max(5, min(sizes.tasklist_samples // 10, 20)))
        rt.db.dispose()
        with web_server(url, var_dir) as server:
            over_http = median([measure_http(server.base_url, sizes.tasklist_samples) for _ in range(min(sizes.repeats, 3))])
    detail = f"{sizes.tasklist_instances} instances, {sizes.tasklist_open} open tasks, users {', '.join(SAMPLED_USERS)}"
    return [Figure("tasklist_p95", over_http, "ms", detail), Figure("tasklist_usecase_p95", usecase, "ms", detail),
            *[Figure(f"dashboard_{page}_p95", ms, "ms", detail) for page, ms in dashboard.items()],
            Figure("dashboard_page_p95_max", max(dashboard.values()), "ms", f"slowest dashboard page; {detail}")]


def measure_dashboard(rt: Any, samples: int) -> dict[str, float]:
    """p95 per administrators' dashboard page (its database work) on the populated database."""
    from ..services.dashboard import dashboard_page_timings

    runs = [dashboard_page_timings(rt) for _ in range(samples)]
    return {page: percentile([run[page] for run in runs], 95) for page in runs[0]}
