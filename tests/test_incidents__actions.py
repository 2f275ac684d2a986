"""Incidents: a failing service task leaves the instance in error; retry, skip and terminate, admin-only, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.flaky import FLAKY, deploy_flaky
from workflows.db import unit_of_work
from workflows.errors import Conflict, Forbidden, InvalidInput
from workflows.models import AuditEvent, HumanTask, Incident, Notification, ProcessInstance, TimerDue
from workflows.services import incidents, instances, queries


@pytest.fixture
def failed(sqlite_rt):
    deploy_flaky(sqlite_rt)
    FLAKY.fail = True
    iid = instances.start_process(sqlite_rt, "test_flaky", "staff_cs", {})
    yield sqlite_rt, iid
    FLAKY.fail = True


def status(rt, iid):
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.get(ProcessInstance, iid).status


def audit(rt, iid, action):
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid, AuditEvent.action == action)).all()


def test_failure_is_listed_as_incident(failed):
    rt, iid = failed
    assert status(rt, iid) == "error"
    listed = incidents.list_incidents(rt, "discipline")
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["instance_id"] == iid and item["element"] == "flaky" and "外部登记系统无响应" in item["error"]
    assert item["process"] == "test_flaky" and item["unit"] == "计算机工程学院"
    with pytest.raises(Forbidden):
        incidents.list_incidents(rt, "staff_cs")


def test_retry_after_the_cause_is_fixed(failed):
    rt, iid = failed
    incidents.retry(rt, iid, "admin")  # still failing: stays in error with a second incident
    assert status(rt, iid) == "error"
    assert incidents.list_incidents(rt, "admin")["total"] == 2
    FLAKY.fail = False
    incidents.retry(rt, iid, "admin")
    assert status(rt, iid) == "running"
    assert incidents.list_incidents(rt, "admin")["total"] == 0
    assert [t["element"] for t in queries.get_instance(rt, "admin", iid)["tasks"]] == ["review"]
    assert [e.who for e in audit(rt, iid, "retry")] == ["admin", "admin"]


def test_skip_continues_without_running_the_handler(failed):
    rt, iid = failed
    calls = FLAKY.calls
    with pytest.raises(InvalidInput):
        incidents.skip(rt, iid, "admin", "review")
    incidents.skip(rt, iid, "admin", "flaky", reason="已人工登记")
    assert FLAKY.calls == calls  # skipped, not run
    inst = queries.get_instance(rt, "admin", iid)
    assert inst["status"] == "running" and [t["element"] for t in inst["tasks"]] == ["review"]
    assert "registered" not in inst["data"]
    (event,) = audit(rt, iid, "skip")
    assert event.who == "admin" and event.task == "flaky" and event.opinion == "已人工登记"
    with unit_of_work(write=False, engine=rt.db) as s:
        assert s.scalar(select(Incident.resolved_at).where(Incident.instance_id == iid)) is not None
    with pytest.raises(Conflict):
        incidents.skip(rt, iid, "admin")


def test_terminate_cancels_everything(failed):
    rt, iid = failed
    FLAKY.fail = False
    incidents.retry(rt, iid, "admin")
    incidents.terminate(rt, iid, "admin", reason="重复申请")
    with unit_of_work(write=False, engine=rt.db) as s:
        inst = s.get(ProcessInstance, iid)
        assert inst.status == "terminated" and inst.ended_at is not None
        assert set(s.scalars(select(HumanTask.state).where(HumanTask.instance_id == iid))) == {"cancelled"}
        assert s.get(TimerDue, iid) is None
        assert s.scalar(select(Notification.title).where(Notification.kind == "outcome", Notification.instance_id == iid))
    (event,) = audit(rt, iid, "terminate")
    assert event.who == "admin" and event.opinion == "重复申请" and event.details == {"previous_status": "running"}
    with pytest.raises(Conflict):
        incidents.terminate(rt, iid, "admin")


def test_terminate_an_instance_in_error(failed):
    rt, iid = failed
    incidents.terminate(rt, iid, "admin")
    assert status(rt, iid) == "terminated"
    assert incidents.list_incidents(rt, "admin")["total"] == 0


@pytest.mark.parametrize("action", ["retry", "skip", "terminate"])
def test_only_administrators(failed, action):
    rt, iid = failed
    for who in ("staff_cs", "discipline", "head_cs"):
        with pytest.raises(Forbidden):
            getattr(incidents, action)(rt, iid, who)
    assert status(rt, iid) == "error"
    assert not audit(rt, iid, action)


def test_a_failed_timer_is_retried_not_skipped(sqlite_rt):
    from tests.flows import apply
    from workflows.services.timers import record_sweep_failure

    iid = apply(sqlite_rt)
    record_sweep_failure(sqlite_rt, iid, RuntimeError("数据库连接中断（测试）"))
    assert status(sqlite_rt, iid) == "error"
    (item,) = incidents.list_incidents(sqlite_rt, "admin")["items"]
    assert item["element"] == "" and "定时器触发失败" in item["error"]
    with pytest.raises(InvalidInput):
        incidents.skip(sqlite_rt, iid, "admin")
    incidents.retry(sqlite_rt, iid, "admin")
    assert status(sqlite_rt, iid) == "running"
    with unit_of_work(write=False, engine=sqlite_rt.db) as s:
        assert s.get(TimerDue, iid) is not None  # back in the due index
    assert incidents.list_incidents(sqlite_rt, "admin")["total"] == 0
