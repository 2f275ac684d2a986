"""Two people completing the same task at the same moment: exactly one wins, the other gets a conflict."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.flows import apply, open_task
from workflows.db import unit_of_work
from workflows.errors import Conflict
from workflows.models import AuditEvent, HumanTask, Person, RoleAssignment
from workflows.services import instances, queries


def _second_unit_head(rt) -> None:
    with unit_of_work(engine=rt.db) as s:
        head = s.scalar(select(Person).where(Person.username == "head_cs"))
        deputy = s.scalar(select(Person).where(Person.username == "staff_cs2"))
        scope = next(r.scope for r in head.roles if r.role == "unit_head")
        s.add(RoleAssignment(person_id=deputy.id, role="unit_head", scope=scope))


def race(rt, rounds: int = 5) -> None:
    _second_unit_head(rt)
    for _ in range(rounds):
        iid = apply(rt)
        task_id = open_task(rt, "head_cs", "unit_head_review")["id"]
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def complete(user: str, decision: str) -> None:
            barrier.wait()
            try:
                instances.complete_task(rt, task_id, user, {"decision": decision, "opinion": f"{user} 的意见"})
                outcomes[user] = "won"
            except Conflict:
                outcomes[user] = "conflict"

        threads = [threading.Thread(target=complete, args=("head_cs", "approve")), threading.Thread(target=complete, args=("staff_cs2", "reject"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes.values()) == ["conflict", "won"], outcomes
        winner = next(u for u, o in outcomes.items() if o == "won")
        inst = queries.get_instance(rt, "admin", iid)
        with unit_of_work(write=False, engine=rt.db) as s:
            completions = s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.instance_id == iid, AuditEvent.action == "complete", AuditEvent.task == "单位(部门)负责人审核"))
            row = s.get(HumanTask, task_id)
        assert completions == 1
        assert row.completed_by_id is not None
        expected = "running" if winner == "head_cs" else "rejected"
        assert inst["status"] == expected
        assert inst["data"]["decisions"]["unit_head_review"]["username"] == winner


def test_concurrent_completions_postgres(pg_rt):
    race(pg_rt)


def test_concurrent_completions_sqlite(sqlite_rt):
    race(sqlite_rt, rounds=3)
