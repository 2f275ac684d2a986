"""Use cases that move instances: start a process, complete a task, retry a failed instance.

Each call is one transaction. Locking: the instance row is locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite) before its state is read, and the task's state is re-read under that lock, so of two
concurrent completions of one task exactly one wins and the other gets :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, defer

from .. import clock
from ..engine.facade import HandlerFailed, LoadedSpec
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..forms import validate_submission
from ..models import AuditEvent, HumanTask, Incident, Person, ProcessDefinition, ProcessInstance, Unit
from ..db import is_sqlite, unit_of_work
from ..prepared import Prepared
from . import addsign, projection, writes
from .operations import Operations, make_invoker
from .people import Actor, Who, actor_by_username, may_act, person_by_username, unit_names
from .runtime import Runtime, handler_registry


R = TypeVar("R")


def latest_definition(session: Session, key: str) -> ProcessDefinition:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.active.is_(True))
                                .order_by(ProcessDefinition.version.desc()).limit(1))
    if definition is None:
        raise NotFound(f"流程 {key} 不存在或尚未部署")
    return definition


_LATEST_VERSION = Prepared(select(ProcessDefinition.id, ProcessDefinition.version, ProcessDefinition.name)
                           .where(ProcessDefinition.key == bindparam("key"), ProcessDefinition.active.is_(True))
                           .order_by(ProcessDefinition.version.desc()).limit(1))


def _latest_version(session: Session, key: str) -> tuple[int, int, str]:
    """(id, version, name) of the newest active version of ``key``, without loading its diagram."""
    found = _LATEST_VERSION.first(session, {"key": key})
    if found is None:
        raise NotFound(f"流程 {key} 不存在或尚未部署")
    return found[0], found[1], found[2]


def invoker_for(session: Session, rt: Runtime, inst: ProcessInstance):  # type: ignore[no-untyped-def]
    """The handler invoker the engine calls service tasks through, over ``session`` for instance ``inst``."""
    return make_invoker(session, handler_registry(), inst, Operations(session, inst, rt))


def record_failure(session: Session, inst: ProcessInstance, exc: HandlerFailed) -> str:
    """Record a failed handler as an incident and an audit event of ``inst``; returns the message for the instance."""
    message = f"{exc.element_id}（{exc.topic}）：{type(exc.error).__name__}: {exc.error}"
    session.add(Incident(instance_id=inst.id, at=clock.now(), element_id=exc.element_id, error=message))
    session.add(AuditEvent(instance_id=inst.id, at=clock.now(), action="error", task=exc.element_id, details={"error": message}))
    return message


def run_engine(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, action: Any,
               open_rows: list[HumanTask] | None = None) -> None:
    """Run ``action(workflow)``; a failing handler leaves the instance in ``error`` with an incident.
    ``open_rows`` as for :func:`projection.save`."""
    try:
        action(workflow)
    except HandlerFailed as exc:
        projection.save(session, rt, inst, workflow, loaded, error=record_failure(session, inst, exc), open_rows=open_rows)
        return
    projection.save(session, rt, inst, workflow, loaded, open_rows=open_rows)


def _first_task_prefill(rt: Runtime, session: Session, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, actor: Person | Actor, data: dict[str, Any]) -> None:
    """Start data fills the starter's first form: complete it when valid and complete, else keep it as a draft."""
    ready = [t for t in rt.engine.ready_user_tasks(workflow)]
    open_rows = projection.open_task_rows(session, inst.id)
    row = open_rows[0] if open_rows else None
    if not ready or row is None or row.assignee_id != actor.id:
        raise InvalidInput("该流程的第一步不由发起人填写，启动时不能附带表单数据")
    element = loaded.element(ready[0].spec_id)
    assert element is not None
    validate_submission(element, data, partial=True)  # unknown fields, wrong types: 422, nothing created
    try:
        cleaned = validate_submission(element, data, ready[0].data)
    except InvalidInput:
        rt.engine.prefill_user_task(workflow, ready[0].guid, validate_submission(element, data, partial=True))
        projection.save(session, rt, inst, workflow, loaded, open_rows=open_rows)
        return
    _complete(session, rt, inst, workflow, loaded, row, actor, cleaned, element, open_rows)


# what a use case answers besides the instance id: ``answer(session, instance_id)``, run in the use case's own
# transaction after the save (e.g. the API's view of the instance, so it needs no second transaction)
Answer = Callable[[Session, int], R]


def start_process(rt: Runtime, key: str, username: str, data: dict[str, Any] | None = None) -> int:
    """Start the newest version of ``key`` for ``username``; returns the instance id."""
    return _start(rt, key, username, data, None)[0]


def start_answered(rt: Runtime, key: str, username: Who, data: dict[str, Any] | None, answer: Answer[R]) -> R:
    """:func:`start_process`, answering with ``answer`` (see :data:`Answer`); ``username`` may be an API
    caller's person id (:data:`.people.Who`)."""
    return _start(rt, key, username, data, answer)[1]


def _start(rt: Runtime, key: str, username: Who, data: dict[str, Any] | None, answer: Answer[R] | None) -> tuple[int, R | None]:
    data = data or {}
    if not isinstance(data, dict):
        raise InvalidInput("data 应为对象")
    with unit_of_work(engine=rt.db) as session:
        actor = actor_by_username(session, username)
        definition_id, version, name = _latest_version(session, key)
        loaded = rt.loaded_by_id(session, definition_id)
        now = clock.now()
        inst = writes.insert_instance(session, definition_id=definition_id, process_key=key, version=version, status="running",
                                      unit_id=actor.unit_id, started_by_id=actor.id, started_at=now, title=name)
        writes.audit(session, instance_id=inst.id, at=now, who_id=actor.id, who=actor.username, action="start",
                     details={"version": version})
        unit_name, party_org_name = unit_names(session, actor.unit_id)
        initial = {"applicant_username": actor.username, "applicant_name": actor.name, "unit_name": unit_name,
                   "party_org_name": party_org_name}
        workflow = rt.engine.new_workflow(loaded, initial, invoker_for(session, rt, inst))
        run_engine(session, rt, inst, workflow, loaded, rt.engine.run, open_rows=[])  # a new instance has no rows yet
        if data:
            _first_task_prefill(rt, session, inst, workflow, loaded, actor, data)
        return inst.id, answer(session, inst.id) if answer is not None else None


# the instance of a task, locked; its data snapshot and serialized state load only if used (a step rewrites
# the first, and a warm workflow makes the second unnecessary); the instance's Party organisation comes along
# (the step may create a task for it)
_LOCK_OF_TASK = (select(ProcessInstance, select(Unit.party_org_id).where(Unit.id == ProcessInstance.unit_id).scalar_subquery())
                 .options(defer(ProcessInstance.data), defer(ProcessInstance.state))
                 .where(ProcessInstance.id == select(HumanTask.instance_id).where(HumanTask.id == bindparam("task_id")).scalar_subquery())
                 .with_for_update(of=ProcessInstance))
# SQLite: the same, with the instance's open rows in the same statement (one result row each, or one row with
# no task); the whole transaction holds the write lock, so the rows that come with the lock are current
_LOCK_OF_TASK_WITH_ROWS = (_LOCK_OF_TASK.add_columns(HumanTask)
                           .outerjoin(HumanTask, and_(HumanTask.instance_id == ProcessInstance.id, HumanTask.state == "open"))
                           .order_by(HumanTask.id))


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    inst = session.scalar(select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update())
    if inst is None:
        raise NotFound(f"流程实例 {instance_id} 不存在")
    return inst


def restore(session: Session, rt: Runtime, inst: ProcessInstance) -> tuple[Any, LoadedSpec]:
    """The instance's workflow, ready to act on inside this transaction (call with the instance locked).

    A warm instance comes from the runtime's cache (the workflow saved by the last committed step, same
    revision); otherwise it is deserialized. Either way the caller owns it: it goes back to the cache only
    when :func:`projection.save` stores it and the transaction commits."""
    loaded = rt.loaded_by_id(session, inst.definition_id)
    invoker = invoker_for(session, rt, inst)
    workflow = rt.workflows.take(inst.id, inst.revision)
    if workflow is None:
        return rt.engine.restore(loaded, inst.state, invoker), loaded
    workflow.script_engine.invoker = invoker
    return workflow, loaded


def complete_task(rt: Runtime, task_id: int, username: str, data: dict[str, Any] | None) -> int:
    """Complete an open task as ``username`` with form ``data``; returns the instance id.

    Raises NotFound, Forbidden (not the caller's task), Conflict (no longer open), InvalidInput (form).
    """
    return _complete_task(rt, task_id, username, data, None)[0]


def complete_answered(rt: Runtime, task_id: int, username: Who, data: dict[str, Any] | None, answer: Answer[R]) -> R:
    """:func:`complete_task`, answering with ``answer`` (see :data:`Answer`); ``username`` may be an API
    caller's person id (:data:`.people.Who`)."""
    return _complete_task(rt, task_id, username, data, answer)[1]


def _complete_task(rt: Runtime, task_id: int, username: Who, data: dict[str, Any] | None, answer: Answer[R] | None) -> tuple[int, R | None]:
    if not isinstance(data, dict):
        raise InvalidInput("data 应为对象")
    with unit_of_work(engine=rt.db) as session:
        actor = actor_by_username(session, username)
        # the instance's open rows, read under the lock (this task among them when it is still open)
        sqlite = is_sqlite(rt.db)
        found = session.execute(_LOCK_OF_TASK_WITH_ROWS if sqlite else _LOCK_OF_TASK, {"task_id": task_id}).all()
        if not found:
            raise NotFound(f"待办 {task_id} 不存在")
        inst, party_org_id = found[0][0], found[0][1]
        if sqlite:
            open_rows = [r[2] for r in found if r[2] is not None]
        else:  # PostgreSQL: a FOR UPDATE that waited rechecks only the locked row, so the rows are read after it
            open_rows = projection.open_task_rows(session, inst.id, refresh=True)
        row = next((r for r in open_rows if r.id == task_id), None)
        if row is None:  # no longer among the open rows
            raise Conflict("该待办已被办理或已撤销，请刷新后查看")
        if not may_act(session, actor, row):
            raise Forbidden("您不是该待办的办理人，无权办理")
        if row.kind == addsign.KIND:
            addsign.sign(session, actor, row, data)
            return inst.id, answer(session, inst.id) if answer is not None else None
        addsign.guard_parent(session, row, [r for r in open_rows if r.kind == addsign.KIND])
        workflow, loaded = restore(session, rt, inst)
        element = loaded.element(row.spec_id)
        assert element is not None
        current = rt.engine.data(workflow)
        cleaned = validate_submission(element, data, current)
        _complete(session, rt, inst, workflow, loaded, row, actor, cleaned, element, open_rows, party_org_id, current)
        return inst.id, answer(session, inst.id) if answer is not None else None


def _complete(session: Session, rt: Runtime, inst: ProcessInstance, workflow: Any, loaded: LoadedSpec, row: HumanTask,
              actor: Person | Actor, cleaned: dict[str, Any], element: Any, open_rows: list[HumanTask] | None = None,
              party_org_id: int | None = None, current: dict[str, Any] | None = None) -> None:
    """``current``: the instance's data as the caller just read it (else it is read again)."""
    now = clock.now()
    decision = cleaned.get("decision") if "decision" in {f.id for f in element.form_fields} else None
    opinion = cleaned.get("opinion")
    if decision is not None:
        decisions = dict((rt.engine.data(workflow) if current is None else current).get("decisions") or {})
        decisions[row.spec_id] = {"task": row.name, "username": actor.username, "name": actor.name,
                                  "decision": decision, "opinion": opinion or "", "at": now.isoformat()}
        cleaned = {**cleaned, "decisions": decisions}
    writes.update_task(session, row, state="completed", completed_at=now, completed_by_id=actor.id,
                       assignee_id=row.assignee_id or actor.id, decision=decision, opinion=opinion)
    writes.audit(session, instance_id=inst.id, at=now, who_id=actor.id, who=actor.username, action="complete",
                 task=row.name, decision=decision, opinion=opinion, details={"spec_id": row.spec_id})
    try:
        rt.engine.complete_user_task(workflow, row.task_guid, cleaned)
    except LookupError:
        raise Conflict("该待办已不在可办理状态") from None
    except HandlerFailed as exc:
        projection.save(session, rt, inst, workflow, loaded, error=record_failure(session, inst, exc), open_rows=open_rows,
                        party_org_id=party_org_id)
        return
    projection.save(session, rt, inst, workflow, loaded, open_rows=open_rows, party_org_id=party_org_id)


def retry_instance(rt: Runtime, instance_id: int, username: str) -> None:
    """An administrator retries an instance whose service task failed (audited)."""
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username)
        if "admin" not in actor.role_names:
            raise Forbidden("只有管理员可以重试流程")
        inst = lock_instance(session, instance_id)
        if inst.status != "error":
            raise Conflict("该流程实例没有待处理的故障")
        workflow, loaded = restore(session, rt, inst)
        session.add(AuditEvent(instance_id=inst.id, at=clock.now(), who_id=actor.id, who=actor.username, action="retry"))
        inst.status = "running"
        run_engine(session, rt, inst, workflow, loaded, rt.engine.retry_errors)
        if inst.status != "error":
            for incident in session.scalars(select(Incident).where(Incident.instance_id == inst.id, Incident.resolved_at.is_(None))):
                incident.resolved_at = clock.now()
