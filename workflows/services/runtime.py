"""The composition root: settings, database engine, spec cache, engine facade and handler registry.

Built by :func:`build_runtime` (tests build their own against a temporary database); :func:`get_runtime` keeps
one per process. Nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Engine as DbEngine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import make_engine
from ..engine.cache import WorkflowCache
from ..engine.facade import Engine, LoadedSpec, SpecCache
from ..models import CalendarDay, ProcessDefinition
from ..settings import Settings, get_settings
from ..workdays import WorkCalendar


@dataclass
class Runtime:
    settings: Settings
    db: DbEngine
    engine: Engine
    specs: SpecCache = field(default_factory=SpecCache)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)
    # definition id -> parsed spec; a deployed definition's diagram never changes, so this never goes stale
    _by_definition: dict[int, LoadedSpec] = field(default_factory=dict)

    @property
    def calendar(self) -> WorkCalendar:
        return self.engine.calendar

    def loaded(self, definition: ProcessDefinition) -> LoadedSpec:
        found = self.specs.get(definition.content_hash, definition.bpmn_xml)
        self._by_definition[definition.id] = found
        return found

    def loaded_by_id(self, session: "Session", definition_id: int) -> LoadedSpec:
        """The parsed spec of a definition, reading the definition row only the first time."""
        found = self._by_definition.get(definition_id)
        if found is None:
            definition = session.get(ProcessDefinition, definition_id)
            if definition is None:
                raise LookupError(f"process definition {definition_id} does not exist")
            found = self.loaded(definition)
        return found

    def reload_calendar(self) -> None:
        """Re-read the administrator's working-day overrides."""
        with Session(self.db) as session:
            rows = session.scalars(select(CalendarDay)).all()
            self.engine.calendar.overrides = {r.day: r.is_workday for r in rows}


def handler_registry():  # type: ignore[no-untyped-def]
    """The registered handlers (importing ``tasks`` registers them)."""
    import tasks.handlers  # noqa: F401  (registration side effect)
    from tasks.registry import REGISTRY

    return REGISTRY


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or get_settings()
    calendar = WorkCalendar(tz=settings.timezone)
    return Runtime(settings, make_engine(settings.sqlalchemy_url), Engine(calendar, settings.expression_max_length),
                   workflows=WorkflowCache(settings.workflow_cache_size))


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    return build_runtime()
