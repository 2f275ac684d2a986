"""First start: migrate, load the demo university into an empty database, deploy ``bpmn/``."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from ..db import unit_of_work
from ..models import Person
from .deployments import Deployed, deploy_directory
from .runtime import Runtime
from .schema import upgrade

log = logging.getLogger(__name__)


def prepare(rt: Runtime, demo: bool = True) -> list[Deployed]:
    """Idempotent: safe to run at every start."""
    upgrade(rt.settings.sqlalchemy_url)
    with unit_of_work(write=False, engine=rt.db) as session:
        empty = (session.scalar(select(func.count()).select_from(Person)) or 0) == 0
    if empty and demo:
        from .demo import load_demo

        log.info("empty database: loading the demo university")
        load_demo(engine=rt.db)
    rt.reload_calendar()
    return deploy_directory(rt, rt.settings.bpmn_dir, skip_known=True)  # keep versions deployed from the modeler
