"""Instances the system starts or advances on its own: periodic starts, org-import reactions, campaign parts.

Unlike :func:`instances.start_process`, no person fills a first form here: ``data`` goes straight into the new
instance's data (so start gateways can route on it, e.g. ``origin``), the instance belongs to ``unit_id`` (a
group's unit, which may differ from the starter's current unit after a transfer) and ``starter_id`` is the
person the ``applicant`` role resolves to. The audit trail names ``system`` as the actor.

``*_in_session`` functions work inside the caller's transaction (a use case, or a handler starting child
instances through ``Operations.runtime``); they never commit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..engine.facade import HandlerFailed
from ..errors import Conflict, NotFound
from ..models import AuditEvent, HumanTask, Person, ProcessInstance, Unit
from . import projection
from .instances import invoker_for, latest_definition, lock_instance, record_failure, restore, run_engine
from .runtime import Runtime


def start_in_session(session: Session, rt: Runtime, key: str, data: dict[str, Any], unit_id: int, starter_id: int | None,
                     origin: str = "system", title: str | None = None) -> ProcessInstance:
    """Create and run a new instance of the newest version of ``key`` in the caller's transaction."""
    definition = latest_definition(session, key)
    loaded = rt.loaded(definition)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    starter = session.get(Person, starter_id) if starter_id else None
    now = clock.now()
    inst = ProcessInstance(definition_id=definition.id, process_key=key, version=definition.version, status="running",
                           unit_id=unit_id, started_by_id=starter_id, started_at=now,
                           title=(title or definition.name)[:200], data={}, state=b"{}")
    session.add(inst)
    session.flush()
    session.add(AuditEvent(instance_id=inst.id, at=now, who="system", action="start",
                           details={"version": definition.version, "origin": origin,
                                    "on_behalf_of": starter.username if starter else None}))
    initial = {"applicant_username": starter.username if starter else "", "applicant_name": starter.name if starter else "",
               "unit_name": unit.name, "origin": origin, **data}
    workflow = rt.engine.new_workflow(loaded, initial, invoker_for(session, rt, inst))
    run_engine(session, rt, inst, workflow, loaded, rt.engine.run)
    return inst


def start_process_as_system(rt: Runtime, key: str, data: dict[str, Any], unit_id: int, starter_id: int | None,
                            origin: str = "system", title: str | None = None) -> int:
    """Use case: start ``key`` for ``unit_id`` on behalf of ``starter_id`` in one transaction; returns the id."""
    with unit_of_work(engine=rt.db) as session:
        return start_in_session(session, rt, key, data, unit_id, starter_id, origin, title).id


def complete_in_session(session: Session, rt: Runtime, inst: ProcessInstance, spec_id: str, data: dict[str, Any],
                        reason: str) -> bool:
    """Complete the open user task ``spec_id`` of a locked instance as the system (no form validation).

    Returns False when the instance has no such open task (idempotent: a second call does nothing).
    """
    row = session.scalar(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.spec_id == spec_id,
                                                 HumanTask.state == "open").order_by(HumanTask.id).limit(1))
    if row is None or inst.status != "running":
        return False
    workflow, loaded = restore(session, rt, inst)
    task = workflow.get_task_from_id(UUID(row.task_guid))
    if task is None:
        return False
    now = clock.now()
    row.state, row.completed_at = "completed", now
    session.add(AuditEvent(instance_id=inst.id, at=now, who="system", action="complete", task=row.name,
                           details={"spec_id": spec_id, "reason": reason}))
    try:
        rt.engine.complete_user_task(workflow, row.task_guid, data)
    except LookupError:
        raise Conflict("该待办已不在可办理状态") from None
    except HandlerFailed as exc:  # same handling as a person's completion: the instance shows the incident
        projection.save(session, rt, inst, workflow, loaded, error=record_failure(session, inst, exc))
        return True
    projection.save(session, rt, inst, workflow, loaded)
    return True


def complete_as_system(rt: Runtime, instance_id: int, spec_id: str, data: dict[str, Any], reason: str) -> bool:
    """Use case: lock ``instance_id`` and complete its open task ``spec_id`` as the system."""
    with unit_of_work(engine=rt.db) as session:
        inst = lock_instance(session, instance_id)
        return complete_in_session(session, rt, inst, spec_id, data, reason)
