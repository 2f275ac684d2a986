"""Incidents: instances whose service task or timer failed, and an administrator's retry, skip and terminate.

Each action is one transaction under the instance's row lock, admin-only (role ``admin``) and audited
(``retry``, ``skip``, ``terminate`` events with the administrator and the reason). Reading the list is open to
the oversight roles (administrators, the Party Office, the discipline office).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..engine import repair
from ..errors import Conflict, Forbidden, InvalidInput
from ..models import AuditEvent, Incident, Notification, Person, ProcessInstance, Unit
from . import instances, projection
from .people import is_overseer, person_by_username, require_admin
from .runtime import Runtime

def require_overseer(session: Session, username: str) -> Person:
    actor = person_by_username(session, username)
    if not is_overseer(actor):
        raise Forbidden("只有管理员、党委办公室和纪委可以查看管理看板")
    return actor


def list_incidents(rt: Runtime, username: str, *, include_resolved: bool = False, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Incidents, newest first, with their instance's process, version, unit and status."""
    limit = max(1, min(limit, 200))
    with unit_of_work(write=False, engine=rt.db) as session:
        require_overseer(session, username)
        where = [] if include_resolved else [Incident.resolved_at.is_(None)]
        total = session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0
        rows = session.execute(
            select(Incident, ProcessInstance.process_key, ProcessInstance.version, ProcessInstance.status,
                   ProcessInstance.title, Unit.name)
            .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .join(Unit, Unit.id == ProcessInstance.unit_id, isouter=True)
            .where(*where).order_by(Incident.at.desc(), Incident.id.desc()).limit(limit).offset(offset)).all()
        items = [{"id": inc.id, "instance_id": inc.instance_id, "at": inc.at.isoformat(), "element": inc.element_id,
                  "error": inc.error, "resolved": inc.resolved_at.isoformat() if inc.resolved_at else None,
                  "process": key, "version": version, "status": status, "title": title, "unit": unit}
                 for inc, key, version, status, title, unit in rows]
        return {"items": items, "total": total}


def _resolve(session: Session, instance_id: int) -> None:
    for incident in session.scalars(select(Incident).where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))):
        incident.resolved_at = clock.now()


def retry(rt: Runtime, instance_id: int, username: str) -> None:
    """Run the failed step again (see :func:`instances.retry_instance`)."""
    instances.retry_instance(rt, instance_id, username)


def skip(rt: Runtime, instance_id: int, username: str, element_id: str | None = None, reason: str = "") -> None:
    """Mark the failed service task completed without running it and continue the instance.

    ``element_id`` picks one failed step (default: every failed step). Raises Conflict when nothing failed.
    """
    with unit_of_work(engine=rt.db) as session:
        actor = require_admin(session, username, "处理故障")
        inst = instances.lock_instance(session, instance_id)
        if inst.status != "error":
            raise Conflict("该流程实例没有待处理的故障")
        workflow, loaded = instances.restore(session, rt, inst)
        failed = repair.failed_elements(workflow)
        if not failed:
            raise InvalidInput("该实例没有失败的服务任务可以跳过（例如定时器触发失败）：请重试或终止")
        if element_id and element_id not in failed:
            raise InvalidInput(f"步骤 {element_id} 没有故障；故障步骤：{'、'.join(failed) or '无'}")
        session.add(AuditEvent(instance_id=inst.id, at=clock.now(), who_id=actor.id, who=actor.username, action="skip",
                               task=element_id or ",".join(failed), opinion=reason or None,
                               details={"skipped": [element_id] if element_id else failed}))
        inst.status = "running"
        instances.run_engine(session, rt, inst, workflow, loaded, lambda wf: repair.skip_failed(rt.engine, wf, element_id))
        if inst.status != "error":
            _resolve(session, inst.id)


def terminate(rt: Runtime, instance_id: int, username: str, reason: str = "") -> None:
    """Cancel a running or failed instance: status ``terminated``, open tasks cancelled, timers removed."""
    with unit_of_work(engine=rt.db) as session:
        actor = require_admin(session, username, "终止流程")
        inst = instances.lock_instance(session, instance_id)
        if inst.status not in {"running", "error"}:
            raise Conflict("该流程实例已结束，不能终止")
        workflow, loaded = instances.restore(session, rt, inst)
        now = clock.now()
        session.add(AuditEvent(instance_id=inst.id, at=now, who_id=actor.id, who=actor.username, action="terminate",
                               opinion=reason or None, details={"previous_status": inst.status}))
        repair.terminate(workflow)
        inst.status, inst.ended_at, inst.error = "terminated", now, None
        projection.save(session, rt, inst, workflow, loaded)
        _resolve(session, inst.id)
        if inst.started_by_id is not None:
            session.add(Notification(person_id=inst.started_by_id, instance_id=inst.id, kind="outcome",
                                     title=f"流程已被管理员终止：{inst.title or inst.process_key}（#{inst.id}）",
                                     body=reason, created_at=now))
