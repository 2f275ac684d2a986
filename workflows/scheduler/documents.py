"""The scheduler's render step: forms recorded by a step (``content`` NULL) are rendered a few seconds after
that step committed, so downloads are normally instant (a download that comes first renders the form itself).

Runs as a thread of the scheduler process (embedded and scaled mode alike), next to the wake-up dispatcher:
every ``document_render_poll_seconds`` it renders pending forms in batches of ``document_render_batch``
until none is left (:func:`workflows.services.document_files.render_pending`; each form is stored in its own
transaction, failures are recorded on the form and retried with back-off). It needs no Prefect API, so it
keeps working while Prefect is down. Several scheduler processes may run it at once: storing is idempotent.
"""

from __future__ import annotations

import logging
import threading

from ..services import document_files
from ..services.runtime import Runtime

log = logging.getLogger(__name__)


def render_step(rt: Runtime) -> int:
    """One pass: render pending forms batch by batch until a batch comes back short. Returns how many."""
    batch = max(1, rt.settings.document_render_batch)
    total = 0
    while True:
        count = document_files.render_pending(rt, batch)
        total += count
        if count < batch:
            return total


class DocumentRenderer:
    """A thread that runs :func:`render_step` every ``document_render_poll_seconds`` (0: not started)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="document-renderer", daemon=True)

    def start(self) -> "DocumentRenderer":
        if self.rt.settings.document_render_poll_seconds > 0:
            self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        poll = max(0.1, self.rt.settings.document_render_poll_seconds)
        failing = False
        while not self.stop_event.wait(poll):
            try:
                count = render_step(self.rt)
                if count:
                    log.info("rendered %s form(s)", count)
                if failing:
                    log.info("form rendering works again")
                    failing = False
            except Exception as exc:  # e.g. the database is unreachable: try again next time, one warning per outage
                if not failing:
                    log.warning("rendering pending forms failed (retried every %s s): %s", poll, exc)
                failing = True
