"""``groupgov serve``: prepare the database, then run the web app and the scheduler until Ctrl-C or SIGTERM.

The scheduler is Prefect (:mod:`workflows.scheduler.server`): by default an embedded Prefect server on SQLite
under ``var/prefect`` plus a process serving the timer, periodic and notification flows; with
``GROUPGOV_PREFECT_API_URL`` an external Prefect (workers run the flows) and only the wake-up dispatcher here;
``GROUPGOV_SCHEDULER_ENABLED=false`` runs the web app alone (extra web nodes). All stop together.
"""

from __future__ import annotations

import logging

import uvicorn

from .services.bootstrap import prepare
from .services.runtime import Runtime

log = logging.getLogger(__name__)


def run_server(rt: Runtime, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO)
    for d in prepare(rt):
        log.info("process %s v%s %s", d.key, d.version, "deployed" if d.created else "unchanged")
    from .api.app import create_app

    stack = None
    if rt.settings.scheduler_enabled:
        from .scheduler.server import SchedulerStack

        stack = SchedulerStack(rt.settings, public_url=f"http://{host}:{port}").start()
        log.info("scheduler starting in the background; Prefect UI at %s", stack.ui_url)
        if hasattr(rt.settings, "prefect_ui_url"):
            rt.settings.prefect_ui_url = stack.ui_url  # the dashboard links to the server actually started
    else:
        log.warning("GROUPGOV_SCHEDULER_ENABLED=false: no timers fire from this process")
    try:
        uvicorn.run(create_app(rt), host=host, port=port, log_level="info")
    finally:
        if stack is not None:
            stack.stop()
