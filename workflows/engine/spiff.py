"""SpiffWorkflow 3.2 adapted to groupgov: parser, service-task spec, script engine, spec-by-reference serializer.

Workarounds for known 3.2.0 bugs live here, each once:
* ``ServiceTask`` calls ``script_engine.call_service`` which raises ``NameError: script`` on any error and has
  no serializer converter: our :class:`HandlerTask` calls the registered handler itself and raises
  :class:`HandlerFailed` with the real exception.
* timer expressions are evaluated as Python (an unquoted ``P3D`` fails): :class:`RestrictedScriptEngine`
  recognises the timer being armed and answers with a normalised value, working days included.
* the stock serializer embeds the whole spec in every instance: :class:`SpecRefWorkflowConverter` leaves it
  out and restores against the cached spec.
* the stock serializer writes JSON with the standard library (ASCII escapes, the slowest part of a save):
  :func:`dump_json` writes the same document with :mod:`..jsoncodec`; :class:`TaskDictConverter` builds the
  same task dictionaries with the ids' text remembered per workflow (formatting a UUID took a fifth of a dump).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge

from .. import jsoncodec
from ..workdays import WorkCalendar, parse_timer
from . import expressions
from .diagram import CAMUNDA_NS

Invoker = Callable[[Any, str, dict[str, str]], dict[str, Any] | None]


class HandlerFailed(Exception):
    """A registered handler raised; ``element_id`` is the service task, ``__cause__`` the real error."""

    def __init__(self, element_id: str, topic: str, error: BaseException) -> None:
        super().__init__(f"{element_id} ({topic}): {type(error).__name__}: {error}")
        self.element_id = element_id
        self.topic = topic
        self.error = error


class HandlerTask(ServiceTaskMixin, BpmnSpecMixin):
    """A service task that calls the handler registered under its ``camunda:topic``."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str = "", inputs: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.parameters = inputs or {}

    def _run_hook(self, my_task: Any) -> bool:
        engine = my_task.workflow.script_engine
        try:
            result = engine.invoke(my_task, self.topic, self.parameters)
        except HandlerFailed:
            raise
        except Exception as exc:
            raise HandlerFailed(self.bpmn_id, self.topic, exc) from exc
        if result:
            my_task.data.update(result)
        return True


class HandlerTaskParser(TaskParser):
    def create_task(self) -> HandlerTask:
        topic = self.node.get(f"{{{CAMUNDA_NS}}}topic") or ""
        inputs = {
            p.get("name"): (p.text or "").strip()
            for p in self.xpath(".//bpmn:extensionElements/camunda:inputOutput/camunda:inputParameter")
        }
        return HandlerTask(self.spec, self.bpmn_id, topic=topic, inputs=inputs, **self.bpmn_attributes)


class GroupgovParser(CamundaParser):
    """Camunda parser whose service tasks call registered handlers. Use a fresh one per parse."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (HandlerTaskParser, HandlerTask),
    }


class RestrictedScriptEngine:
    """Evaluates expressions with :mod:`.expressions`; refuses scripts; calls handlers through ``invoker``.

    Re-attach one to every workflow after deserializing (``workflow.script_engine = engine``).
    """

    def __init__(self, invoker: Invoker | None = None, calendar: WorkCalendar | None = None, max_length: int = 500) -> None:
        self.invoker = invoker
        self.calendar = calendar or WorkCalendar()
        self.max_length = max_length

    def validate(self, expression: str) -> None:
        problem = expressions.check_expression(expression, self.max_length)
        if problem:
            raise ValueError(problem)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        event_definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(event_definition, TimerEventDefinition) and expression == event_definition.expression:
            return self._timer_value(expression)
        try:
            return expressions.evaluate(expression, task.data, self.max_length)
        except expressions.ExpressionRefused as exc:
            raise HandlerFailed(task.task_spec.bpmn_id, "expression", exc) from exc

    def _timer_value(self, expression: str) -> str:
        timer = parse_timer(expression)
        now = datetime.now(timezone.utc)
        if timer.kind == "workdays":
            seconds = int((self.calendar.add_workdays(now, timer.workdays) - now).total_seconds())
            return f"PT{max(seconds, 0)}S"
        if timer.kind == "date":
            assert timer.at is not None
            return timer.at.isoformat()
        return timer.text

    def execute(self, task: Any, script: str, external_context: Any = None) -> None:
        raise HandlerFailed(task.task_spec.bpmn_id, "script", PermissionError("脚本任务已被禁用，请改用服务任务调用已注册的处理程序"))

    def call_service(self, task: Any, **kwargs: Any) -> None:
        raise HandlerFailed(task.task_spec.bpmn_id, "service", PermissionError("未注册的服务调用"))

    def invoke(self, task: Any, topic: str, inputs: dict[str, str]) -> dict[str, Any] | None:
        if self.invoker is None:
            raise HandlerFailed(task.task_spec.bpmn_id, topic, RuntimeError("no handler invoker attached"))
        return self.invoker(task, topic, inputs)


class SpecRefWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it against specs passed in by the caller."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        from uuid import UUID

        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class TaskDictConverter(TaskConverter):
    """Spiff's task converter, with each task id's text kept on its workflow (``_groupgov_id_text``, by the
    UUID's integer) instead of formatted again at every save: a warm workflow is saved at every step and its
    tasks keep their ids. Writes exactly the stock dictionary (tests/test_engine__roundtrip.py)."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        workflow = task.workflow
        texts = workflow.__dict__.get("_groupgov_id_text")
        if texts is None:
            texts = workflow.__dict__["_groupgov_id_text"] = {}

        def text(uuid: Any) -> str:
            found = texts.get(uuid.int)
            if found is None:
                found = texts[uuid.int] = str(uuid)
            return found

        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            data, delta = {}, {"updates": DeepMerge.get_updated_keys(parent.data, task.data),
                               "deletions": DeepMerge.get_deleted_keys(parent.data, task.data)}
        return {
            "id": text(task.id),
            "parent": text(task._parent) if parent is not None else None,
            "children": [text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }


def make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = SpecRefWorkflowConverter
    config[Task] = TaskDictConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def dump_json(serializer: BpmnWorkflowSerializer, workflow: BpmnWorkflow) -> bytes:
    """What ``serializer.serialize_json(workflow)`` writes, as UTF-8 bytes from orjson: the same dictionary
    (built in the serializer's encoder mode, so task data is converted lazily), with the serializer's own
    encoder deciding what JSON has no type for (datetimes, timedeltas, sets, callables)."""
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = serializer.VERSION
    finally:
        registry._encoder_mode = False
    default = serializer.__dict__.get("_groupgov_default")
    if default is None:
        default = serializer.__dict__["_groupgov_default"] = serializer._encoder_cls().default
    return jsoncodec.dumps_with(dct, default)


def prepare_multi_instance(*specs: Any) -> None:
    """Make Camunda multi-instance tasks of freshly parsed specs behave as in the process that started them.

    SpiffWorkflow 3.2 wires a multi-instance child's ``completed_event`` to ``merge_child`` only when it creates
    the child, and the Camunda spec fills ``data_input``/``input_item`` (from ``camunda:collection`` /
    ``camunda:elementVariable``) only when the task starts. An instance restored against a spec parsed in
    another process (restart, second worker) would then never merge its children, or append their items
    instead of updating the collection in place. Call once per parsed spec, before any instance uses it.
    """
    from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
    from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask

    for spec in specs:
        for task_spec in list(spec.task_specs.values()):
            if not isinstance(task_spec, LoopTask) or not task_spec.task_spec:
                continue
            if isinstance(task_spec, MultiInstanceTask) and task_spec.cardinality is None and task_spec.data_output is not None \
                    and task_spec.data_input is None:
                task_spec.data_input = TaskDataReference(task_spec.data_output.bpmn_id)
                if task_spec.output_item is not None:
                    task_spec.input_item = TaskDataReference(task_spec.output_item.bpmn_id)
            child = spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)
