"""The scheduler process: ``python -m workflows.scheduler.service [--dispatch-only | --embedded]``.

Started by ``groupgov serve`` (or ``groupgov scheduler run``) with ``PREFECT_API_URL`` pointing at a Prefect
server. On start it (0) starts the form renderer thread (:mod:`.documents`; it needs no Prefect), (1) waits
for the API, (2) creates the zombie-run automation (and, with ``--embedded``,
crashes runs a previous scheduler process left running), (3) fires every timer that
came due while nothing ran and delivers pending notifications (the catch-up: each exactly once, the sweep's
own guarantees), (4) drops scheduled runs made pointless by that (passed wake-ups, late sweeps), (5) starts the wake-up dispatcher thread and
(6) serves the deployments (embedded mode) — or, with ``--dispatch-only`` (scaled mode, where Prefect
workers run the flows), only dispatches. SIGTERM or Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time

from ..services.runtime import Runtime

log = logging.getLogger("groupgov.scheduler")


def wait_for_api(timeout: float = 120.0) -> None:
    """Block until the Prefect API answers its health check (raises TimeoutError)."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with get_client(sync_client=True) as client:
                if client.api_healthcheck() is None:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"Prefect API not reachable after {timeout:.0f} s: {last}")


def prepare_scheduler(rt: Runtime, embedded: bool = False) -> None:
    """Steps (2)-(4) of the module contract; each is best effort and logged. ``embedded``: this process is
    the only runner of the flows, so runs left Running by a previous one are crashed at once."""
    from prefect.client.orchestration import get_client

    from ..notifications import deliver_pending
    from ..services.timers import fire_due_timers
    from .dispatch import crash_orphaned_runs, drop_stale_runs, ensure_zombie_automation

    with get_client(sync_client=True) as client:
        try:
            ensure_zombie_automation(client)
            if embedded and (crashed := crash_orphaned_runs(client)):
                log.warning("marked %s flow run(s) of a previous scheduler as crashed", crashed)
        except Exception:
            log.exception("could not set up zombie-run handling")
        fired = fire_due_timers(rt)
        log.info("catch-up: fired %s instance(s) whose timers came due while the scheduler was down", fired)
        try:
            log.info("catch-up: notifications %s", deliver_pending(rt))
        except Exception:
            log.exception("catch-up: notification delivery failed (retried by the next pass)")
        try:
            dropped = drop_stale_runs(client)
            if dropped:
                log.info("dropped %s scheduled run(s) made pointless by the catch-up (late sweeps, passed wake-ups)", dropped)
        except Exception:
            log.exception("could not drop stale scheduled runs")


def exit_with_parent(grace: float = 20.0) -> None:
    """Start a thread that ends this process ``grace`` seconds after its parent died (the parent-death SIGTERM
    starts Prefect's graceful shutdown, which can hang when the Prefect server went down at the same time)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def run(dispatch_only: bool = False, embedded: bool = False) -> None:
    from ..services.runtime import get_runtime
    from .dispatch import Dispatcher
    from .documents import DocumentRenderer

    rt = get_runtime()
    rt.reload_calendar()
    renderer = DocumentRenderer(rt).start()  # forms recorded by steps, rendered after they commit; needs no Prefect
    wait_for_api()
    prepare_scheduler(rt, embedded=embedded and not dispatch_only)
    dispatcher = Dispatcher(rt).start()
    # SIGTERM behaves like Ctrl-C: serve() and the wait below stop cleanly
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        if dispatch_only:
            log.info("scheduler: dispatching wake-ups to %s (flows run on Prefect workers)", os.environ.get("PREFECT_API_URL"))
            threading.Event().wait()
        else:
            from prefect import serve

            from .deployments import runner_deployments

            deployments = runner_deployments(rt.settings)
            log.info("scheduler: serving %s", ", ".join(f"{d.flow_name}/{d.name}" for d in deployments))
            serve(*deployments, limit=rt.settings.scheduler_max_runs, print_starting_message=False)
    except KeyboardInterrupt:
        pass
    finally:
        renderer.stop()
        dispatcher.stop()
        log.info("scheduler stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workflows.scheduler.service", description=__doc__)
    parser.add_argument("--dispatch-only", action="store_true", help="scaled mode: only dispatch wake-ups; workers run the flows")
    parser.add_argument("--embedded", action="store_true", help="the only runner of the flows (groupgov serve's own Prefect server)")
    parser.add_argument("--exit-with-parent", action="store_true", help="end soon after the parent process (groupgov serve) is gone")
    args = parser.parse_args(argv)
    if args.exit_with_parent:
        exit_with_parent()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run(args.dispatch_only, args.embedded)


if __name__ == "__main__":
    main()
