"""An administrator's repairs on a workflow: skip a failed step, terminate, move to another version of its spec.

Like the facade, this is SpiffWorkflow's side of the use cases in ``services/incidents.py`` and
``services/modeler.py``; nothing here touches the database.

Migration contract (:func:`migrate`), deliberately conservative — an instance moves to a new version only when
* it is waiting (no failed task) and has no sub-workflows (sub-processes, call activities);
* every step where it has an open task (READY, WAITING, STARTED) exists in the new version with the same type;
* the branch each open task hangs on is unchanged: the finished step before it has the same outgoing steps in
  both versions (so no boundary timer or parallel branch appears or disappears under a waiting instance);
* the serialized instance restores against the new spec, and re-serializes and restores again (the dry run).
Open tasks keep their identity, data and armed timers (a timer already set keeps its due time; a changed
duration applies the next time the step is entered); everything after them is re-predicted from the new spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from .facade import Engine, LoadedSpec

OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class Position:
    """Where an instance stands: an element with an open or failed task."""

    element_id: str
    name: str
    state: str  # ready, waiting, started, error


class MigrationRefused(Exception):
    """The instance cannot move safely; ``reasons`` say why, in Chinese, naming the elements."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.reasons = reasons


def positions(workflow: BpmnWorkflow) -> list[Position]:
    """Open and failed tasks that belong to a diagram element, in tree order."""
    found = []
    for task in workflow.get_tasks(state=OPEN | TaskState.ERROR):
        spec = task.task_spec
        if spec.bpmn_id:
            found.append(Position(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, TaskState.get_name(task.state).lower()))
    return found


def failed_elements(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.ERROR) if t.task_spec.bpmn_id]


def skip_failed(engine: Engine, workflow: BpmnWorkflow, element_id: str | None = None) -> list[str]:
    """Mark failed tasks (of ``element_id``, or all) completed without running them, then run on.

    Returns the skipped element ids. A later handler that fails raises ``HandlerFailed`` as usual.
    """
    skipped = []
    for task in workflow.get_tasks(state=TaskState.ERROR):
        if element_id is None or task.task_spec.bpmn_id == element_id:
            task.complete()
            skipped.append(task.task_spec.bpmn_id)
    engine.run(workflow)
    return skipped


def terminate(workflow: BpmnWorkflow) -> None:
    """Cancel every unfinished and failed task; the workflow counts as completed (unsuccessfully)."""
    for task in workflow.get_tasks(state=TaskState.ERROR):
        task._set_state(TaskState.CANCELLED)
    workflow.cancel()


def _outputs(spec: Any) -> list[str]:
    return sorted(o.name for o in getattr(spec, "outputs", []))


def _check_structure(workflow: BpmnWorkflow, old: LoadedSpec, new: LoadedSpec) -> list[str]:
    reasons: list[str] = []
    if workflow.subprocesses:
        reasons.append("实例含有子流程（子流程或调用活动），暂不支持迁移")
    for task in workflow.get_tasks(state=TaskState.ERROR):
        reasons.append(f"步骤「{task.task_spec.bpmn_name or task.task_spec.bpmn_id}」（{task.task_spec.bpmn_id}）处于故障状态：请先重试、跳过或终止")
    for task in workflow.get_tasks(state=OPEN):
        spec = task.task_spec
        label = f"「{spec.bpmn_name or spec.bpmn_id or spec.name}」（{spec.bpmn_id or spec.name}）"
        if spec.bpmn_id:
            element, before = new.element(spec.bpmn_id), old.element(spec.bpmn_id)
            if element is None:
                reasons.append(f"当前步骤{label}在新版本中不存在")
                continue
            new_spec = new.spec.task_specs.get(spec.name)
            if new_spec is None or type(new_spec) is not type(spec) or (before is not None and before.tag != element.tag):
                reasons.append(f"当前步骤{label}在新版本中的类型不同（{before.tag if before else type(spec).__name__} → {element.tag}）")
                continue
        parent = task.parent
        if parent is None:
            continue
        if spec.name not in _outputs(parent.task_spec):
            reasons.append(f"当前步骤{label}位于多实例或子流程中，暂不支持迁移")
            continue
        new_parent = new.spec.task_specs.get(parent.task_spec.name)
        if new_parent is None or _outputs(new_parent) != _outputs(parent.task_spec):
            reasons.append(f"当前步骤{label}所在的分支（边界事件或并行分支）在新版本中有变化")
    return sorted(set(reasons), key=reasons.index)


def _repredict(workflow: BpmnWorkflow) -> None:
    """Rebuild the predicted future of every open task from its (new) spec; open tasks stay as they are."""
    for task in list(workflow.get_tasks(state=OPEN)):
        task._drop_children()
        task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)


def migrate(engine: Engine, state: bytes, old: LoadedSpec, new: LoadedSpec) -> BpmnWorkflow:
    """The instance serialized in ``state`` (on ``old``) moved onto ``new``; raises :class:`MigrationRefused`.

    Nothing is changed in place: the caller saves the returned workflow (or discards it, for a dry run).
    """
    current = engine.restore(old, state, None)
    reasons = _check_structure(current, old, new)
    if reasons:
        raise MigrationRefused(reasons)
    try:
        moved = engine.restore(new, state, None)
    except Exception as exc:  # a task of the instance's history has no spec in the new version
        raise MigrationRefused([f"实例无法按新版本恢复：已走过的步骤 {exc} 在新版本中不存在"]) from exc
    _repredict(moved)
    before = [(p.element_id, p.state) for p in positions(current)]
    try:
        again = engine.restore(new, engine.dump(moved), None)
    except Exception as exc:
        raise MigrationRefused([f"按新版本保存后无法恢复（{type(exc).__name__}: {exc}）"]) from exc
    if [(p.element_id, p.state) for p in positions(again)] != before:
        raise MigrationRefused(["按新版本恢复后实例所处的步骤发生了变化"])
    return again
