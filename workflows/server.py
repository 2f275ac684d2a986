"""``groupgov serve``: prepare the database, then run the web app and the scheduler until Ctrl-C.

The scheduler runs beside the web app; until the Prefect-based scheduler lands it is a loop that calls the
timer sweep use case every ``GROUPGOV_SWEEP_SECONDS`` (default 15 s).
"""

from __future__ import annotations

import logging
import os
import threading

import uvicorn

from .services.bootstrap import prepare
from .services.runtime import Runtime

log = logging.getLogger(__name__)


def _sweeper(rt: Runtime, stop: threading.Event, every: float) -> None:
    from .services.timers import fire_due_timers

    while not stop.wait(every):
        try:
            fired = fire_due_timers(rt)
            if fired:
                log.info("timer sweep fired %s instance(s)", fired)
        except Exception:  # keep sweeping; the failure is logged
            log.exception("timer sweep failed")


def run_server(rt: Runtime, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO)
    for d in prepare(rt):
        log.info("process %s v%s %s", d.key, d.version, "deployed" if d.created else "unchanged")
    from .api.app import create_app

    stop = threading.Event()
    thread = threading.Thread(target=_sweeper, args=(rt, stop, float(os.environ.get("GROUPGOV_SWEEP_SECONDS", "15"))), daemon=True)
    thread.start()
    try:
        uvicorn.run(create_app(rt), host=host, port=port, log_level="info")
    finally:
        stop.set()
