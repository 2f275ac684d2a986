"""What handlers may do, implemented over the caller's session (no commits here).

Every handler call that may write runs inside a SAVEPOINT: a handler that fails leaves nothing behind. Handlers
registered with ``writes=False`` only read and run without one.
"""

from __future__ import annotations

import heapq
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.orm import Session

from tasks.registry import HandlerContext, HandlerRegistry

from .. import clock
from ..engine.spiff import HandlerFailed
from ..models import Filing, HumanTask, Notification, ProcessInstance, WorkGroup
from ..prepared import Prepared
from ..roles import ROLES, resolve
from . import writes
from .people import holders, party_org_of, person_id_lookup
from .runtime import Runtime

ACTIVE_GROUP_STATUSES = ("applying", "filed", "dissolving")
# statements of the handlers' hot lookups, built once
# (the statuses spelled out: a prepared statement takes no list SQLAlchemy expands at execution)
_UNIT_GROUPS = Prepared(select(WorkGroup.id, WorkGroup.name, WorkGroup.function, WorkGroup.status).where(
    WorkGroup.unit_id == bindparam("unit_id"), or_(*(WorkGroup.status == s for s in ACTIVE_GROUP_STATUSES))))
_GROUP_OF_INSTANCE = Prepared(select(WorkGroup.id).where(WorkGroup.instance_id == bindparam("instance_id")))
_GROUP_COLUMNS = frozenset(WorkGroup.__table__.c.keys())
_NEW_GROUP = Prepared(insert(WorkGroup.__table__).returning(WorkGroup.__table__.c.id))
_NEW_FILING = Prepared(insert(Filing.__table__))


class Operations:
    """The ``tasks.registry.Operations`` protocol over one transaction."""

    def __init__(self, session: Session, instance: ProcessInstance, runtime: Runtime) -> None:
        self.session = session
        self.instance = instance
        self.runtime = runtime  # settings, and for operations that start or advance other instances (registry_ops)
        self.threshold = runtime.settings.duplicate_threshold

    @property
    def registry(self) -> Any:
        """Registry changes of the other processes (accounts, owners, rosters, cleanup): ``registry_ops.RegistryOps``."""
        from .registry_ops import RegistryOps

        return RegistryOps(self)

    @property
    def documents(self) -> Any:
        """Forms of the measures recorded with the instance (rendered after the step commits): ``document_ops.DocumentOps``."""
        from .document_ops import DocumentOps

        return DocumentOps(self.session, self.runtime.settings.templates_dir)

    def find_similar_groups(self, unit_id: int, name: str, function: str) -> list[dict[str, Any]]:
        """Groups of the unit whose name or function is similar (art. 4: one group per piece of work)."""
        # plain rows, not ORM objects: a unit may hold hundreds of groups and every application reads them all
        rows = _UNIT_GROUPS.all(self.session, {"unit_id": unit_id})
        # each scorer runs over all the unit's groups at once (rapidfuzz's C loop, not one Python call per group);
        # a group's similarity is its best score
        best: dict[int, float] = {}

        def score(query: str, choices: list[str], scorer: Any) -> None:
            for _, value, index in process.extract(query, choices, scorer=scorer, score_cutoff=self.threshold, limit=None):
                best[index] = max(best.get(index, 0), value)

        name, names = name or "", [g[1] for g in rows]
        score(name, names, fuzz.token_set_ratio)
        if len(name) >= 4:
            score(name, names, fuzz.partial_ratio)
        if function:
            score(function, [g[2] or "" for g in rows], fuzz.token_set_ratio)
        # the five most similar (ties: the order the query returned them, as a stable sort would keep)
        top = heapq.nsmallest(5, best.items(), key=lambda item: (-round(item[1]), item[0]))
        return [{"id": rows[i][0], "name": rows[i][1], "status": rows[i][3], "similarity": round(v)} for i, v in top]

    def file_group(self, ctx: HandlerContext, fields: dict[str, Any]) -> dict[str, Any]:
        """Create (or update) the WorkGroup of this instance as filed, with its Filing record."""
        now = ctx.now
        group_id = _GROUP_OF_INSTANCE.scalar(self.session, {"instance_id": ctx.instance_id})
        if group_id is None:  # the usual case: a new group, written with plain statements
            values = {k: v for k, v in fields.items() if k in _GROUP_COLUMNS}
            values.update(unit_id=ctx.unit_id, instance_id=ctx.instance_id, status="filed", filed_at=now)
            group_id = _NEW_GROUP.scalar(self.session, values)
            name, kind = values["name"], values["kind"]
        else:
            group = self.session.get(WorkGroup, group_id)
            assert group is not None
            for key, value in fields.items():
                setattr(group, key, value)
            group.status = "filed"
            group.filed_at = now
            self.session.flush()
            name, kind = group.name, group.kind
        _NEW_FILING.execute(self.session, {"group_id": group_id, "kind": kind, "filed_by_id": fields.get("owner_id"), "filed_at": now,
                                   "instance_id": ctx.instance_id})
        self.record(ctx, "filed", {"group_id": group_id, "name": name})
        return {"group_id": group_id, "filed_at": now.isoformat()}

    def notify(self, ctx: HandlerContext, kind: str, role: str | None, message: str, task_spec: str | None = None) -> int:
        """Notify holders of ``role`` (resolved for this instance), or the people on the open task ``task_spec``."""
        targets: set[int] = set()
        task_row = None
        if task_spec:
            task_row = self.session.scalar(select(HumanTask).where(
                HumanTask.instance_id == ctx.instance_id, HumanTask.spec_id == task_spec, HumanTask.state == "open"))
        if role:
            candidates = resolve(role, starter_id=ctx.starter_id, unit_id=ctx.unit_id,
                                 party_org_id=party_org_of(self.session, ctx.unit_id), data=ctx.data,
                                 person_ids_by_username=person_id_lookup(self.session))
            targets.update(holders(self.session, candidates))
        elif task_row is not None:
            from ..roles import Candidates

            targets.update(holders(self.session, Candidates(task_row.candidate_role, task_row.candidate_scope, task_row.assignee_id)))
        for person_id in sorted(targets):
            self.session.add(Notification(person_id=person_id, instance_id=ctx.instance_id, task_id=task_row.id if task_row else None,
                                          kind=kind, title=message, created_at=ctx.now))
        if task_row is not None:
            if kind == "reminder":
                task_row.reminders_sent += 1
            if kind == "escalation":
                task_row.escalated = True
        return len(targets)

    def record(self, ctx: HandlerContext, action: str, details: dict[str, Any]) -> None:
        writes.audit(self.session, instance_id=ctx.instance_id, at=ctx.now, action=action, task=ctx.element_id, details=details)


def make_invoker(session: Session, registry: HandlerRegistry, instance: ProcessInstance, ops: Operations):  # type: ignore[no-untyped-def]
    """The callable the script engine uses for service tasks of ``instance``."""

    def invoke(task: Any, topic: str, params: dict[str, str]) -> dict[str, Any] | None:
        info = registry.get(topic)
        element_id = task.task_spec.bpmn_id
        if info is None:
            raise HandlerFailed(element_id, topic, LookupError(f"处理程序 {topic} 未注册"))
        ctx = HandlerContext(instance_id=instance.id, process_key=instance.process_key, element_id=element_id,
                             unit_id=instance.unit_id, starter_id=instance.started_by_id, data=dict(task.data),
                             now=clock.now(), ops=ops)
        if not info.writes:
            try:
                return info.fn(ctx, **params)
            except Exception as exc:
                raise HandlerFailed(element_id, topic, exc) from exc
        savepoint = session.begin_nested()
        try:
            result = info.fn(ctx, **params)
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()
            raise HandlerFailed(element_id, topic, exc) from exc
        return result

    return invoke


def role_label(role: str) -> str:
    return ROLES.get(role, (role, ""))[0]
