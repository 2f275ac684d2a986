"""Turns armed timers (the ``timer_wakeup`` outbox) into scheduled Prefect runs of the wake-up deployment.

Contract: outbox due times at most ``wakeup_horizon_seconds`` ahead are grouped into windows of
``wakeup_window_seconds`` (on the UTC epoch grid); each window gets one wake-up run, scheduled
``wakeup_lead_seconds`` before the window starts (the run waits inside and fires each timer at its own due
time), with the idempotency key ``wake-up-<window start>`` so any number of dispatchers create one run per
window. An outbox row is deleted once Prefect has its run; when Prefect is unreachable it stays and the next
pass retries, while the sweep keeps firing due timers. Due times more than ``STALE`` in the past are dropped: the sweep fired them.

Also here: the zombie-run automation and the clean-up of wake-ups that a restart made pointless.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .. import clock
from ..services import wakeups
from ..services.runtime import Runtime

log = logging.getLogger(__name__)

WAKE_UP = "timer-wake-up/wake-up"
STALE = timedelta(minutes=5)
ZOMBIE_AUTOMATION = "groupgov: crash zombie flow runs"


def wake_key(due: datetime) -> str:
    return f"wake-up-{clock.as_utc(due):%Y%m%dT%H%M%SZ}"


def wake_name(due: datetime, tz: str) -> str:
    return f"wake-up {clock.as_utc(due).astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M:%S}"


def window_start(due: datetime, window: int) -> datetime:
    """The start of the ``window``-second slot (on the UTC epoch grid) that ``due`` falls in."""
    due = clock.as_utc(due)
    if window <= 0:
        return due
    return datetime.fromtimestamp(int(due.timestamp()) // window * window, tz=timezone.utc)


def dispatch_pending(rt: Runtime, client: Any, now: datetime | None = None) -> int:
    """Create wake-up runs for the outbox (see the module contract) with a sync Prefect client.

    Returns how many due times were handed over or dropped. Raises when Prefect is unreachable (rows kept).
    """
    from prefect.states import Scheduled

    now = now or clock.now()
    settings = rt.settings
    dues = wakeups.pending(rt, until=now + timedelta(seconds=settings.wakeup_horizon_seconds))
    if not dues:
        return 0
    lead = timedelta(seconds=settings.wakeup_lead_seconds)
    window = max(0, settings.wakeup_window_seconds)
    handled: list[datetime] = [due for due in dues if due < now - STALE]
    slots: dict[datetime, list[datetime]] = {}
    for due in dues:
        if due >= now - STALE:
            slots.setdefault(window_start(due, window), []).append(due)
    try:
        if slots:
            deployment_id = client.read_deployment_by_name(WAKE_UP).id
        for start, members in sorted(slots.items()):
            client.create_flow_run_from_deployment(
                deployment_id, parameters={"due": start.isoformat(), "window": window},
                state=Scheduled(scheduled_time=max(start - lead, now)), idempotency_key=wake_key(start),
                name=wake_name(start, settings.timezone), tags=["groupgov", "wake-up"])
            handled.extend(members)
    finally:
        wakeups.forget(rt, handled)
    return len(handled)


CATCH_UP_DEPLOYMENTS = (("timer-sweep", "sweep"), ("deliver-notifications", "notifications"))  # late runs: redundant after a catch-up


def drop_stale_runs(client: Any, now: datetime | None = None) -> int:
    """After a restart (and its catch-up sweep), delete scheduled runs that would only start processes to find
    nothing to do: wake-ups whose window has passed, and sweep / notification runs that are already late.
    Late daily starts are kept: they still run once."""
    from prefect.client.schemas.filters import (
        DeploymentFilter, DeploymentFilterName, FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    now = now or clock.now()
    scheduled = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])))
    dropped = 0
    flow, name = WAKE_UP.split("/")
    wake_ups = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])),
                                     deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])),
                                     flow_run_filter=scheduled, limit=200)
    for run in wake_ups:
        try:
            due = clock.as_utc(datetime.fromisoformat(str(run.parameters.get("due"))))
            last = due + timedelta(seconds=float(run.parameters.get("window") or 0))
        except (TypeError, ValueError):
            continue
        if last < now:
            client.delete_flow_run(run.id)
            dropped += 1
    late = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[f for f, _ in CATCH_UP_DEPLOYMENTS])),
                                 deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[d for _, d in CATCH_UP_DEPLOYMENTS])),
                                 flow_run_filter=scheduled, limit=200)
    for run in late:
        if run.next_scheduled_start_time is not None and run.next_scheduled_start_time < now:
            client.delete_flow_run(run.id)
            dropped += 1
    return dropped


FLOW_NAMES = ("timer-sweep", "timer-wake-up", "periodic-starts", "deliver-notifications")


def crash_orphaned_runs(client: Any) -> int:
    """Mark Crashed every run of our flows still Pending/Running/Cancelling. Only for the embedded scheduler
    at start-up, when no runner of ours exists: such runs belong to a scheduler that died, and they would
    hold the sweep's concurrency slot until the zombie automation notices (90 s)."""
    from prefect.client.schemas.filters import (
        FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    runs = client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=list(FLOW_NAMES))),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
            any_=[StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]))),
        limit=200)
    for run in runs:
        client.set_flow_run_state(run.id, Crashed(message="groupgov: the scheduler that ran this flow run stopped"), force=True)
    return len(runs)


def ensure_zombie_automation(client: Any) -> None:
    """Create (once) the automation that marks a flow run Crashed when its heartbeats stop for 90 s, so a
    killed worker never holds the sweep's concurrency slot (needs ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY=30``)."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    if client.read_automations_by_name(ZOMBIE_AUTOMATION):
        return
    client.create_automation(AutomationCore(
        name=ZOMBIE_AUTOMATION,
        description="groupgov: flow runs that stopped sending heartbeats are marked Crashed (releases concurrency slots)",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"}, posture=Posture.Proactive, threshold=1, within=timedelta(seconds=90)),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message="Flow run marked as crashed due to missing heartbeats.")],
    ))


class Dispatcher:
    """A thread that runs :func:`dispatch_pending` every ``wakeup_poll_seconds``, backing off while Prefect is
    unreachable (one warning per outage)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="wake-up-dispatcher", daemon=True)

    def start(self) -> "Dispatcher":
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectNotFound

        poll = max(0.1, self.rt.settings.wakeup_poll_seconds)
        delay, failing = poll, False
        while not self.stop_event.wait(delay):
            try:
                with get_client(sync_client=True) as client:
                    while not self.stop_event.is_set():
                        count = dispatch_pending(self.rt, client)
                        if count:
                            log.info("dispatched %s wake-up(s)", count)
                        if failing:
                            log.info("wake-up dispatch works again")
                            failing = False
                        delay = poll
                        if self.stop_event.wait(delay):
                            return
            except ObjectNotFound:  # the wake-up deployment is not registered yet (the scheduler is starting)
                delay = poll
            except Exception as exc:
                if not failing:
                    log.warning("wake-up dispatch failed; retrying with backoff (the sweep still fires timers): %s", exc)
                failing = True
                delay = min(delay * 2, 10.0)
