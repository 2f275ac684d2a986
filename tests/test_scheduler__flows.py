"""The scheduler's Prefect flows and wake-up dispatch against a real Prefect API (``prefect_test_harness``).

Prefect itself is under test where it matters (scheduled wake-up runs, idempotency keys, the automation, a
real wake-up flow run); elsewhere the flow's function is called with ``.fn`` under time-machine.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
import yaml
from sqlalchemy import select

from tests.flows import apply
from workflows import clock
from workflows.db import unit_of_work
from workflows.models import AuditEvent, HumanTask, Notification, Person, TimerDue, TimerWakeup
from workflows.scheduler import flows
from workflows.scheduler.deployments import runner_deployments, specs
from workflows.scheduler.dispatch import (
    WAKE_UP, dispatch_pending, drop_stale_runs, ensure_zombie_automation, wake_key, window_start,
)
from workflows.services import instances, wakeups
from workflows.services.deployments import deploy
from workflows.settings import ROOT_DIR

PROBE = Path(__file__).parent / "data" / "timer_probe.bpmn"
MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    """A real Prefect server for this module, with the scheduler's deployments registered (not served)."""
    from prefect.testing.utilities import prefect_test_harness

    from workflows.settings import Settings

    with prefect_test_harness(server_startup_timeout=180):
        for deployment in runner_deployments(Settings()):
            deployment.apply()
        yield


@pytest.fixture
def client(prefect_api: None) -> Iterator[object]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def probe_rt(sqlite_rt):
    """The SQLite runtime with the 20-second timer probe deployed, used by the flows of this process."""
    deploy(sqlite_rt, [(PROBE.name, PROBE.read_bytes())])
    flows.use_runtime(sqlite_rt)
    yield sqlite_rt
    flows.use_runtime(None)


def wake_up_runs(client) -> dict[str, object]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["wake-up"])), limit=200)
    return {r.idempotency_key: r for r in runs}


def outbox(rt) -> list[datetime]:
    with unit_of_work(write=False, engine=rt.db) as s:
        return list(s.scalars(select(TimerWakeup.due_at).order_by(TimerWakeup.due_at)))


def test_arming_a_timer_creates_one_scheduled_wake_up_per_window(probe_rt, client):
    rt = probe_rt
    first = instances.start_process(rt, "timer_probe", "staff_cs", {})
    second = instances.start_process(rt, "timer_probe", "staff_cs", {})
    with unit_of_work(write=False, engine=rt.db) as s:
        dues = {wakeups.wake_second(s.get(TimerDue, i).due_at) for i in (first, second)}
    assert set(outbox(rt)) == dues  # written in the arming transaction, nothing sent to Prefect yet
    window = rt.settings.wakeup_window_seconds
    starts = {window_start(d, window) for d in dues}
    before = set(wake_up_runs(client))
    assert dispatch_pending(rt, client) == len(dues)
    assert outbox(rt) == []
    later = max(dues) + timedelta(seconds=1)  # armed again, or another timer in the same window: still one run
    with unit_of_work(engine=rt.db) as s:
        for due in dues:
            wakeups.record(s, due)
        if window_start(later, window) in starts:
            wakeups.record(s, later)
    dispatch_pending(rt, client)
    runs = wake_up_runs(client)
    created = {k: runs[k] for k in set(runs) - before}
    assert set(created) == {wake_key(start) for start in starts}
    lead = timedelta(seconds=rt.settings.wakeup_lead_seconds)
    for start in starts:
        run = created[wake_key(start)]
        assert run.state.is_scheduled() and run.parameters == {"due": start.isoformat(), "window": window}
        assert abs(run.next_scheduled_start_time - max(start - lead, run.created)) < timedelta(seconds=2)
    after = max(starts) + timedelta(seconds=window + 1)
    assert drop_stale_runs(client, now=after) >= len(starts)  # after a restart: the catch-up sweep fired them
    assert not set(wake_up_runs(client)) & set(created)


def test_far_and_long_past_due_times_are_not_sent(probe_rt, client):
    rt = probe_rt
    now = clock.now()
    far, old = now + timedelta(hours=2), now - timedelta(hours=1)
    with unit_of_work(engine=rt.db) as s:
        wakeups.record(s, far)
        wakeups.record(s, old)
    assert dispatch_pending(rt, client, now=now) == 1  # the old one is dropped: the sweep fired it
    assert outbox(rt) == [wakeups.wake_second(far)]  # waits for the horizon
    assert wake_key(old) not in wake_up_runs(client)


def test_wake_up_flow_run_waits_for_the_due_time_then_fires(probe_rt, prefect_api):
    rt = probe_rt
    short = PROBE.read_bytes().replace(b"PT20S", b"PT2S")
    deploy(rt, [(PROBE.name, short)])
    iid = instances.start_process(rt, "timer_probe", "staff_cs", {})
    with unit_of_work(write=False, engine=rt.db) as s:
        due = s.get(TimerDue, iid).due_at
    result = asyncio.run(flows.wake_up(due=(due - timedelta(seconds=1)).isoformat(), window=3.0))  # a real flow run
    assert result["fired"] == 1
    with unit_of_work(write=False, engine=rt.db) as s:
        fired_at = s.scalar(select(AuditEvent.at).where(AuditEvent.instance_id == iid, AuditEvent.action == "timer"))
        assert timedelta(0) <= fired_at - due < timedelta(seconds=0.5)  # at its own due time inside the window
        open_tasks = s.scalars(select(HumanTask.spec_id).where(HumanTask.instance_id == iid, HumanTask.state == "open")).all()
        assert open_tasks == ["after_timer"]
        assert s.get(TimerDue, iid) is None


def test_sweep_fires_reminders_and_delivers_them(sqlite_rt, smtp_server):
    smtp_server.clear()
    rt = sqlite_rt
    rt.settings = rt.settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    flows.use_runtime(rt)
    try:
        with time_machine.travel(MONDAY, tick=False) as traveller:
            apply(rt)
            assert asyncio.run(flows.sweep.fn())["fired"] == 0
            traveller.move_to(MONDAY + timedelta(days=2, minutes=1))  # the reminder (P2WD) is due
            result = asyncio.run(flows.sweep.fn())
    finally:
        flows.use_runtime(None)
    assert result["fired"] == 1
    with unit_of_work(write=False, engine=rt.db) as s:
        head = s.scalar(select(Person.id).where(Person.username == "head_cs"))
        assert s.scalars(select(Notification.kind).where(Notification.person_id == head)).all() == ["task", "reminder"]
    subjects = [m.subject for m in smtp_server.wait_for(3)]
    assert any(s.startswith("【工作群组审批】催办提醒") for s in subjects)


def test_late_sweeps_are_dropped_after_a_restart_but_daily_starts_are_kept(client):
    from prefect.states import Scheduled

    past = clock.now() - timedelta(minutes=3)
    sweep = client.create_flow_run_from_deployment(client.read_deployment_by_name("timer-sweep/sweep").id,
                                                   state=Scheduled(scheduled_time=past))
    daily = client.create_flow_run_from_deployment(client.read_deployment_by_name("periodic-starts/daily").id,
                                                   state=Scheduled(scheduled_time=past))
    later = client.create_flow_run_from_deployment(client.read_deployment_by_name("timer-sweep/sweep").id,
                                                   state=Scheduled(scheduled_time=clock.now() + timedelta(minutes=1)))
    assert drop_stale_runs(client) >= 1
    from prefect.exceptions import ObjectNotFound

    with pytest.raises(ObjectNotFound):
        client.read_flow_run(sweep.id)
    assert client.read_flow_run(daily.id).state.is_scheduled()
    assert client.read_flow_run(later.id).state.is_scheduled()
    for run in (daily, later):
        client.delete_flow_run(run.id)


def test_runs_left_running_by_a_dead_scheduler_are_crashed_at_start(client):
    from prefect.states import Running

    from workflows.scheduler.dispatch import crash_orphaned_runs

    sweep = client.read_deployment_by_name("timer-sweep/sweep")
    run = client.create_flow_run_from_deployment(sweep.id)
    client.set_flow_run_state(run.id, Running(), force=True)  # its process was killed: it holds the sweep's slot
    assert crash_orphaned_runs(client) >= 1
    assert client.read_flow_run(run.id).state.is_crashed()
    assert crash_orphaned_runs(client) == 0


def test_zombie_automation_is_created_once(client):
    from workflows.scheduler.dispatch import ZOMBIE_AUTOMATION

    ensure_zombie_automation(client)
    ensure_zombie_automation(client)
    found = client.read_automations_by_name(ZOMBIE_AUTOMATION)
    assert len(found) == 1
    assert found[0].trigger.within == timedelta(seconds=90)


def test_periodic_starts_call_what_exists_and_fail_visibly(sqlite_rt, monkeypatch):
    calls: list[str] = []
    fake = types.ModuleType("workflows.services.periodic")
    fake.start_ended_temp_groups = lambda rt: calls.append("temp") or ["临时群A 已启动到期清理", "临时群B 已启动到期清理"]
    monkeypatch.setitem(sys.modules, "workflows.services.periodic", fake)
    assert flows.run_periodic(sqlite_rt, "daily") == {"start_ended_temp_groups": "2 项", "campaign_deadlines": "missing",
                                                       "start_idle_accounts": "missing"}

    def broken(rt):
        raise ValueError("坏数据")

    fake.start_idle_accounts = broken
    with pytest.raises(RuntimeError, match="start_idle_accounts"):
        flows.run_periodic(sqlite_rt, "daily")
    monkeypatch.delitem(sys.modules, "workflows.services.periodic")
    monkeypatch.setattr("importlib.import_module", lambda name: (_ for _ in ()).throw(ModuleNotFoundError(name)))
    assert flows.run_periodic(sqlite_rt, "daily") == {}
    assert calls == ["temp", "temp"]


def test_prefect_yaml_declares_the_same_deployments():
    from workflows.settings import Settings

    declared = yaml.safe_load((ROOT_DIR / "deployments" / "prefect.yaml").read_text())["deployments"]
    by_name = {d["name"]: d for d in declared}
    settings = Settings()
    assert set(by_name) == {s.name for s in specs(settings)}
    for spec in specs(settings):
        d = by_name[spec.name]
        assert d["entrypoint"] == spec.entrypoint
        assert d.get("parameters", {}) == spec.parameters
        schedules = d.get("schedules") or []
        if spec.interval:
            assert schedules[0]["interval"] == spec.interval
        elif spec.cron:
            assert schedules[0]["cron"] == spec.cron and schedules[0]["timezone"] == settings.timezone
        else:
            assert schedules == []
        limit = d.get("concurrency_limit")
        assert (limit == {"limit": 1, "collision_strategy": "CANCEL_NEW"}) if spec.single else limit is None
    assert WAKE_UP == f"timer-wake-up/{by_name['wake-up']['name']}"
