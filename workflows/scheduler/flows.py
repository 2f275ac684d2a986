"""The Prefect flows that keep time for groupgov. Each is async (an async flow costs ~0.1 s, a sync one ~1 s)
and runs the blocking use cases in a worker thread so flow-run heartbeats keep flowing.

* :func:`sweep` — the safety sweep (every minute): hand newly armed timers to Prefect, fire every due timer
  (reminders and escalations are BPMN boundary timers, so they fire here too), deliver notifications.
* :func:`wake_up` — one scheduled run per window of BPMN timer due times (created by the dispatcher when a
  timer is armed, idempotent by window): starts ``wakeup_lead_seconds`` early, then fires each timer of the
  window at its due time (one process serves every timer due in those seconds).
* :func:`periodic_starts` — the daily starts of the system processes (``services.periodic``).
* :func:`deliver_notifications` — the e-mail / webhook retry pass.

Every step is idempotent (a Prefect outage can mark finished work crashed and re-run it): firing re-checks
``due <= now`` under the instance lock, deliveries are claimed, wake-ups are keyed by their window.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from prefect import flow

from .. import clock
from ..services.runtime import Runtime

log = logging.getLogger(__name__)

# which functions of workflows.services.periodic each periodic deployment calls (each ``fn(rt)``)
PERIODIC: dict[str, tuple[str, ...]] = {
    # art. 10 asks for prompt deregistration of accounts idle two weeks: idle accounts are checked daily too
    "daily": ("start_ended_temp_groups", "campaign_deadlines", "start_idle_accounts"),
}
MAX_EARLY_SECONDS = 300.0  # a wake-up started this much too early does not hold a process: the sweep covers it
RECHECK = timedelta(seconds=1)  # inside a wake-up window, look for newly armed timers this often
MAX_CHAIN = timedelta(minutes=5)  # a wake-up run keeps taking the next close timers for at most this long
MAX_SWEEP_ROUNDS = 20  # one sweep run fires at most this many batches of ``limit`` due timers

_override: Runtime | None = None
_lock = threading.Lock()


def use_runtime(rt: Runtime | None) -> None:
    """Make the flows use ``rt`` in this process (tests); None: build one from the settings."""
    global _override
    _override = rt


def runtime() -> Runtime:
    """The runtime of this flow-run process, with the administrator's calendar freshly read."""
    from ..services.runtime import get_runtime

    with _lock:
        rt = _override or get_runtime()
        rt.reload_calendar()
        return rt


def _log() -> Any:
    """Prefect's run logger inside a run (shown in the Prefect UI), the module logger otherwise."""
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:
        return log


def _dispatch(rt: Runtime) -> int:
    """Hand armed timers to Prefect; never fails the calling flow (the outbox keeps what was not sent)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    from .dispatch import dispatch_pending

    if not get_current_settings().api.url:  # no Prefect API (e.g. a flow function called directly): no ephemeral server
        return 0
    try:
        with get_client(sync_client=True) as client:
            return dispatch_pending(rt, client)
    except Exception as exc:
        _log().warning("wake-up dispatch failed (kept in the outbox): %s", exc)
        return 0


def _after_firing(rt: Runtime) -> dict[str, Any]:
    from ..notifications import deliver_pending

    dispatched = _dispatch(rt)
    report = deliver_pending(rt)
    return {"dispatched": dispatched, "notifications": str(report)}


@flow(name="timer-sweep", description="Safety sweep: fire every due BPMN timer (reminders, escalations included), "
                                      "schedule wake-ups for newly armed timers, deliver notifications.")
async def sweep(limit: int = 1000) -> dict[str, Any]:
    from ..services.timers import fire_due_timers

    rt = runtime()
    dispatched = await asyncio.to_thread(_dispatch, rt)
    fired = 0
    for _ in range(MAX_SWEEP_ROUNDS):  # a backlog larger than ``limit`` is worked off in rounds
        count = await asyncio.to_thread(fire_due_timers, rt, None, limit)
        fired += count
        if count < limit:
            break
    result = {"fired": fired, **await asyncio.to_thread(_after_firing, rt)}
    result["dispatched"] += dispatched
    _log().info("sweep: %s", result)
    return result


async def _sleep_until(at: datetime) -> None:
    while (wait := (at - clock.now()).total_seconds()) > 0:  # the server may release runs up to ~0.5 s early
        await asyncio.sleep(wait)


@flow(name="timer-wake-up", description="Wake up at BPMN timers' due times within a short window and fire them.")
async def wake_up(due: str, window: float = 0.0) -> dict[str, Any]:
    """Fire every timer due in [``due``, ``due`` + ``window``] at its own due time.

    Before the window: parse the specs involved, then wait. Inside it: fire what is due, sleep until the next
    known due time, and look again at least every ``RECHECK`` so timers armed meanwhile are seen. While the
    next timer is at most ``window`` seconds away the (already started) run goes on to fire it too, for up to
    ``MAX_CHAIN``: under load a warm process is on time where a new one may not be.
    """
    from ..services.timers import fire_due_timers, next_due, warm_up

    rt = runtime()
    start = clock.as_utc(datetime.fromisoformat(due))
    end = start + timedelta(seconds=max(0.0, window))
    early = (start - clock.now()).total_seconds()
    if early > MAX_EARLY_SECONDS:
        _log().warning("wake-up for %s started %.0f s early; leaving it to its own run or the sweep", due, early)
        return {"fired": 0, "early": early}
    await asyncio.to_thread(warm_up, rt, end)  # parse the specs now, not at the due time
    await _sleep_until(start)
    fired, deadline, reach = 0, end, timedelta(seconds=max(0.0, window))
    while True:
        fired += await asyncio.to_thread(fire_due_timers, rt)
        now = clock.now()
        upcoming = await asyncio.to_thread(next_due, rt, now)
        if upcoming is not None and upcoming <= now + reach and now - start < MAX_CHAIN:
            deadline = max(deadline, upcoming)  # a warm process also takes the next timers that are close
        if now >= deadline:
            break
        target = min(deadline, now + RECHECK)
        if upcoming is not None and upcoming < target:
            target = upcoming
        await _sleep_until(target)
    result = {"fired": fired, **await asyncio.to_thread(_after_firing, rt)}
    _log().info("wake-up %s (+%.0f s): %s", due, window, result)
    return result


def run_periodic(rt: Runtime, kind: str) -> dict[str, str]:
    """Call the periodic starts of ``kind``; a missing module or function is logged and skipped.

    Raises after trying all of them when one failed, so the Prefect run shows Failed.
    """
    if kind not in PERIODIC:
        raise ValueError(f"unknown periodic kind {kind!r}; expected one of {sorted(PERIODIC)}")
    try:
        module = importlib.import_module("workflows.services.periodic")
    except ModuleNotFoundError:
        _log().warning("workflows.services.periodic is not in this build: no %s starts", kind)
        return {}
    results: dict[str, str] = {}
    failed = []
    for name in PERIODIC[kind]:
        fn = getattr(module, name, None)
        if fn is None:
            _log().warning("workflows.services.periodic has no %s: skipped", name)
            results[name] = "missing"
            continue
        try:
            done = fn(rt)
            lines = done if isinstance(done, list) else [done]
            for line in lines:  # what was started, in Chinese: shown in the Prefect UI's run log
                _log().info("%s: %s", name, line)
            results[name] = f"{len(done)} 项" if isinstance(done, list) else repr(done)
        except Exception as exc:
            log.exception("periodic start %s failed", name)
            results[name] = f"error: {type(exc).__name__}: {exc}"
            failed.append(name)
    if failed:
        raise RuntimeError(f"periodic starts failed: {results}")
    return results


@flow(name="periodic-starts", description="Daily starts: ended temporary groups, idle accounts, campaign deadlines.")
async def periodic_starts(kind: str = "daily") -> dict[str, str]:
    rt = runtime()
    result = await asyncio.to_thread(run_periodic, rt, kind)
    _log().info("periodic %s: %s", kind, result)
    return result


@flow(name="deliver-notifications", description="E-mail and webhook delivery of notifications, with retries.")
async def deliver_notifications() -> str:
    from ..notifications import deliver_pending

    rt = runtime()
    report = await asyncio.to_thread(deliver_pending, rt)
    _log().info("notifications: %s", report)
    return str(report)
