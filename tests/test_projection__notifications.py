"""Who is told about a new task: its assignee, or every holder of its role in its scope who has not left."""

from __future__ import annotations

from sqlalchemy import select

from tests.flows import apply, open_task
from workflows.db import unit_of_work
from workflows.models import Notification, Person, RoleAssignment


def _holders_of_unit_head(rt, active: str, gone: str) -> None:
    with unit_of_work(engine=rt.db) as s:
        head = s.scalar(select(Person).where(Person.username == "head_cs"))
        scope = next(r.scope for r in head.roles if r.role == "unit_head")
        for username, status in ((active, "active"), (gone, "left")):
            person = s.scalar(select(Person).where(Person.username == username))
            person.status = status
            s.add(RoleAssignment(person_id=person.id, role="unit_head", scope=scope))


def test_new_review_task_notifies_every_active_holder(rt):
    _holders_of_unit_head(rt, active="staff_cs2", gone="secretary_cs")
    iid = apply(rt)
    task = open_task(rt, "head_cs", "unit_head_review")
    with unit_of_work(write=False, engine=rt.db) as s:
        told = set(s.scalars(select(Person.username).join(Notification, Notification.person_id == Person.id)
                             .where(Notification.task_id == task["id"], Notification.kind == "task")))
        titles = set(s.scalars(select(Notification.title).where(Notification.task_id == task["id"])))
    assert told == {"head_cs", "staff_cs2"}  # not secretary_cs, who has left
    assert len(titles) == 1 and titles.pop().startswith(f"新待办：{task['name']}（")  # one title for all of them
    # the applicant's own first task went to the applicant alone
    with unit_of_work(write=False, engine=rt.db) as s:
        first = s.scalars(select(Person.username).join(Notification, Notification.person_id == Person.id)
                          .where(Notification.instance_id == iid, Notification.task_id != task["id"])).all()
    assert first == ["staff_cs"]
