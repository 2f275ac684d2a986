"""Migrating waiting instances to a newer version: moved when safe, refused with the reason otherwise; audited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from tests.diagram_edits import bypass, insert_task_after, reference, remove_elements, set_attribute, set_timer
from tests.flaky import FLAKY, deploy_flaky
from tests.flows import act, apply, open_task
from workflows.db import unit_of_work
from workflows.errors import Forbidden
from workflows.models import AuditEvent, HumanTask, ProcessInstance, TimerDue
from workflows.services import instances, modeler, queries, timers

APPROVE = {"decision": "approve", "opinion": "同意"}
MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)


def version_of(rt, iid):
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.get(ProcessInstance, iid).version


def test_inserted_step_is_followed_after_migration(sqlite_rt):
    rt = sqlite_rt
    with time_machine.travel(MONDAY, tick=False):
        waiting = apply(rt)
        task_before = open_task(rt, "head_cs", "unit_head_review")
        modeler.deploy(rt, "admin", "group_approval", insert_task_after(reference(), "Flow_unit_done", "extra_review", "书记复核", "secretary"))
        dry = modeler.migrate(rt, "admin", "group_approval", 2, [waiting], dry_run=True)
        assert dry["migrated"] == 1 and version_of(rt, waiting) == 1
        result = modeler.migrate(rt, "admin", "group_approval", 2, [waiting])
        assert result["items"] == [{"instance_id": waiting, "from": 1, "to": 2, "migrated": True, "reasons": []}]
        assert version_of(rt, waiting) == 2
        # the open task kept its identity, due date and timers
        task_after = open_task(rt, "head_cs", "unit_head_review")
        assert (task_after["id"], task_after["due"]) == (task_before["id"], task_before["due"])
        with unit_of_work(write=False, engine=rt.db) as s:
            assert s.get(TimerDue, waiting).due_at == MONDAY + timedelta(days=2)
            event = s.scalar(select(AuditEvent).where(AuditEvent.action == "migrate"))
            assert event.who == "admin" and event.details == {"from": 1, "to": 2, "reassigned": []}
        inst = act(rt, "head_cs", "unit_head_review", APPROVE)
        assert [t["element"] for t in inst["tasks"]] == ["extra_review"]
        inst = act(rt, "secretary_cs", "extra_review", {})
        assert [t["element"] for t in inst["tasks"]] == ["party_org_review"]
    with time_machine.travel(MONDAY + timedelta(days=10), tick=False):
        timers.fire_due_timers(rt)
        assert queries.get_instance(rt, "admin", waiting)["status"] == "running"


def test_changed_role_moves_the_open_task(sqlite_rt):
    rt = sqlite_rt
    iid = apply(rt)
    act(rt, "head_cs", "unit_head_review", APPROVE)
    modeler.deploy(rt, "admin", "group_approval", set_attribute(reference(), "party_org_review", "candidateGroups", "secretary"))
    result = modeler.migrate(rt, "admin", "group_approval", 2)  # every running instance of older versions
    assert result["migrated"] == 1
    assert queries.list_tasks(rt, "party_cs")["total"] == 0
    act(rt, "secretary_cs", "party_org_review", APPROVE)
    assert queries.get_instance(rt, "admin", iid)["status"] == "completed"
    with unit_of_work(write=False, engine=rt.db) as s:
        assert s.scalar(select(AuditEvent.details).where(AuditEvent.action == "migrate"))["reassigned"] == ["party_org_review"]


def test_timer_change_keeps_the_armed_timer(sqlite_rt):
    rt = sqlite_rt
    with time_machine.travel(MONDAY, tick=False):
        iid = apply(rt)
        modeler.deploy(rt, "admin", "group_approval", set_timer(reference(), "unit_head_review_remind_timer", "P1WD"))
        assert modeler.migrate(rt, "admin", "group_approval", 2, [iid])["migrated"] == 1
        with unit_of_work(write=False, engine=rt.db) as s:
            assert s.get(TimerDue, iid).due_at == MONDAY + timedelta(days=2)


@pytest.mark.parametrize("edit, reason", [
    (lambda x: x.replace(b"unit_head_review", b"unit_check"), "在新版本中不存在"),
    (lambda x: remove_elements(x, "unit_head_review_escalate_timer", "unit_head_review_escalate", "unit_head_review_escalate_end",
                               "Flow_unit_head_review_e1", "Flow_unit_head_review_e2"), "分支"),
    (lambda x: bypass(x, "check_duplicates"), "已走过的步骤"),
])
def test_unsafe_migrations_are_refused_with_the_reason(sqlite_rt, edit, reason):
    rt = sqlite_rt
    iid = apply(rt)
    modeler.deploy(rt, "admin", "group_approval", edit(reference()))
    with unit_of_work(write=False, engine=rt.db) as s:
        state_before = s.get(ProcessInstance, iid).state
    result = modeler.migrate(rt, "admin", "group_approval", 2, [iid])
    (item,) = result["items"]
    assert not item["migrated"] and any(reason in r for r in item["reasons"]), item["reasons"]
    with unit_of_work(write=False, engine=rt.db) as s:
        inst = s.get(ProcessInstance, iid)
        assert (inst.version, inst.state) == (1, state_before)
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "migrate")) is None
    act(rt, "head_cs", "unit_head_review", APPROVE)  # still runs on its own version


def test_finished_and_failed_instances_are_not_migrated(sqlite_rt):
    rt = sqlite_rt
    done = apply(rt)
    act(rt, "head_cs", "unit_head_review", {"decision": "reject", "opinion": "不需要"})
    deploy_flaky(rt)
    FLAKY.fail = True
    broken = instances.start_process(rt, "test_flaky", "staff_cs", {})
    modeler.deploy(rt, "admin", "group_approval", set_timer(reference(), "unit_head_review_remind_timer", "P1WD"))
    (item,) = modeler.migrate(rt, "admin", "group_approval", 2, [done])["items"]
    assert not item["migrated"] and "rejected" in item["reasons"][0]
    xml = (rt.settings.root_dir / "tests" / "diagrams" / "test_flaky.bpmn").read_bytes().replace(b"P3WD", b"P4WD")
    modeler.deploy(rt, "admin", "test_flaky", xml)
    (item,) = modeler.migrate(rt, "admin", "test_flaky", 2, [broken])["items"]
    assert not item["migrated"] and "error" in item["reasons"][0]


def test_only_process_owners_migrate(sqlite_rt):
    iid = apply(sqlite_rt)
    modeler.deploy(sqlite_rt, "admin", "group_approval", set_timer(reference(), "unit_head_review_remind_timer", "P1WD"))
    with pytest.raises(Forbidden):
        modeler.migrate(sqlite_rt, "head_cs", "group_approval", 2, [iid])
    with unit_of_work(write=False, engine=sqlite_rt.db) as s:
        assert s.scalar(select(HumanTask.process_key).where(HumanTask.instance_id == iid)) == "group_approval"
        assert s.get(ProcessInstance, iid).version == 1
