"""The engine facade: everything the use cases do with SpiffWorkflow goes through :class:`Engine`.

Specs are parsed once per content hash (:class:`SpecCache`); instances are stored without their spec and
restored against the cached one. Nothing here touches the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.task import TaskState

from ..workdays import WorkCalendar
from .diagram import DiagramModel, ElementDef, read_diagram
from .. import jsoncodec
from .spiff import GroupgovParser, HandlerFailed, Invoker, RestrictedScriptEngine, dump_json, make_serializer, prepare_multi_instance

__all__ = ["Engine", "LoadedSpec", "SpecCache", "Snapshot", "UserTaskView", "HandlerFailed", "parse_spec"]


@dataclass(frozen=True)
class LoadedSpec:
    """A parsed, executable version of a process."""

    content_hash: str
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    model: DiagramModel

    def element(self, element_id: str) -> ElementDef | None:
        return self.model.elements.get(element_id)


class SpecCache:
    """Parsed specs by content hash. Thread-safe; specs are shared read-only between instances."""

    def __init__(self) -> None:
        self._specs: dict[str, LoadedSpec] = {}
        self._lock = threading.Lock()

    def get(self, content_hash: str, xml: str | bytes) -> LoadedSpec:
        found = self._specs.get(content_hash)
        if found is not None:
            return found
        with self._lock:
            found = self._specs.get(content_hash)
            if found is None:
                found = parse_spec(content_hash, xml)
                self._specs[content_hash] = found
            return found


def parse_spec(content_hash: str, xml: str | bytes) -> LoadedSpec:
    """Parse a validated diagram with a fresh parser (a failed parse leaves junk in a reused one)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    model = read_diagram(data)
    process_id = next(iter(model.processes))
    parser = GroupgovParser()
    parser.add_bpmn_str(data)
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    prepare_multi_instance(spec, *subprocess_specs.values())
    return LoadedSpec(content_hash, process_id, spec, subprocess_specs, model)


@dataclass(frozen=True)
class UserTaskView:
    """A READY user task as the projection sees it."""

    guid: str
    spec_id: str
    name: str
    lane: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """What a save needs to know about a workflow, from one walk over its tasks (:meth:`Engine.snapshot`)."""

    ready: list[UserTaskView]     # READY user tasks, in tree order
    timers: list[datetime]        # due times of armed timers
    errors: list[str]             # element ids of failed tasks
    data: dict[str, Any]          # as :meth:`Engine.data`
    outcome: str | None           # as :meth:`Engine.outcome`


# the states a snapshot looks at; the walk does not descend below WAITING (predicted branches)
_SNAPSHOT_STATES = TaskState.WAITING | TaskState.READY | TaskState.COMPLETED | TaskState.ERROR


class Engine:
    """Builds, restores, runs and inspects workflows. One per process; cheap to share between threads."""

    def __init__(self, calendar: WorkCalendar | None = None, max_expression: int = 500) -> None:
        self.calendar = calendar or WorkCalendar()
        self.max_expression = max_expression
        self.serializer = make_serializer()

    def script_engine(self, invoker: Invoker | None) -> RestrictedScriptEngine:
        return RestrictedScriptEngine(invoker, self.calendar, self.max_expression)

    def new_workflow(self, loaded: LoadedSpec, data: dict[str, Any], invoker: Invoker | None) -> BpmnWorkflow:
        workflow = BpmnWorkflow(loaded.spec, loaded.subprocess_specs, script_engine=self.script_engine(invoker))
        workflow.data.update(data)
        start = workflow.get_tasks(state=TaskState.READY)
        for task in start:
            task.data.update(data)
        return workflow

    def restore(self, loaded: LoadedSpec, state: bytes, invoker: Invoker | None) -> BpmnWorkflow:
        dct = jsoncodec.loads(state)
        self.serializer.migrate(dct)
        workflow = self.serializer.registry.restore(dct, spec=loaded.spec, subprocess_specs=loaded.subprocess_specs)
        workflow.script_engine = self.script_engine(invoker)
        return workflow

    def dump(self, workflow: BpmnWorkflow) -> bytes:
        return dump_json(self.serializer, workflow)

    def run(self, workflow: BpmnWorkflow) -> None:
        """Advance everything that can advance without a person: gateways, service tasks, due timers."""
        workflow.refresh_timers()  # timers now due become READY
        workflow.do_engine_steps()  # runs what can run, and refreshes the timers again when done

    def ready_user_tasks(self, workflow: BpmnWorkflow) -> list[UserTaskView]:
        return [_user_task_view(t) for t in workflow.get_tasks(state=TaskState.READY, manual=True)]

    def complete_user_task(self, workflow: BpmnWorkflow, guid: str, data: dict[str, Any]) -> None:
        task = workflow.get_task_from_id(UUID(guid))
        if task is None or task.state != TaskState.READY:
            raise LookupError(guid)
        task.data.update(data)
        task.run()
        self.run(workflow)

    def prefill_user_task(self, workflow: BpmnWorkflow, guid: str, data: dict[str, Any]) -> None:
        """Put draft values into a READY task's data without completing it."""
        task = workflow.get_task_from_id(UUID(guid))
        if task is None or task.state != TaskState.READY:
            raise LookupError(guid)
        task.data.update(data)

    def snapshot(self, workflow: BpmnWorkflow, loaded: LoadedSpec) -> Snapshot:
        """:meth:`ready_user_tasks`, :meth:`waiting_timers`, :meth:`error_tasks`, :meth:`data` and
        :meth:`outcome` at once: one walk over the task tree instead of one each."""
        ready: list[Any] = []
        timers: list[datetime] = []
        errors: list[str] = []
        ends: list[Any] = []
        for t in workflow.get_tasks(state=_SNAPSHOT_STATES):
            state, spec = t.state, t.task_spec
            if state == TaskState.READY:
                if spec.manual:
                    ready.append(t)
            elif state == TaskState.WAITING:
                due = _timer_due(t)
                if due is not None:
                    timers.append(due)
            elif state == TaskState.ERROR:
                errors.append(spec.bpmn_id)
            elif isinstance(spec, EndEvent):
                ends.append(t)
        return Snapshot([_user_task_view(t) for t in ready], timers, errors, _merged_data(workflow, ready),
                        _outcome(workflow, loaded, ends))

    def waiting_timers(self, workflow: BpmnWorkflow) -> list[datetime]:
        """Due times of every armed timer (cycles: the next occurrence)."""
        return [due for due in map(_timer_due, workflow.get_tasks(state=TaskState.WAITING)) if due is not None]

    def data(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The instance's current data: the workflow's, overlaid with the most recent task's, then with what
        READY user tasks hold (drafts and prefills)."""
        return _merged_data(workflow, workflow.get_tasks(state=TaskState.READY, manual=True))

    def outcome(self, workflow: BpmnWorkflow, loaded: LoadedSpec) -> str | None:
        """None while running; else the ``outcome`` property of the end event reached (default completed)."""
        if not workflow.completed:
            return None
        return _outcome(workflow, loaded, workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent))

    def error_tasks(self, workflow: BpmnWorkflow) -> list[str]:
        return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.ERROR)]

    def retry_errors(self, workflow: BpmnWorkflow) -> None:
        """Put failed tasks back to READY and run again (an administrator's retry)."""
        for task in workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)
        self.run(workflow)

    def cancel(self, workflow: BpmnWorkflow) -> None:
        workflow.cancel()

    def completed_path(self, workflow: BpmnWorkflow) -> tuple[list[str], list[str]]:
        """(completed element ids, current element ids) for drawing the instance on its diagram."""
        done = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}
        current = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.ERROR | TaskState.STARTED) if t.task_spec.bpmn_id}
        return sorted(done), sorted(current)


def _timer_due(task: Any) -> datetime | None:
    """When a WAITING timer task comes due (cycles: the next occurrence); None for other waiting tasks."""
    if not isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
        return None
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    return TimerEventDefinition.get_datetime(value) if isinstance(value, str) else None


def _user_task_view(task: Any) -> UserTaskView:
    spec = task.task_spec
    return UserTaskView(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, getattr(spec, "lane", None) or "", task.data)


def _merged_data(workflow: BpmnWorkflow, ready_user_tasks: list[Any]) -> dict[str, Any]:
    """The workflow's data, overlaid with the most recent task's, then with the READY user tasks' (in order)."""
    merged = dict(workflow.data)
    if workflow.last_task is not None:
        merged.update(workflow.last_task.data)
    for task in ready_user_tasks:
        merged.update(task.data)
    return merged


def _outcome(workflow: BpmnWorkflow, loaded: LoadedSpec, completed_ends: list[Any]) -> str | None:
    """None while running; "rejected" when a completed end event says ``outcome=rejected``; else "completed"."""
    if not workflow.completed:
        return None
    for task in completed_ends:
        element = loaded.element(task.task_spec.bpmn_id)
        if element is not None and element.properties.get("outcome") == "rejected":
            return "rejected"
    return "completed"
